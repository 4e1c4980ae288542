"""The receiver end to end: the operator simulator on loopback driving `custodio serve`.

    .venv/bin/python benchmarks/handover.py [--calls 200] [--concurrency 100] [--duration 10]

It initialises a scratch data directory, starts `custodio serve` as a subprocess, runs the
simulator (profile mobile, fast mode, in this process) and reports, from the server's
/health counters and /proc: PDUs/s and MB/s made durable in the journal, the server's CPU
time per PDU, the p50/p99 delay from reading a PDU off the socket to its batch being
durable; then decodes a sample of the same PDUs (read back from the journal) with
custodio's walker and with asn1tools (as benchmarks/handover_decode.py does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from custodio.handover.pdu import decode
from custodio.handover.simulator import Options, simulate
from custodio.journal import Journal

sys.path.insert(0, str(Path(__file__).parent))
from handover_decode import asn1tools_decoder, rate

CUSTODIO = [sys.executable, "-m", "custodio.access.cli.main"]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def health(http: str) -> dict[str, float]:
    with urllib.request.urlopen(f"http://{http}/health", timeout=5) as reply:
        return dict(json.loads(reply.read())["handover"])


def start(env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    args = ["serve", "--http", "127.0.0.1:0", "--hi2", "127.0.0.1:0", "--hi3", "127.0.0.1:0"]
    proc = subprocess.Popen(
        [*CUSTODIO, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    where = [proc.stdout.readline().split("://", 1)[1].split("/")[0].strip() for _ in range(3)]
    return proc, where


def pair(text: str) -> tuple[str, int]:
    host, port = text.rsplit(":", 1)
    return host, int(port)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of audio per call")
    parser.add_argument("--seconds", type=float, default=2.0, help="per decode measurement")
    parser.add_argument("--realtime", action="store_true", help="pace audio at 50 packets/s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="custodio-bench-") as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
        env |= {
            "CUSTODIO_DATA": f"{scratch}/data",
            "CUSTODIO_PASSWORD": "benchmark-password",
            "CUSTODIO_VAULT_PASSPHRASE": "benchmark-passphrase",
            "XDG_STATE_HOME": f"{scratch}/state",
        }
        subprocess.run([*CUSTODIO, "init"], env=env, check=True, capture_output=True)
        proc, (http, hi2, hi3) = start(env)
        try:
            durable = run_load(args, proc.pid, http, hi2, hi3)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        decode_rates(Path(scratch) / "data" / "journal", durable, args.seconds)


def run_load(args: argparse.Namespace, pid: int, http: str, hi2: str, hi3: str) -> int:
    options = Options(
        hi2=pair(hi2), hi3=pair(hi3), calls=args.calls, concurrency=args.concurrency,
        connections=args.connections, duration=args.duration, realtime=args.realtime, seed=1,
    )  # fmt: skip
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    report = asyncio.run(simulate(options))
    while (h := health(http))["pdus_durable"] < report.pdus_sent + report.keepalives_sent:
        time.sleep(0.01)
    elapsed, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
    n = int(h["pdus_durable"])
    pace = "real time" if args.realtime else "as fast as accepted"
    calls = f"{report.calls} calls of {args.duration:g} s"
    print(f"simulator: {calls}, {pace}, {args.concurrency} at a time")
    print(f"  {report.pdus_sent:,} PDUs, {report.bytes_sent / 1e6:.1f} MB, audio {report.audio}")
    print(f"durable in the journal: {n:,} PDUs in {elapsed:.2f} s")
    print(f"  {n / elapsed:>12,.0f} PDUs/s   {h['bytes_durable'] / elapsed / 1e6:8.1f} MB/s")
    print(f"  server CPU {cpu:.2f} s = {cpu / n * 1e6:.1f} µs per PDU")
    print(f"  socket -> durable delay p50 {h['delay_ms_p50']} ms, p99 {h['delay_ms_p99']} ms")
    journal_stats = f"{h['journal_durable_seq']:,.0f} records"
    print(f"  journal: {journal_stats}, malformed {h['malformed']}, gaps {h['sequence']}")
    return n


def decode_rates(journal_dir: Path, durable: int, seconds: float) -> None:
    journal = Journal.open(journal_dir)
    try:
        records = journal.read(max(0, durable - 3000), 2000)
    finally:
        journal.close_sync()
    pdus = [r.pdu for r in records]
    size = sum(map(len, pdus)) / len(pdus)
    print(f"decode of {len(pdus)} of those PDUs (mean {size:.0f} octets), one core:")
    ours = rate("custodio decode (validating walk)", decode, pdus, seconds)
    ref = asn1tools_decoder()
    if ref is None:
        print("asn1tools or the reference ASN.1 missing: skipped")
        return
    theirs = rate("asn1tools PS-PDU decode", ref, pdus, seconds)
    print(f"{'  custodio / asn1tools':<34} {ours / theirs:>12.1f} x")


if __name__ == "__main__":
    main()
