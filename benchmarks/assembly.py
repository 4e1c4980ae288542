"""Assembly throughput and memory: N concurrent M-minute calls, journal to communications.

    .venv/bin/python benchmarks/assembly.py [--calls 1000] [--minutes 10] [--dir DIR]

Generates the calls with the simulator's encoders (TS 101 671 IRI-Begin/Continue/End on
HI2; TS 102 232-5 IPMMCC carrying RTP with 20 ms of G.711 A-law per packet, one stream
per direction, on HI3) straight into a journal (no TCP): all calls concurrent, their CC
interleaved tick by tick as a mediator would deliver them, 50 packets/s per direction.
Each direction of each call carries its own octets, which do not compress (a stretch of a
pseudo-random pool): the vault stores, encrypts and writes every call's audio in full, as
it would real calls' (a repeated tone compressed to nothing and made every call's
objects the same).
Ten LIIDs, all bound to one warrant of one case. Then, in a fresh process (so that its
peak RSS is the assembler's own), runs the assembler over the journal until every call
is closed and stored (audio per direction in the vault, products, seal entries) and
reports communications/s, CC PDUs/s, audio-minutes assembled per CPU-second, peak RSS,
and whether one core keeps up with the handover target: 1,000 concurrent calls =
100,000 CC PDUs/s.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from custodio import config
from custodio.access import admin, casework, setup, vaults
from custodio.access.service import Service
from custodio.assemble.worker import Assembler, Timing
from custodio.catalog import identifiers, warrants
from custodio.etsi import encode as E
from custodio.etsi.pdu import Direction, FrameType, IRIType
from custodio.handover.runtime import quiet_collector
from custodio.journal import Journal
from custodio.journal.format import Routing
from custodio.simulator import media

PASSWORD = "correct-horse-battery"
PASSPHRASE = "benchmark-passphrase"
OPERATOR = b"OPERADOR-ES"
LIIDS = [f"ES-BENCH-{i:04d}" for i in range(10)]
TARGET_PDUS_PER_S = 100_000  # handover target: 1,000 calls x 2 directions x 50 packets/s
BATCH = 20_000
NOISE_FRAMES = 65_537  # the pool of audio frames (a prime: every call starts elsewhere)
NOISE_STRIDE = 31  # frames between the starts of two streams' audio in the pool


def secrets(name: str, prompt: str) -> str:
    return PASSPHRASE


def prepare(directory: Path) -> config.Config:
    """A data directory with a case whose warrant binds the ten LIIDs."""
    cfg = setup.init(setup.InitRequest(directory, "Policía Nacional", "admin", PASSWORD), secrets)
    svc = Service.open(cfg)
    try:
        boss = svc.login("admin", PASSWORD)
        admin.add_unit(svc, boss, "UDYCO")
        admin.add_user(svc, boss, admin.NewUser("wo", "warrant_officer", PASSWORD, unit="UDYCO"))
        wo = svc.login("wo", PASSWORD)
        casework.add_case(svc, wo, casework.NewCase("DP 1/2026", "JI 3", "Bench", "UDYCO"))
        start = datetime.now(UTC) - timedelta(days=1)
        casework.add_warrant(svc, wo, "DP 1/2026", warrants.NewWarrant(
            reference="AUTO 1/2026", court="JI 3", judge="Ana Ruiz", issued_at=start,
            valid_from=start, valid_until=start + timedelta(days=60),
            scope=frozenset({"content", "traffic"}),
            targets=(identifiers.parse("e164:+34600111222"),),
            liids=tuple((liid, OPERATOR.decode()) for liid in LIIDS),
        ))  # fmt: skip
    finally:
        svc.close()
    return cfg


def generate(journal: Journal, calls: int, minutes: float) -> int:
    """Write the calls' PDUs into ``journal``; the number of CC PDUs."""
    ticks = int(minutes * 60 * 1000 / media.FRAME_MS)
    pool = random.Random(2026).randbytes(NOISE_FRAMES * media.FRAME_OCTETS)
    begin = datetime.now(UTC) - timedelta(minutes=minutes)
    seqs = [[0, 0] for _ in range(calls)]
    records = [E.IRIRecord(
        liid=LIIDS[c % len(LIIDS)].encode(), communication_id=str(c).encode(),
        operator_id=b"OPERA", local_time=begin.replace(tzinfo=None), call_direction=1,
        parties=(E.Party(0, calling_isup=b"\x04\x34\x60\x01\x11\x22\xf2"),
                 E.Party(1, called_isup=b"\x04\x34\x61\x23\x45\x67\xf8")),
    ) for c in range(calls)]  # fmt: skip

    def header(c: int, channel: int, at: datetime) -> E.Header:
        n = seqs[c][channel - 2]
        seqs[c][channel - 2] += 1
        return E.Header(liid=LIIDS[c % len(LIIDS)].encode(), operator_id=OPERATOR,
                        network_element_id=b"MSC-MAD-01", cin=1000 + c, sequence_number=n,
                        timestamp=at)  # fmt: skip

    def routing(c: int, channel: int, kind: int, direction: int) -> Routing:
        liid = LIIDS[c % len(LIIDS)].encode()
        n = seqs[c][channel - 2] - 1
        return Routing(channel, kind, 255, direction, n, liid, OPERATOR, b"MSC-MAD-01", 1000 + c)

    batch: list[tuple[Routing, bytes]] = []

    def put(item: tuple[Routing, bytes]) -> None:
        batch.append(item)
        if len(batch) >= BATCH:
            journal.append_sync(batch)
            batch.clear()

    def iri(kind: IRIType, at: datetime) -> None:
        for c in range(calls):
            pdu = E.iri_etsi671(header(c, 2, at), kind, records[c])
            put((routing(c, 2, 0, 255), pdu))

    iri(IRIType.BEGIN, begin)
    for n in range(ticks):
        at = begin + timedelta(milliseconds=n * media.FRAME_MS)
        for c in range(calls):
            for direction in (Direction.FROM_TARGET, Direction.TO_TARGET):
                at_frame = (n + (2 * c + int(direction)) * NOISE_STRIDE) % NOISE_FRAMES
                payload = pool[at_frame * media.FRAME_OCTETS : (at_frame + 1) * media.FRAME_OCTETS]
                rtp = media.rtp(n, n * media.FRAME_OCTETS, 0x1000 + c * 4 + int(direction),
                                payload)  # fmt: skip
                pdu = E.cc_ipmm(header(c, 3, at), rtp, direction=direction,
                                frame_type=FrameType.RTP)  # fmt: skip
                put((routing(c, 3, 1, int(direction)), pdu))
    iri(IRIType.END, begin + timedelta(minutes=minutes))
    if batch:
        journal.append_sync(batch)
    return ticks * calls * 2


def assemble(directory: Path) -> dict[str, float]:
    """Run the assembler over the journal (in this process: run it as a fresh one)."""
    cfg = config.load(directory)
    svc = Service.open(cfg)
    journal = Journal.open(directory / "journal")
    vault = vaults.open_vault(cfg, svc.db, secrets)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assembler = Assembler(svc.db, vault, journal, Timing(inactivity_seconds=1e9))
    quiet_collector()  # as the assembler process does
    rss_start = _rss_mib()
    cpu, wall = time.process_time(), time.perf_counter()
    open_peak, rss_peak = 0, _rss_mib()
    while assembler.step().records:
        open_peak = max(open_peak, assembler.stats.open)
        rss_peak = max(rss_peak, _rss_mib())
    assembler.step(final=True)
    rss_peak = max(rss_peak, _rss_mib())
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    closed = assembler.stats.communications_closed
    samples = svc.db.read(lambda tx: tx.scalar(
        "SELECT SUM(size) FROM comm_products WHERE kind = 'audio'"))  # fmt: skip
    journal.close_sync()
    svc.close()
    return {
        "records": assembler.stats.records, "communications": closed, "open_peak": open_peak,
        "cpu_s": cpu, "wall_s": wall, "audio_minutes": int(samples or 0) / 8000 / 60,
        "rss_before_mib": rss_before / 1024, "rss_start_mib": rss_start,
        "rss_assembling_mib": rss_peak,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


def _rss_mib() -> float:
    """The resident set now (the high-water mark includes the vault's scrypt, freed since)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / (1 << 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--dir", type=Path, help="work directory (default: a temporary one)")
    parser.add_argument("--assemble-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.assemble_only:
        print(json.dumps(assemble(args.assemble_only)))
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        directory = Path(tmp) / "data"
        prepare(directory)
        journal = Journal.open(directory / "journal")
        start = time.perf_counter()
        cc = generate(journal, args.calls, args.minutes)
        journal.close_sync()
        print(f"generated {args.calls} calls x {args.minutes} min: {cc:,} CC PDUs "
              f"in {time.perf_counter() - start:.0f} s")  # fmt: skip
        out = subprocess.run(
            [sys.executable, __file__, "--assemble-only", str(directory)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    r = json.loads(out.strip().splitlines()[-1])
    pdus_per_cpu_s = r["records"] / r["cpu_s"]
    print(
        f"records {r['records']:,}, communications {r['communications']:,} "
        f"(open at once: {r['open_peak']:,})"
    )
    print(f"CPU {r['cpu_s']:.1f} s, wall {r['wall_s']:.1f} s (one process, one core at most)")
    print(f"communications per CPU-second {r['communications'] / r['cpu_s']:>10,.1f}")
    print(f"PDUs per CPU-second           {pdus_per_cpu_s:>10,.0f}")
    print(
        f"audio-minutes per CPU-second  {r['audio_minutes'] / r['cpu_s']:>10,.1f} "
        f"(both directions counted; call-minutes: half)"
    )
    print(f"concurrent calls one core keeps up with: {pdus_per_cpu_s / 100:,.0f}")
    print(
        f"peak RSS                    {r['peak_rss_mib']:>10,.0f} MiB "
        f"(high-water mark; {r['rss_before_mib']:,.0f} MiB once the vault was open)"
    )
    print(
        f"RSS while assembling        {r['rss_assembling_mib']:>10,.0f} MiB "
        f"(largest after a step; {r['rss_start_mib']:,.0f} MiB before the first)"
    )
    verdict = "keeps up" if pdus_per_cpu_s >= TARGET_PDUS_PER_S else "does NOT keep up"
    print(f"handover target {TARGET_PDUS_PER_S:,} CC PDUs/s on one core: {verdict} "
          f"({pdus_per_cpu_s / TARGET_PDUS_PER_S:.0%})")  # fmt: skip


if __name__ == "__main__":
    main()
