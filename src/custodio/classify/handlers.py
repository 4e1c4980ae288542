"""The kinds of job this Custodio runs, and the function that runs each.

The executors install them before their first job (:func:`install`); the jobs module
itself knows no kind (its runner looks a kind up in what was registered). The
classification pipeline is imported on its first job, not before: it loads the speech
libraries, which a process that never classifies (``custodio serve`` with the dramatiq
executor, the CLI) does not need.
"""

from __future__ import annotations

from custodio.classify import jobs
from custodio.classify.jobs import Job, JobContext


def classify(ctx: JobContext, job: Job) -> None:
    """A ``classify`` job: the pipeline on one communication."""
    from custodio.classify import pipeline  # noqa: PLC0415 (on first use: see above)

    pipeline.run(ctx, job)


def install() -> None:
    """Register every kind's handler (idempotent)."""
    jobs.register(jobs.CLASSIFY, classify)
