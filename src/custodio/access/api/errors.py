"""The API's one error shape, mapped from :mod:`custodio.errors`.

Every error the API answers with is ``{"error": {"code", "message", "hint"}}``: ``code`` a
stable word a client can branch on (the exception's class in snake case, or one of the
HTTP layer's own), ``message`` what went wrong in words a person can act on, ``hint`` what
to do about it (or null). The status is the class's ``http_status`` (errors.py draws the
tree). A server-side failure (status 500) names its kind and nothing of its internals:
the cause goes to the service's log.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from custodio import errors

log = logging.getLogger(__name__)

_INTERNAL = "the service could not complete the request"
_INTERNAL_HINT = "the cause is in the service's log; tell its administrator"
_FINDINGS = (errors.AuditIntegrityError,)
"""Failures whose message is what was asked for (which audit entry fails to verify): told."""


class ErrorBody(BaseModel):
    code: str
    message: str
    hint: str | None = None


class ErrorResponse(BaseModel):
    """The one shape of every error."""

    error: ErrorBody


def code_of(error: errors.CustodioError) -> str:
    """``AccountLocked`` -> ``account_locked``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()


def respond(status: int, code: str, message: str, hint: str | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, hint=hint))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def of_custodio(error: errors.CustodioError) -> JSONResponse:
    status = error.http_status
    if status >= 500 and status != 503 and not isinstance(error, _FINDINGS):
        log.error("API request failed: %s: %s", type(error).__name__, error)
        return respond(status, code_of(error), _INTERNAL, _INTERNAL_HINT)
    return respond(status, code_of(error), error.message, error.hint)


async def _custodio(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.CustodioError)
    return of_custodio(exc)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_problem(e) for e in exc.errors()[:5]]
    return respond(422, "invalid_request", "; ".join(problems),
                   "the API's document at /openapi.json describes each route")  # fmt: skip


def _problem(e: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "request"
    return f"{where}: {e.get('msg', 'invalid')}"


_HTTP_CODES = {400: "bad_request", 401: "authentication_failed", 403: "forbidden",
               404: "not_found", 405: "method_not_allowed", 413: "too_large",
               416: "range_not_satisfiable"}  # fmt: skip


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
        return respond(404, "not_found", message, "GET /openapi.json lists the endpoints")
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return respond(exc.status_code, code, str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("API request failed unexpectedly", exc_info=exc)
    return respond(500, "internal", _INTERNAL, _INTERNAL_HINT)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` in the one shape."""
    app.add_exception_handler(errors.CustodioError, _custodio)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "a value is not acceptable"),
        (401, "no session, or it expired or was revoked"),
        (403, "the access policy refused (audited)"),
        (404, "not found, or not visible to you"),
        (409, "clashes with what is stored"),
        (413, "the request body is too large"),
        (422, "the request does not match this route"),
        (423, "the account is locked"),
        (500, "the service failed (the cause is in its log)"),
        (503, "the service has no vault open"),
    )
}
"""Every route's documented errors (in the OpenAPI document)."""
