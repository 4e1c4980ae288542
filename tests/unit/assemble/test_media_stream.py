"""Streams decode as packets arrive: bounded memory, the same octets as a sorted batch."""

from __future__ import annotations

import random
from pathlib import Path

from custodio.assemble import media, spool
from custodio.assemble.spool import Spool
from custodio.assemble.wav import PCMA, PCMU, SILENCE
from custodio.etsi.rtp import RTPPacket


def _packets(n: int, codec: int = PCMA, seq0: int = 65500) -> list[RTPPacket]:
    rng = random.Random(n)
    return [
        RTPPacket((seq0 + i) & 0xFFFF, (7 + 160 * i) & 0xFFFFFFFF, 1, codec,
                  bytes(rng.randrange(256) for _ in range(160)))
        for i in range(n)
    ]  # fmt: skip


def _audio(packets: list[RTPPacket], spool_: Spool = spool.MEMORY) -> media.Audio:
    stream = media.Stream(("rtp",), spool=spool_)
    for p in packets:
        stream.add_rtp(p, "target", None)
        assert len(stream._window) <= media.WINDOW  # bounded, whatever the length
    return media.join([stream])


def test_in_order_with_wrap_duplicates_and_reordering_gives_the_sent_octets() -> None:
    sent = _packets(400)
    shuffled = list(sent)
    for i in range(0, 390, 10):  # reordered inside the window
        shuffled[i], shuffled[i + 5] = shuffled[i + 5], shuffled[i]
    audio = _audio(shuffled + sent[100:110])  # ten duplicates, late
    assert audio.samples == b"".join(p.payload for p in sent)
    assert audio.gaps == () and audio.packets == 400 and audio.duplicates == 10


def test_a_packet_later_than_the_window_still_fills_its_hole() -> None:
    sent = _packets(300)
    late = sent[20]
    audio = _audio(sent[:20] + sent[21:] + [late])
    assert audio.samples == b"".join(p.payload for p in sent)
    assert audio.gaps == () and audio.packets == 300 and audio.late == 0


def test_a_lost_packet_is_silence_and_a_recorded_gap() -> None:
    sent = _packets(200)
    audio = _audio(sent[:50] + sent[51:])
    silence = bytes((SILENCE[PCMA],)) * 160
    assert audio.samples == b"".join(p.payload for p in sent[:50]) + silence + b"".join(
        p.payload for p in sent[51:]
    )
    assert [(g.at_sample, g.samples) for g in audio.gaps] == [(50 * 160, 160)]


def test_mu_law_is_kept_as_mu_law() -> None:
    sent = _packets(100, PCMU)
    audio = _audio(sent)
    assert audio.codec == PCMU and audio.samples == b"".join(p.payload for p in sent)


def test_long_streams_spool_to_files_not_memory(tmp_path: Path) -> None:
    sent = _packets(2000)  # 40 s: 320,000 octets, flushed to the file every 16 KiB
    spooled = Spool(tmp_path / "spool")
    stream = media.Stream(("rtp",), spool=spooled)
    for p in sent:
        stream.add_rtp(p, "target", None)
    assert len(stream.sink.tail) < spool.FLUSH_BYTES
    assert stream.sink.path is not None and stream.sink.path.stat().st_size >= 250_000
    assert media.join([stream]).samples == b"".join(p.payload for p in sent)
    stream.discard()
    assert list((tmp_path / "spool").iterdir()) == []


def test_a_late_packet_fills_a_hole_already_flushed_to_the_file(tmp_path: Path) -> None:
    sent = _packets(1000)
    stream = media.Stream(("rtp",), spool=Spool(tmp_path / "spool"))
    for p in sent[:10] + sent[11:]:
        stream.add_rtp(p, "target", None)
    stream.add_rtp(sent[10], "target", None)
    audio = media.join([stream])
    assert audio.samples == b"".join(p.payload for p in sent) and audio.gaps == ()


def test_pstn_frames_of_one_direction_step_by_two() -> None:
    stream = media.Stream(("pstn",))
    frames = [bytes([i % 256]) * 160 for i in range(100)]
    for i, frame in enumerate(frames):
        if i != 40:
            stream.add_frame(1000 + 2 * i, frame, "target", None)
    audio = media.join([stream])
    silence = bytes((SILENCE[PCMA],)) * 160
    assert audio.samples == b"".join(frames[:40]) + silence + b"".join(frames[41:])
