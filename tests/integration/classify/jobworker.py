"""A real, slow, idempotent job handler, and a worker process running it, for the tests.

The handler ``test.mark`` does real work in the catalog in two transactions, as a real
classification run does: it replaces its own labels of the communication with a
``partial`` one, sleeps (``JOBS_TEST_SLEEP`` seconds — the window in which a test kills
the worker), then replaces them with the ``final`` one. Each run also leaves a file
``<job>-<pid>-<time>`` in ``JOBS_TEST_DIR``, so a test can see which process ran what.

    python -m tests.integration.classify.jobworker local|dramatiq

runs a worker process on the data directory ``CUSTODIO_DATA`` (settings from its
custodio.toml and ``CUSTODIO_*``, the vault unlocked with CUSTODIO_VAULT_PASSPHRASE)
exactly as ``custodio serve`` (local) or ``custodio worker`` (dramatiq) do, with this
handler registered (the real ``classify`` handler needs speech models; these tests are
about the machinery). SIGTERM stops it after the jobs in progress.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from custodio import config
from custodio.access import vaults
from custodio.classify.executors import LocalExecutor
from custodio.classify.executors.distributed import run_worker
from custodio.classify.jobs import Job, JobContext, register
from custodio.db import Database, Tx
from custodio.db.times import now_text

KIND = "test.mark"


def mark(ctx: JobContext, job: Job) -> None:
    runs = Path(os.environ["JOBS_TEST_DIR"])
    (runs / f"{job.id}-{os.getpid()}-{time.time_ns()}").write_text(str(job.attempts))
    ctx.db.write(lambda tx: _replace(tx, job, "partial"))
    time.sleep(float(os.environ.get("JOBS_TEST_SLEEP", "0")))
    ctx.db.write(lambda tx: _replace(tx, job, "final"))


def _replace(tx: Tx, job: Job, value: str) -> None:
    tx.execute(
        "DELETE FROM labels WHERE communication_id = ? AND owner = ?", (job.communication_id, KIND)
    )
    tx.execute(
        "INSERT INTO labels (communication_id, case_id, label_key, owner, kind, value, "
        "confidence, source, detail, created_at) VALUES (?, ?, ?, ?, 'test', ?, 1.0, ?, ?, ?)",
        (job.communication_id, job.case_id, f"mark:{job.communication_id}", KIND, value,
         KIND, json.dumps({"pid": os.getpid(), "generation": job.generation}), now_text()),
    )  # fmt: skip


def main(mode: str) -> None:
    cfg = config.load(config.data_dir_from(None))
    db = Database(cfg.catalog_url)
    vault = vaults.open_vault(cfg, db, lambda name, prompt: os.environ[f"CUSTODIO_{name}"])
    ctx = JobContext(cfg, db, vault)
    register(KIND, mark)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    print("ready", flush=True)
    if mode == "local":
        executor = LocalExecutor(ctx, workers=cfg.settings.jobs_workers, poll_seconds=0.2)
        executor.start()
        stop.wait()
        executor.stop()
    else:
        run_worker(ctx, stop)
    db.close()
    print("stopped", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
