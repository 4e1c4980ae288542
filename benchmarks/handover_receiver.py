"""The handover stage alone, as `custodio serve` opens it, for the benchmark.

    .venv/bin/python benchmarks/handover_receiver.py DATA_DIR

`custodio serve` also runs the HTTP service and, since the assembly stage was wired in,
the assembler that consumes the journal in the same process: its CPU is counted with the
receiver's there. This process runs only what ``custodio.handover.runtime.Handover`` opens
(journal, quarantine, both listeners on free ports, no TLS), prints the three lines that
`custodio serve` prints first (an ``stdin://`` line standing for the HTTP one), then
answers each line read on stdin with the receiver's health counters as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from custodio import config as config_module
from custodio.handover.runtime import Handover


async def main(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)  # `custodio init` makes it for serve
    handover = Handover.open(config_module.defaults(data_dir), None)
    bound = await handover.start(("127.0.0.1", 0), ("127.0.0.1", 0))
    print("receiver health on stdin://", flush=True)
    for b in bound:
        print(f"{b.name} listening on {b}", flush=True)
    loop = asyncio.get_running_loop()
    try:
        while await loop.run_in_executor(None, sys.stdin.readline):
            print(json.dumps(handover.health()), flush=True)
    finally:
        await handover.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
