"""Decode rate of real mediator CC PDUs: custodio's walker vs pycrate and asn1tools.

    .venv/bin/python benchmarks/handover_decode.py [--seconds 2]

The PDUs are the 100 OpenLI IPMMCC PDUs of tests/assets/captures/etsi_file.test. asn1tools
compiles the reference modules from ../shared/reference/asn1/patched-full-set; pycrate has
no LI-PS-PDU module, so it compiles the same text at start (skipped if either is missing).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from custodio.etsi.pdu import StreamFramer, decode, frame_length

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT / "tests" / "assets" / "captures" / "etsi_file.test"
ASN1 = ROOT.parent / "shared" / "reference" / "asn1" / "patched-full-set"


def rate(label: str, fn: Callable[[bytes], object], pdus: list[bytes], seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for pdu in pdus:
            fn(pdu)
        done += len(pdus)
    per_s = done / (time.perf_counter() - start)
    print(f"{label:<34} {per_s:>12,.0f} PDUs/s")
    return per_s


def frame_only(stream: bytes) -> Callable[[bytes], object]:
    def run(_: bytes) -> object:
        pos = 0
        while (n := frame_length(stream, pos)) is not None:
            pos += n
        return pos

    return run


def asn1tools_decoder() -> Callable[[bytes], object] | None:
    try:
        import asn1tools  # noqa: PLC0415
    except ImportError:
        return None
    if not ASN1.is_dir():
        return None
    spec = asn1tools.compile_files(sorted(str(p) for p in ASN1.iterdir()), "ber")
    return lambda pdu: spec.decode("PS-PDU", pdu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    data = CAPTURE.read_bytes()
    pdus = [bytes(p) for p in StreamFramer().feed(data)[0]]
    size = sum(map(len, pdus)) / len(pdus)
    print(f"{len(pdus)} HI3 PDUs (IPMMCC, mean {size:.0f} octets), one core")
    stream_rate = rate("framing alone", frame_only(data), [b""], args.seconds) * len(pdus)
    print(f"{'  = PDUs framed':<34} {stream_rate:>12,.0f} PDUs/s")
    ours = rate("custodio decode (validating walk)", decode, pdus, args.seconds)
    ref = asn1tools_decoder()
    if ref is not None:
        theirs = rate("asn1tools PS-PDU decode", ref, pdus, args.seconds)
        print(f"{'  custodio / asn1tools':<34} {ours / theirs:>12.1f} x")
    else:
        print("asn1tools or the reference ASN.1 missing: skipped")


if __name__ == "__main__":
    main()
