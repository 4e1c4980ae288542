"""Following an open call: its audio decoded from the journal as the call goes on.

The assembler may run in another process (``custodio serve``), and the vault holds only
closed calls' audio, so a listener does not ask the assembler: it reads what both share.
The catalog names the call (operator, LIID, CIN, ``open_seq``) and says how far the
journal was applied (``assembly_positions``: every record up to it is durable); the
journal holds the records. :class:`Follower` reads the call's IRI and CC records from
``open_seq`` up to that position, applies them to its own :class:`Comm` with the same
code as the assembler (streams, reorder window, decoding, which stream is the target's)
and hands out the octets placed since the last call. Audio is therefore behind the
network by the assembler's step (a fraction of a second when it keeps up) and the poll
interval; packets that arrive in order are placed at once, the reorder window
(``media.WINDOW`` packets, 1.3 s) holds back only what waits for a missing packet.

Simplification: records are matched by their (operator, LIID, CIN); a SIP dialog carried
under a second CIN (joined by Call-ID in the assembler) is not followed live.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from custodio import datadir
from custodio.assemble.attribution import Attribution
from custodio.assemble.closing import assign_streams
from custodio.assemble.correlate import Comm, Key
from custodio.assemble.media import Stream
from custodio.assemble.worker import CONSUMER
from custodio.catalog import comms
from custodio.db import Tx
from custodio.errors import DecodeError
from custodio.etsi.pdu import decode
from custodio.journal import JournalReader, Record

SIDES = ("target", "other")


class Follower:
    """One open communication re-assembled from its journal records, for listening."""

    def __init__(self, key: Key, open_seq: int, attribution: Attribution) -> None:
        self.key = key
        self.comm = Comm(key=key, attribution=attribution, open_seq=open_seq)
        self.cursor = open_seq - 1  # the last journal record read
        self._match = (key[0].encode(), key[1].encode(), key[2])
        self._sent = {side: 0 for side in SIDES}

    def feed(self, records: Iterable[Record]) -> None:
        """Apply the communication's records among ``records`` (read in journal order)."""
        for record in records:
            self.cursor = max(self.cursor, record.seq)
            r = record.routing
            if (r.operator_id, r.liid, r.cin) != self._match or r.payload_kind not in (0, 1):
                continue
            try:
                pdu = decode(record.pdu)
            except DecodeError:
                continue  # counted by the assembler; nothing to hear
            self.comm.apply(record.seq, record.received_ns, r.channel, pdu)

    @property
    def codec(self) -> int | None:
        return next((s.codec for s in self.comm.streams.values() if s.codec is not None), None)

    def take(self, side: str, *, final: bool = False) -> bytes:
        """The octets of ``side`` placed since the last call (``final``: all that is left)."""
        streams = self._streams(side)
        if final:
            for stream in streams:
                stream.drain()
        data = b"".join(s.sink.read() for s in streams if s.codec == self.codec)
        new = data[self._sent[side] :]
        self._sent[side] = len(data)
        return new

    def _streams(self, side: str) -> list[Stream]:
        sides, _ = assign_streams(self.comm)
        return sorted(sides[side], key=lambda s: (s.first_at is None, s.first_at or datetime.min))


def applied(tx: Tx) -> int:
    """How far the assembler has applied the journal: every record up to it is durable."""
    return comms.position(tx, CONSUMER)


class Listening:
    """A :class:`Follower` fed from a data directory's journal (``journal_dir``: another
    journal, for tests), up to the position the caller read with :func:`applied`."""

    READ = 2000  # records per read

    def __init__(self, follower: Follower, data_dir: Path, journal_dir: Path | None = None) -> None:
        self.follower = follower
        self._position = 0
        directory = journal_dir or data_dir / datadir.JOURNAL
        self._reader = JournalReader(directory, durable=lambda: self._position)

    def catch_up(self, position: int) -> None:
        """Apply the call's records up to ``position``."""
        self._position = position
        while records := self._reader.read(self.follower.cursor, self.READ):
            self.follower.feed(records)
