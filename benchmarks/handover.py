"""The receiver end to end: the operator simulator on loopback driving `custodio serve`.

    .venv/bin/python benchmarks/handover.py [--calls 200] [--concurrency 100] [--duration 10]
        [--replay N] [--rate PDUS_PER_S] [--corpus FILE] [--receiver-only] [--no-decode]

It initialises a scratch data directory, starts `custodio serve` as a subprocess, runs the
simulator (profile mobile, fast mode, in this process) and reports, from the server's
/health counters and /proc: PDUs/s and MB/s made durable in the journal, the server's CPU
time per PDU, the p50/p99 delay from reading a PDU off the socket to its batch being
durable; then decodes a sample of the same HI3 PDUs with custodio's walker, with the
recognised-layout path the listener takes, and with asn1tools.

With ``--replay N`` it then starts a second, fresh server and plays the streams the
simulator sent (read back from the first journal, one stream per connection), N copies of
each at once, as fast as the server accepts them (see handover_replay.py) or at ``--rate``
PDUs/s in all: the simulator encodes in Python and cannot offer more than ≈ 30,000
PDUs/s. ``--corpus FILE`` keeps those streams in FILE and, when FILE exists, skips the
simulator run. ``--receiver-only`` runs benchmarks/handover_receiver.py instead of
`custodio serve`: the handover stage without the assembler that `serve` runs beside it.
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
from typing import Any

from custodio.etsi.pdu import Mark, StreamFramer, decode
from custodio.handover.layout import Recognizer
from custodio.simulator.mediator import Options, simulate

sys.path.insert(0, str(Path(__file__).parent))
from handover_decode import asn1tools_decoder, rate
from handover_replay import Stream, load, record, replay, save

CUSTODIO = [sys.executable, "-m", "custodio.client.main"]
RECEIVER = [sys.executable, str(Path(__file__).parent / "handover_receiver.py")]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    return sum(cpu_split(pid))


def cpu_split(pid: int) -> tuple[float, float]:
    """CPU seconds of ``pid`` so far: (user, system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS  # utime, stime


def pair(text: str) -> tuple[str, int]:
    host, port = text.rsplit(":", 1)
    return host, int(port)


class Server:
    """`custodio serve` (or the receiver alone) on free loopback ports in a scratch dir."""

    def __init__(self, scratch: Path, *, receiver_only: bool) -> None:
        self.data = scratch / "data"
        if receiver_only:
            command, env = [*RECEIVER, str(self.data)], dict(os.environ)
        else:
            env = _environment(scratch)
            command = [*CUSTODIO, "serve", "--http", "127.0.0.1:0"]
            command += ["--hi2", "127.0.0.1:0", "--hi3", "127.0.0.1:0"]
        self.proc = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        lines = [self.proc.stdout.readline() for _ in range(3)]
        self.http, self.hi2, self.hi3 = (
            ln.split("://", 1)[1].split("/")[0].strip() for ln in lines
        )
        self.receiver_only = receiver_only
        self.mark: int | None = None  # delays recorded by the end of the warm-up

    def health(self) -> dict[str, float]:
        if self.receiver_only:
            return dict(self.ask(""))
        with urllib.request.urlopen(f"http://{self.http}/health", timeout=60) as reply:
            return dict(json.loads(reply.read())["handover"])

    def ask(self, line: str) -> Any:
        """One request to the receiver alone (see handover_receiver.py), its answer."""
        assert self.receiver_only and self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def assembler_cpu(self) -> float:
        """CPU seconds of serve's assembler process so far (0 for the receiver alone)."""
        if self.receiver_only:
            return 0.0
        with urllib.request.urlopen(f"http://{self.http}/health", timeout=60) as reply:
            pid = int(json.loads(reply.read())["assembly"].get("pid", 0))
        return cpu_seconds(pid) if pid else 0.0

    def wait_durable(self, total: int, warmup: float | None = None) -> dict[str, float]:
        """Wait until ``total`` PDUs are durable; the health counters then. Polling stays
        cheap (health sorts the delays: ≈ 3 ms of the receiver's loop each time): the
        receiver alone is asked for its count only, `custodio serve` 4 times a second. With
        ``warmup``, the receiver alone marks the delays recorded after that many seconds."""
        start = time.monotonic()
        while True:
            if warmup is not None and time.monotonic() - start >= warmup:
                self.mark, warmup = int(self.ask("mark")), None
            if self.receiver_only:
                if self.ask("durable")["pdus_durable"] >= total:
                    return self.health()
                time.sleep(0.05)
            else:
                if (h := self.health())["pdus_durable"] >= total:
                    return h
                time.sleep(0.25)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def _environment(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    env |= {
        "CUSTODIO_DATA": f"{scratch}/data",
        "CUSTODIO_PASSWORD": "benchmark-password",
        "CUSTODIO_VAULT_PASSPHRASE": "benchmark-passphrase",
        "XDG_STATE_HOME": f"{scratch}/state",
    }
    subprocess.run([*CUSTODIO, "init"], env=env, check=True, capture_output=True)
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of audio per call")
    parser.add_argument("--seconds", type=float, default=2.0, help="per decode measurement")
    parser.add_argument("--realtime", action="store_true", help="pace audio at 50 packets/s")
    parser.add_argument("--replay", type=int, default=0, help="copies of each recorded stream")
    parser.add_argument("--rate", type=float, help="replay at this many PDUs/s in all")
    parser.add_argument("--corpus", type=Path, help="file keeping the recorded streams")
    parser.add_argument("--receiver-only", action="store_true", help="no assembler beside it")
    parser.add_argument("--no-decode", action="store_true", help="skip the decode rates")
    parser.add_argument(
        "--warmup", type=float, default=5.0,
        help="receiver alone: also report the delays after this many seconds of replay",
    )  # fmt: skip
    args = parser.parse_args()
    print("load average (1, 5, 15 min) at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="custodio-bench-") as scratch:
        if args.corpus is not None and args.corpus.exists():
            streams = load(args.corpus)
        else:
            streams = simulated(args, Path(scratch) / "sim")
            if args.corpus is not None:
                save(args.corpus, streams)
        if args.replay:
            replayed(args, streams, Path(scratch) / "replay")
        if not args.no_decode:
            sample = [bytes(p) for s in streams if s.channel == 3 for p in _pdus(s.data)]
            decode_rates(sample[:2000], args.seconds)
    print("load average (1, 5, 15 min) at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def _pdus(data: bytes) -> list[memoryview]:
    return StreamFramer().feed(data[: 4 << 20])[0]


def simulated(args: argparse.Namespace, scratch: Path) -> list[Stream]:
    """Run the simulator against a server; the streams it sent, read back from the journal."""
    server = Server(scratch, receiver_only=args.receiver_only)
    try:
        options = Options(
            hi2=pair(server.hi2), hi3=pair(server.hi3), calls=args.calls,
            concurrency=args.concurrency, connections=args.connections, duration=args.duration,
            realtime=args.realtime, seed=1,
        )  # fmt: skip
        cpu0, t0 = server.cpu(), time.monotonic()
        report = asyncio.run(simulate(options))
        h = server.wait_durable(report.pdus_sent + report.keepalives_sent)
        elapsed, cpu = time.monotonic() - t0, server.cpu() - cpu0
    finally:
        server.stop()
    pace = "real time" if args.realtime else "as fast as accepted"
    calls = f"{report.calls} calls of {args.duration:g} s"
    print(f"simulator: {calls}, {pace}, {args.concurrency} at a time")
    print(f"  {report.pdus_sent:,} PDUs, {report.bytes_sent / 1e6:.1f} MB, audio {report.audio}")
    summary(int(h["pdus_durable"]), elapsed, cpu, h)
    return record(server.data / "journal")


def replayed(args: argparse.Namespace, streams: list[Stream], scratch: Path) -> None:
    """Play ``args.replay`` copies of each stream at once into a fresh server; report."""
    server = Server(scratch, receiver_only=args.receiver_only)
    copies = args.replay
    try:
        total = copies * sum(s.pdus for s in streams)
        octets = copies * sum(len(s.data) for s in streams)
        sys0 = cpu_split(server.proc.pid)[1]
        cpu0, acpu0, t0 = server.cpu(), server.assembler_cpu(), time.monotonic()
        replay(streams * copies, pair(server.hi2), pair(server.hi3), args.rate)
        h = server.wait_durable(total, args.warmup if args.receiver_only else None)
        elapsed, cpu = time.monotonic() - t0, server.cpu() - cpu0
        system = cpu_split(server.proc.pid)[1] - sys0
        assembler = server.assembler_cpu() - acpu0
        spread = server.ask(f"delays {server.mark or 0}") if args.receiver_only else None
    finally:
        server.stop()
    pace = "as fast as accepted" if args.rate is None else f"at {args.rate:,.0f} PDUs/s"
    what = "the receiver alone" if args.receiver_only else "custodio serve"
    print(f"replay into {what}: {copies} x {len(streams)} recorded streams at once, {pace}")
    print(f"  {total:,} PDUs, {octets / 1e6:.1f} MB")
    summary(int(h["pdus_durable"]), elapsed, cpu, h)
    print(f"  of the server's CPU, in the kernel (socket reads, journal writes) {system:.2f} s")
    if spread is not None:
        a, b = spread["all"], spread["after"]
        per = f"{total / max(1, a['reads']):.0f} PDUs each"
        print(f"  {a['reads']:,} reads ({per}), {h['journal_batches']:,} journal batches")
        print(f"  every read of the run: p50 {a['p50']} ms, p99 {a['p99']} ms, max {a['max']} ms")
        if server.mark is not None:
            print(
                f"  after the first {args.warmup:g} s ({b['reads']:,} reads): p50 {b['p50']} ms,"
                f" p99 {b['p99']} ms, max {b['max']} ms"
            )
    if not args.receiver_only:
        print(f"  assembler process CPU meanwhile {assembler:.2f} s (not in the figure above)")


def summary(n: int, elapsed: float, cpu: float, h: dict[str, float]) -> None:
    print(f"durable in the journal: {n:,} PDUs in {elapsed:.2f} s")
    print(f"  {n / elapsed:>12,.0f} PDUs/s   {h['bytes_durable'] / elapsed / 1e6:8.1f} MB/s")
    print(f"  server CPU {cpu:.2f} s = {cpu / n * 1e6:.1f} µs per PDU")
    latest = f"p50 {h['delay_ms_p50']} ms, p99 {h['delay_ms_p99']} ms"
    print(f"  socket -> durable delay (/health, the latest reads) {latest}")
    recognised = f"recognised layouts {h.get('pdus_recognised', 0) / max(1, n):.1%}"
    print(f"  {recognised}, malformed {h['malformed']}, sequence {h['sequence']}")


def recognising() -> object:
    """What the listener does per PDU: a learnt layout, else the full walk (and learn)."""
    recognizer = Recognizer(3)

    def run(pdu: bytes) -> object:
        known = recognizer.match(pdu, 0, len(pdu))
        if known is None:
            marks: list[Mark] = []
            decoded = decode(pdu, marks=marks)
            recognizer.learn(pdu, 0, len(pdu), decoded, marks)
            return decoded
        return known

    return run


def decode_rates(pdus: list[bytes], seconds: float) -> None:
    size = sum(map(len, pdus)) / len(pdus)
    print(f"decode of {len(pdus)} of those HI3 PDUs (mean {size:.0f} octets), one core:")
    ours = rate("custodio decode (validating walk)", decode, pdus, seconds)
    known = rate("custodio recognised layout", recognising(), pdus, seconds)  # type: ignore[arg-type]
    ref = asn1tools_decoder()
    if ref is None:
        print("asn1tools or the reference ASN.1 missing: skipped")
        return
    theirs = rate("asn1tools PS-PDU decode", ref, pdus, seconds)
    print(f"{'  walk / asn1tools':<34} {ours / theirs:>12.1f} x")
    print(f"{'  recognised / asn1tools':<34} {known / theirs:>12.1f} x")


if __name__ == "__main__":
    main()
