"""The REST API: a face over the service layer (docs/api.md).

:func:`create_app` makes the FastAPI application: routers per area under ``/api/v1``, each
route thin (parse with pydantic, call one service function, render), one error shape
(:mod:`custodio.access.api.errors`), a bearer token from ``POST /api/v1/session`` on every
other route. ``custodio serve`` (``custodio.app.http``) serves it with uvicorn beside the
handover listeners.
"""

from custodio.access.api.app import create_app

__all__ = ["create_app"]
