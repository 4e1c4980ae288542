"""The handover stage alone, as `custodio serve` opens it, for the benchmark.

    .venv/bin/python benchmarks/handover_receiver.py DATA_DIR

`custodio serve` also runs the HTTP service and, since the assembly stage was wired in,
the assembler that consumes the journal in the same process: its CPU is counted with the
receiver's there. This process runs only what ``custodio.handover.runtime.Handover`` opens
(journal, quarantine, both listeners on free ports, no TLS), prints the three lines that
`custodio serve` prints first (an ``stdin://`` line standing for the HTTP one), then
answers each line read on stdin with one JSON line: an empty line, the receiver's health
counters; ``durable``, only the count of PDUs durable (cheap enough to poll: health sorts the
delays); ``mark``, the number of socket→durable delays recorded so far; ``delays N``, the
p50/p99/max of all the delays recorded, and of those after the first N (the receiver keeps
the latest 20,000 only; here every one is kept, for the whole run).
"""

from __future__ import annotations

import asyncio
import collections
import json
import sys
from pathlib import Path

from custodio import config as config_module
from custodio.handover.runtime import Handover, quiet_collector


async def main(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)  # `custodio init` makes it for serve
    handover = Handover.open(config_module.defaults(data_dir), None)
    quiet_collector()  # as `custodio serve` does
    bound = await handover.start(("127.0.0.1", 0), ("127.0.0.1", 0))
    print("receiver health on stdin://", flush=True)
    for b in bound:
        print(f"{b.name} listening on {b}", flush=True)
    receiver = handover.receiver
    receiver.delays_ns = collections.deque()  # every delay of the run, not the latest only
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command, *rest = line.split() or [""]
            if command == "durable":
                answer: object = {"pdus_durable": receiver.stats.pdus_durable}
            elif command == "mark":
                answer = len(receiver.delays_ns)
            elif command == "delays":
                delays = list(receiver.delays_ns)
                answer = {"all": _spread(delays), "after": _spread(delays[int(rest[0]) :])}
            else:
                answer = handover.health()
            print(json.dumps(answer), flush=True)
    finally:
        await handover.stop()


def _spread(delays_ns: list[int]) -> dict[str, float]:
    ordered = sorted(delays_ns) or [0]

    def ms(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6, 1)

    return {"p50": ms(0.5), "p99": ms(0.99), "max": ms(1.0), "reads": len(delays_ns)}


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
