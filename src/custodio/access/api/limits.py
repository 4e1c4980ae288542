"""A request body larger than any route takes is refused before it is read: 413.

Every JSON body the API takes is a few fields bounded by its model (docs/api.md, "Errors");
without this, a body of any size would be read into memory before the model refused it.
The one route that takes a file (an import: ``POST .../cases/{reference}/evidence``) has
its own, larger limit (the setting ``import_max_bytes``) and streams what it reads.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from custodio.access.api import errors

MAX_BODY = 64 * 1024

UPLOAD = re.compile(r"^/api/v1/cases/.+/evidence$")
"""The path of the route that takes a file as its body (POST)."""


class TooLarge(HTTPException):
    """The body went past the limit while it was read (answered 413 in the one shape)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} octets")


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` octets (declared or sent)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY, upload_limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit  # POST of a file to UPLOAD

    def limit_of(self, scope: Scope) -> int:
        """The most octets the request of ``scope`` may send."""
        if scope.get("method") == "POST" and UPLOAD.match(scope.get("path", "")):
            return self.upload_limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise TooLarge(limit)
            return message

        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        hint = ("a larger file needs the setting import_max_bytes raised" if limit != self.limit
                else "every body this API takes is a few bounded fields")  # fmt: skip
        reply = errors.respond(413, "too_large", f"the request body is over {limit} octets", hint)
        await reply(scope, receive, send)
