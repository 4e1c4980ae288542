"""Times as the catalog stores them: UTC text, fixed width, sortable."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from custodio.errors import InvalidInput

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now() -> datetime:
    return datetime.now(UTC)


def to_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: catalog times are UTC")
    return moment.astimezone(UTC).strftime(FORMAT)


def from_text(text: str) -> datetime:
    return datetime.strptime(text, FORMAT).replace(tzinfo=UTC)


def now_text() -> str:
    return to_text(now())


def parse_user_time(text: str, *, end_of_day: bool = False) -> datetime:
    """Parse a date or date-time typed by a user (ISO 8601; a bare date is UTC midnight).

    With ``end_of_day`` a bare date means the last microsecond of that day, so that
    ``--until 2026-03-31`` includes the 31st.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            at = time.max if end_of_day else time.min
            return datetime.combine(day, at, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise InvalidInput(
            f"{text!r} is not a date or time",
            hint="write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]",
        ) from e
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
