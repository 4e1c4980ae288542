"""The receiver end to end: the operator simulator on loopback driving `custodio serve`.

    .venv/bin/python benchmarks/handover.py [--calls 200] [--concurrency 100] [--duration 10]
        [--replay N] [--corpus FILE]

It initialises a scratch data directory, starts `custodio serve` as a subprocess, runs the
simulator (profile mobile, fast mode, in this process) and reports, from the server's
/health counters and /proc: PDUs/s and MB/s made durable in the journal, the server's CPU
time per PDU, the p50/p99 delay from reading a PDU off the socket to its batch being
durable; then decodes a sample of the same PDUs (read back from the journal) with
custodio's walker and with asn1tools (as benchmarks/handover_decode.py does).

With ``--replay N`` it then starts a second, fresh `custodio serve` and plays the streams
the simulator sent (read back from the first journal, one stream per connection), N copies
of each at once, as fast as the server accepts them (see handover_replay.py): the
simulator encodes in Python and cannot offer more than ≈ 30,000 PDUs/s, the replay offers
what the receiver can take. ``--corpus FILE`` keeps those streams in FILE and, when FILE
exists, skips the simulator run.
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

sys.path.insert(0, str(Path(__file__).parent))
from handover_decode import asn1tools_decoder, rate
from handover_replay import Stream, load, record, replay, save

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
    parser.add_argument("--replay", type=int, default=0, help="copies of each recorded stream")
    parser.add_argument("--corpus", type=Path, help="file keeping the recorded streams")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="custodio-bench-") as scratch:
        if args.corpus is not None and args.corpus.exists():
            streams = load(args.corpus)
        else:
            streams = simulated(args, Path(scratch) / "sim")
            if args.corpus is not None:
                save(args.corpus, streams)
        if args.replay:
            replayed(streams, args.replay, Path(scratch) / "replay")
        sample = [p for s in streams if s.channel == 3 for p in _split(s.data, 2000)]
        decode_rates(sample[:2000], args.seconds)


def _split(data: bytes, limit: int) -> list[bytes]:
    from custodio.handover.pdu import StreamFramer  # noqa: PLC0415

    return [bytes(p) for p in StreamFramer().feed(data)[0][:limit]]


def environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    env |= {
        "CUSTODIO_DATA": f"{scratch}/data",
        "CUSTODIO_PASSWORD": "benchmark-password",
        "CUSTODIO_VAULT_PASSPHRASE": "benchmark-passphrase",
        "XDG_STATE_HOME": f"{scratch}/state",
    }
    subprocess.run([*CUSTODIO, "init"], env=env, check=True, capture_output=True)
    return env


def simulated(args: argparse.Namespace, scratch: Path) -> list[Stream]:
    """Run the simulator against a server; the streams it sent, read back from the journal."""
    env = environment(scratch)
    proc, (http, hi2, hi3) = start(env)
    try:
        run_load(args, proc.pid, http, hi2, hi3)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return record(scratch / "data" / "journal")


def replayed(streams: list[Stream], copies: int, scratch: Path) -> None:
    """Play ``copies`` of each stream at once into a fresh server; report as run_load does."""
    env = environment(scratch)
    proc, (http, hi2, hi3) = start(env)
    try:
        total = copies * sum(s.pdus for s in streams)
        octets = copies * sum(len(s.data) for s in streams)
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        replay(streams * copies, pair(hi2), pair(hi3))
        while (h := health(http))["pdus_durable"] < total:
            time.sleep(0.005)
        elapsed, cpu = time.monotonic() - t0, cpu_seconds(proc.pid) - cpu0
        print(f"replay: {copies} x {len(streams)} recorded streams at once, {octets / 1e6:.1f} MB")
        summary(int(h["pdus_durable"]), elapsed, cpu, h)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


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
    summary(n, elapsed, cpu, h)
    return n


def summary(n: int, elapsed: float, cpu: float, h: dict[str, float]) -> None:
    print(f"durable in the journal: {n:,} PDUs in {elapsed:.2f} s")
    print(f"  {n / elapsed:>12,.0f} PDUs/s   {h['bytes_durable'] / elapsed / 1e6:8.1f} MB/s")
    print(f"  server CPU {cpu:.2f} s = {cpu / n * 1e6:.1f} µs per PDU")
    print(f"  socket -> durable delay p50 {h['delay_ms_p50']} ms, p99 {h['delay_ms_p99']} ms")
    journal_stats = f"{h['journal_durable_seq']:,.0f} records"
    print(f"  journal: {journal_stats}, malformed {h['malformed']}, gaps {h['sequence']}")


def decode_rates(pdus: list[bytes], seconds: float) -> None:
    size = sum(map(len, pdus)) / len(pdus)
    print(f"decode of {len(pdus)} of those HI3 PDUs (mean {size:.0f} octets), one core:")
    ours = rate("custodio decode (validating walk)", decode, pdus, seconds)
    ref = asn1tools_decoder()
    if ref is None:
        print("asn1tools or the reference ASN.1 missing: skipped")
        return
    theirs = rate("asn1tools PS-PDU decode", ref, pdus, seconds)
    print(f"{'  custodio / asn1tools':<34} {ours / theirs:>12.1f} x")


if __name__ == "__main__":
    main()
