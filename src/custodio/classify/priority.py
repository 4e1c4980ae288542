"""A review-priority score per communication, and why.

Investigators cannot listen to everything first; the score orders the queue. It is a
weighted sum of a few facts about the communication, each capped so that one factor
cannot drown the others:

=============  ==========================================================  ====  ======
factor         value                                                        cap   weight
=============  ==========================================================  ====  ======
watchlist      distinct watch-list terms hit                                 5     20
entities       phones, IBANs, plates, e-mails and amounts found             10      3
new_contact    other parties never seen before in the case's earlier        3     15
               communications
duration       minutes of the call (or 1 for a message)                      10      1
night          1 when it began between 22:00 and 06:00 (Europe/Madrid)       1     10
=============  ==========================================================  ====  ======

The weights are the case's (``custodio case tuning --weight factor=x``), these by default;
a case's alert threshold (default 50) turns a score into an alert
(:mod:`custodio.classify.alerts`). The score comes as a label ``priority`` whose
``detail.factors`` lists each factor's value, weight and contribution: the score is
explained, not asserted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from custodio.classify.labels import Label, Source

ENGINE = "priority"
VERSION = "1"

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "watchlist": 20.0, "entities": 3.0, "new_contact": 15.0, "duration": 1.0, "night": 10.0,
}  # fmt: skip
CAPS: Mapping[str, float] = {
    "watchlist": 5, "entities": 10, "new_contact": 3, "duration": 10, "night": 1,
}  # fmt: skip
FACTORS = tuple(DEFAULT_WEIGHTS)
DEFAULT_ALERT_THRESHOLD = 50.0
ENTITY_KINDS = ("phone", "iban", "plate", "email", "amount")
NIGHT_ZONE = ZoneInfo("Europe/Madrid")
NIGHT_FROM, NIGHT_TO = 22, 6


@dataclass(frozen=True)
class Facts:
    """What the score is computed from (counted by the pipeline)."""

    watchlist_terms: int = 0
    entities: int = 0
    new_contacts: int = 0
    minutes: float = 0.0
    begin_at: datetime | None = None


def is_night(at: datetime | None) -> bool:
    if at is None:
        return False
    hour = at.astimezone(NIGHT_ZONE).hour
    return hour >= NIGHT_FROM or hour < NIGHT_TO


def weights_for(case_weights: Mapping[str, float]) -> dict[str, float]:
    """The defaults with the case's own weights over them."""
    unknown = set(case_weights) - set(FACTORS)
    if unknown:
        raise ValueError(f"unknown priority factor(s): {', '.join(sorted(unknown))}")
    return {**DEFAULT_WEIGHTS, **case_weights}


def score(facts: Facts, weights: Mapping[str, float] | None = None) -> Label:
    """The priority label: value the score, detail the factors that make it."""
    w = weights_for(weights or {})
    values = {
        "watchlist": float(facts.watchlist_terms),
        "entities": float(facts.entities),
        "new_contact": float(facts.new_contacts),
        "duration": round(facts.minutes, 2),
        "night": 1.0 if is_night(facts.begin_at) else 0.0,
    }
    factors = []
    total = 0.0
    for name in FACTORS:
        counted = min(values[name], CAPS[name])
        contribution = round(counted * w[name], 2)
        total += contribution
        factors.append({"factor": name, "value": values[name], "counted": counted,
                        "weight": w[name], "contribution": contribution})  # fmt: skip
    total = round(total, 2)
    return Label(
        kind="priority", value=f"{total:.2f}", confidence=1.0,
        source=Source(ENGINE, VERSION, "weighted-sum"),
        detail={"score": total, "factors": factors},
    )  # fmt: skip
