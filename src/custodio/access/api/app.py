"""The application factory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter, FastAPI

from custodio import __version__
from custodio.access.api import errors
from custodio.access.api.context import Api
from custodio.access.api.limits import BodyLimit
from custodio.access.api.routes import (
    account,
    audit,
    cases,
    comms,
    evidence,
    notes,
    officers,
    quarantine,
    review,
    search,
    session,
    translations,
    watchlist,
    work,
)
from custodio.access.service import Service
from custodio.vault.store import Vault

PREFIX = "/api/v1"

DESCRIPTION = """The evidence of the cases you work on, through the same policy, purpose
rule and audit log as every other face. Log in with `POST /api/v1/session`, then send the
token as `Authorization: Bearer TOKEN`. Content needs a purpose (`purpose` query parameter
or `X-Custodio-Purpose` header). Errors: `{"error": {"code", "message", "hint"}}`."""


def create_app(
    svc: Service,
    vault: Vault | None,
    *,
    extra: Sequence[APIRouter] = (),
    journal_dir: Path | None = None,
) -> FastAPI:
    """The API over ``svc`` (and ``vault``: without it, content routes answer 503).

    ``extra`` routers are included as they are (the composition root adds the service's
    own ``/health`` and ``/metrics``). ``journal_dir``: where live audio is read from when
    it is not the data directory's journal (tests).
    """
    # no /docs or /redoc: FastAPI's pages load their scripts from a CDN, and nothing the
    # service serves may fetch from outside it (an offline site, a strict CSP next)
    app = FastAPI(
        title="Custodio",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
    )
    app.state.custodio = Api(svc, vault, journal_dir)
    errors.install(app)
    app.add_middleware(BodyLimit, upload_limit=svc.config.settings.import_max_bytes)
    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX, responses=errors.ERRORS)
    for router in extra:
        app.include_router(router)
    return app


# A case reference may hold "/": the routes under /cases/{reference:path}/... come before
# the one that takes the rest of the path as a reference (cases.show_case, last in cases).
ROUTERS: list[APIRouter] = [
    session.router, watchlist.router, officers.router, evidence.router, cases.router,
    comms.router, review.router, quarantine.router, work.router, audit.router, search.router,
    account.router, translations.router, notes.router,
]  # fmt: skip
