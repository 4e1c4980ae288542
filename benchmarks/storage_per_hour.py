"""Bytes the vault stores per hour of intercepted call, against the bytes received.

One hour of a VoIP call as an operator delivers it: G.711 A-law at 50 packets/s per
direction, each packet a whole IPv4/UDP/RTP packet in a TS 102 232-5 IPMMCC PS-PDU.
The speech is espeak-ng (a Spanish and an English voice, taking turns; silence while the
other speaks) through sox at 8 kHz A-law. What is stored, through the real path:

- the original PDUs as received: journal segments (record headers and routing fields
  included), each put into the vault as one object (kind ``journal``);
- derived audio: one A-law WAV per direction (exactly the received samples), and a
  stereo 16-bit PCM WAV listening copy (what browsers play).

    .venv/bin/python benchmarks/storage_per_hour.py [--minutes 60]
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from custodio.etsi import encode, pdu
from custodio.journal import Journal
from custodio.journal.format import SEGMENT_SUFFIX
from custodio.vault.backends.fs import DirectoryBackend
from custodio.vault.envelope import Kind
from custodio.vault.index import MemoryIndex
from custodio.vault.providers.keyfile import KeyFileProvider
from custodio.vault.store import Vault

RATE, PACKET = 8000, 160  # samples/s, samples (bytes) per 20 ms packet
ALAW_SILENCE = 0xD5
LINES = {
    "es": "Hola, soy yo. Mañana a las nueve en el puerto, trae el paquete y no llames a nadie. "
    "El número nuevo es el seis cero cero uno dos tres cuatro cinco seis.",
    "en": "Yes, I understand. The money goes to the account we talked about, the transfer "
    "is on Tuesday. Call me from the other phone when you arrive.",
}


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True)


def clip(voice: str, text: str, work: Path) -> Path:
    """espeak-ng speech resampled to 8 kHz mono 16-bit."""
    raw, out = work / f"{voice}-espeak.wav", work / f"{voice}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
    sox(str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out))
    return out


def seconds(path: Path) -> float:
    done = subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True)
    return float(done.stdout)


def direction(speaks: Path, waits: float, first: bool, minutes: float, work: Path) -> bytes:
    """One side of the call: its turns, silent while the other speaks, over line noise,
    as A-law samples (noise makes every second differ, as on a real line)."""
    name = speaks.stem
    turn = work / f"{name}-turn.wav"
    pad = ("pad", f"{waits}", "0") if first else ("pad", "0", f"{waits}")
    sox(str(speaks), str(turn), *pad)
    repeats = int(minutes * 60 / seconds(turn)) + 1
    turns, noise, mixed = (
        work / f"{name}-turns.wav",
        work / f"{name}-noise.wav",
        work / f"{name}.al",
    )
    sox(str(turn), str(turns), "repeat", str(repeats), "trim", "0", f"{minutes * 60}")
    sox(
        "-n",
        "-r",
        str(RATE),
        "-c",
        "1",
        "-b",
        "16",
        str(noise),
        "synth",
        f"{minutes * 60}",
        "brownnoise",
        "vol",
        "0.02",
    )
    sox("-m", str(turns), str(noise), "-e", "a-law", "-t", "raw", str(mixed))
    return mixed.read_bytes()


def conversation(minutes: float, work: Path) -> tuple[bytes, bytes]:
    """Two directions of equal length: each speaks in turn while the other is silent."""
    a, b = clip("es", LINES["es"], work), clip("en", LINES["en"], work)
    target = direction(a, seconds(b), False, minutes, work)
    other = direction(b, seconds(a), True, minutes, work)
    n = min(len(target), len(other))
    return target[:n], other[:n]


def ip_udp_rtp(seq: int, payload: bytes, src: str, dst: str) -> bytes:
    rtp = struct.pack("!BBHII", 0x80, 8, seq & 0xFFFF, seq * PACKET & 0xFFFFFFFF, 0x1234) + payload
    udp = struct.pack("!HHHH", 40000, 40002, 8 + len(rtp), 0) + rtp
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0xB8,
        20 + len(udp),
        seq & 0xFFFF,
        0,
        64,
        17,
        0,
        bytes(map(int, src.split("."))),
        bytes(map(int, dst.split("."))),
    )
    return header + udp


def call_pdus(target: bytes, other: bytes) -> list[bytes]:
    start = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    pdus, seq = [], 0
    for i in range(len(target) // PACKET):
        at = start + timedelta(milliseconds=20 * i)
        for direction, audio, src, dst in (
            (pdu.Direction.FROM_TARGET, target, "10.0.0.1", "10.0.0.2"),
            (pdu.Direction.TO_TARGET, other, "10.0.0.2", "10.0.0.1"),
        ):
            h = encode.Header(
                liid=b"ES-LI-0001",
                operator_id=b"movistar",
                sequence_number=seq,
                cin=77,
                network_element_id=b"sbc-1",
                timestamp=at,
            )
            packet = ip_udp_rtp(i, audio[i * PACKET : (i + 1) * PACKET], src, dst)
            pdus.append(
                encode.cc_ipmm(
                    h, packet, direction=direction, frame_type=pdu.FrameType.IP, timestamp=at
                )
            )
            seq += 1
    return pdus


def wav(samples: bytes, *, channels: int, bits: int, fmt: int) -> bytes:
    rate = RATE * channels * bits // 8
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(samples),
        b"WAVE",
        b"fmt ",
        16,
        fmt,
        channels,
        RATE,
        rate,
        channels * bits // 8,
        bits,
        b"data",
        len(samples),
    )
    return header + samples


def alaw_to_pcm16(byte: int) -> int:
    a = byte ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = t + 8 if seg == 0 else (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


def stereo(target: bytes, other: bytes) -> bytes:
    table = [struct.pack("<h", alaw_to_pcm16(b)) for b in range(256)]
    return b"".join(table[t] + table[o] for t, o in zip(target, other, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        work = Path(tmp)
        target, other = conversation(args.minutes, work)
        pdus = call_pdus(target, other)
        received = sum(len(p) for p in pdus)
        journal = Journal.open(work / "journal")
        for i in range(0, len(pdus), 5000):
            batch = pdus[i : i + 5000]
            journal.append_sync([(pdu.to_routing(pdu.decode(p), 3, "bench"), p) for p in batch])
        journal.close_sync()
        provider = KeyFileProvider.create(work / "keys", "bench", scrypt_n=2**14)
        vault = Vault(DirectoryBackend(work / "vault"), MemoryIndex(), provider)
        start = time.process_time()
        segments = sorted((work / "journal" / "segments").glob(f"*{SEGMENT_SUFFIX}"))
        journal_bytes = sum(p.stat().st_size for p in segments)
        stored_pdus = 0
        for seg in segments:
            with seg.open("rb") as f:
                stored_pdus += vault.put_file("C", Kind.JOURNAL, f).stored_size
        audio = {
            "target A-law WAV": wav(target, channels=1, bits=8, fmt=6),
            "other A-law WAV": wav(other, channels=1, bits=8, fmt=6),
            "stereo PCM WAV": wav(stereo(target, other), channels=2, bits=16, fmt=1),
        }
        stored_audio = {k: vault.put("C", Kind.AUDIO, v).stored_size for k, v in audio.items()}
        cpu = time.process_time() - start
    hours = args.minutes / 60
    mb = 1e6
    print(
        f"call: {args.minutes:g} min, {len(pdus)} CC PDUs, {received / mb:.1f} MB received "
        f"({received / len(pdus):.0f} B/PDU)"
    )
    print(
        f"journal segments: {journal_bytes / mb:.1f} MB -> vault {stored_pdus / mb:.1f} MB "
        f"({journal_bytes / stored_pdus:.2f}x)"
    )
    for name, size in stored_audio.items():
        raw = len(audio[name])
        print(f"{name}: {raw / mb:.1f} MB -> vault {size / mb:.1f} MB ({raw / size:.2f}x)")
    total = stored_pdus + sum(stored_audio.values())
    audio_total = sum(stored_audio.values())
    print(
        f"stored per hour of call: {total / hours / mb:.1f} MB "
        f"(PDUs {stored_pdus / hours / mb:.1f} + audio {audio_total / hours / mb:.1f});"
        f" received per hour: {received / hours / mb:.1f} MB; stored/received "
        f"{total / received:.2f}"
    )
    print(f"vault CPU for it: {cpu:.1f} s")


if __name__ == "__main__":
    main()
