"""The one error of the wire-format decoders."""

from __future__ import annotations

from custodio.errors import DecodeError


class FieldError(DecodeError):
    """A field of a standard's wire format is malformed; the message names the field."""

    def __init__(self, field: str, problem: str, offset: int | None = None) -> None:
        where = "" if offset is None else f" at octet {offset}"
        super().__init__(f"{field}: {problem}{where}")
        self.field = field
        self.problem = problem
        self.offset = offset
