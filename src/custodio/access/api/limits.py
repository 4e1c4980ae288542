"""A request body larger than any route takes is refused before it is read: 413.

Every JSON body the API takes is a few fields bounded by its model (docs/api.md, "Errors");
without this, a body of any size would be read into memory before the model refused it.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from custodio.access.api import errors

MAX_BODY = 64 * 1024


class TooLarge(HTTPException):
    """The body went past the limit while it was read (answered 413 in the one shape)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} octets")


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` octets (declared or sent)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise TooLarge(self.limit)
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
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        reply = errors.respond(413, "too_large", f"the request body is over {self.limit} octets",
                               "every body this API takes is a few bounded fields")  # fmt: skip
        await reply(scope, receive, send)
