"""What the CLI prints: tables, outlines, and text made safe for a terminal."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import click


def printable(text: str) -> str:
    """``text`` safe to print: bytes that were not UTF-8 (a file name, an argument) shown as
    ``\\xNN`` escapes instead of the surrogates Python keeps them as."""
    try:
        raw = os.fsencode(text)
    except UnicodeEncodeError:  # a surrogate that no undecodable byte made
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def is_utf8(text: str) -> bool:
    """False for a string holding undecodable bytes (surrogates from the command line)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def emit_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(list(rows), indent=2, ensure_ascii=False, default=str))
        return
    if not rows:
        click.echo("(none)")
        return
    table = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def emit_object(obj: Mapping[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))
        return
    for line in _outline(obj, 0):
        click.echo(line)


def _outline(obj: Mapping[str, Any], depth: int) -> Iterable[str]:
    """An indented, YAML-like rendering of nested mappings and lists of mappings."""
    pad = "  " * depth
    for key, value in obj.items():
        if isinstance(value, Mapping):
            yield f"{pad}{key}:"
            yield from _outline(value, depth + 1)
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            yield f"{pad}{key}:"
            for item in value:
                lines = list(_outline(item, depth + 2))
                yield f"{pad}  - " + lines[0].lstrip()
                yield from lines[1:]
        else:
            yield f"{pad}{key}: {_cell(value)}"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Iterable) and not isinstance(value, str):
        return ",".join(_cell(v) for v in value)
    return str(value)
