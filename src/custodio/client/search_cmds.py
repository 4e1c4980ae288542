"""``custodio search``: words, numbers and identifiers in the cases you may read
(docs/search.md)."""

from __future__ import annotations

import re
from typing import Any

import click

from custodio.client.context import Context, json_option, pass_context, purpose_option
from custodio.client.text import emit_rows

MAX_LIMIT = 200
"""The most hits one search returns (the API's ``limit``)."""

COLUMNS = ["case", "communication_id", "kind", "direction", "at", "snippet"]


@click.command("search")
@click.argument("text")
@click.option("--case", "case_ref", metavar="REF", help="Only this case (default: all yours).")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=50, show_default=True,
              help="At most this many hits.")  # fmt: skip
@purpose_option
@json_option
@pass_context
def search(
    ctx: Context, text: str, case_ref: str | None, limit: int, purpose: str | None, as_json: bool
) -> None:
    """Find TEXT in transcripts, SMS and notes, or a number or identifier among parties and
    entities, best first: the case, the communication, what matched, the second of the call
    where it was said and the passage with the words found between « and » (audited, with
    your purpose and what you searched for)."""
    params = {"q": text, "case": case_ref, "limit": limit}
    hits = ctx.api().get("/search", params, purpose=purpose)
    emit_rows(hits if as_json else [_row(h) for h in hits], COLUMNS, as_json)


def _row(hit: dict[str, Any]) -> dict[str, Any]:
    at = hit["at_s"]
    return {
        **hit,
        "at": "" if at is None else f"{at:.1f} s",
        "snippet": re.sub(r"\s+", " ", str(hit["snippet"])).strip(),
    }


COMMANDS = [search]
