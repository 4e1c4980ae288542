"""The label every classification engine returns.

A :class:`Label` says what was found (``kind``, normalised ``value``), where (``start``/
``end`` word indexes, and seconds when the words had times), how sure the engine is
(``confidence`` in 0..1), who said so (``source``: engine and version, and the rule inside
it, or the user) and when (``created``).

Re-running an engine must replace its own labels, never duplicate them. :attr:`Label.key`
is a stable digest of what the label *is* (owner, kind, value, span) and leaves out what
changes between runs (engine version, confidence, time); :func:`replace_own` swaps one
engine's labels for a fresh run's and keeps everyone else's, including the user's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a label came from: an engine at a version (and its rule), or a user."""

    engine: str
    version: str = ""
    rule: str = ""
    user: str = ""

    @classmethod
    def of_user(cls, user: str) -> Source:
        return cls(engine="user", user=user)

    def __str__(self) -> str:
        who = f"user:{self.user}" if self.user else f"{self.engine}/{self.version}"
        return f"{who}#{self.rule}" if self.rule else who


@dataclass(frozen=True, slots=True)
class Label:
    """One finding about a communication."""

    kind: str
    value: str
    confidence: float
    source: Source
    text: str = ""
    start: int | None = None
    end: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    detail: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)  # JSON values
    created: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is outside 0..1")
        if (self.start is None) != (self.end is None):
            raise ValueError("a label's span needs both start and end")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"empty word span [{self.start}, {self.end})")

    @property
    def owner(self) -> str:
        """Whose label this is: the engine's name, or ``user:<name>``."""
        return f"user:{self.source.user}" if self.source.user else self.source.engine

    @property
    def key(self) -> str:
        """A digest stable across runs and engine versions: owner, rule, kind, value, span."""
        ident = [self.owner, self.source.rule, self.kind, self.value, self.start, self.end]
        blob = json.dumps(ident, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:32]


def replace_own(existing: Iterable[Label], fresh: Iterable[Label], engine: str) -> list[Label]:
    """``existing`` without ``engine``'s labels, then ``fresh`` deduplicated by key."""
    kept = [label for label in existing if label.owner != engine]
    seen: dict[str, Label] = {}
    for label in fresh:
        if label.owner != engine:
            raise ValueError(f"label from {label.owner!r} offered as {engine!r}'s")
        seen.setdefault(label.key, label)
    return kept + list(seen.values())
