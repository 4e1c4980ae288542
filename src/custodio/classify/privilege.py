"""Possible lawyer–client conversations, flagged for a judge's review — never sealed here.

A communication with a protected (defence lawyer) number is sealed by assembly before
anyone reads it. This engine looks at what was *said* or *written*: phrases that suggest
the speaker is talking to or about their own lawyer (``mi abogado``, ``el letrado``,
``despacho de abogados``, ``my lawyer``, ``attorney``…) and the names of law firms from
the agency's list (setting ``classify_law_firms``). A hit is only a suggestion: a label
``privilege`` with the words matched and their seconds, which a judge reviews
(``custodio privilege list`` / ``decide``): seal the communication or clear the flag.

Matching is the watch-list's (:mod:`custodio.classify.watchlist`): no case, no accents,
Spanish inflection for phrases (``mis abogados``), phonetic and fuzzy matching for firm
names as speech-to-text spells them.
"""

from __future__ import annotations

from collections.abc import Sequence

from custodio.classify import watchlist
from custodio.classify.labels import Label, Source
from custodio.classify.text import Word

ENGINE = "privilege"
VERSION = "1"

# Phrases a client says about or to their lawyer. Bare "abogado" is too common (TV, news,
# "abogado del diablo") to flag alone; "attorney"/"solicitor" are rarely used otherwise.
PHRASES: tuple[str, ...] = (
    "mi abogado", "mi abogada", "mis abogados", "el letrado", "la letrada", "mi letrado",
    "mi letrada", "el bufete", "despacho de abogados", "abogado defensor", "mi defensa",
    "secreto profesional", "el meu advocat", "my lawyer", "my attorney", "attorney",
    "solicitor", "barrister", "legal counsel", "law firm", "my counsel",
)  # fmt: skip

PHRASE_CONFIDENCE = 0.6
FIRM_CONFIDENCE = 0.7
THRESHOLD = 90.0


def find(words: Sequence[Word] | str, *, firms: Sequence[str] = ()) -> list[Label]:
    """Every privilege hint in ``words`` (or a written text), by position."""
    terms = [watchlist.Term(p, "term") for p in PHRASES]
    terms += [watchlist.Term(f, "name") for f in firms if f.strip()]
    hits = watchlist.match(words, watchlist.WatchList(tuple(terms), threshold=THRESHOLD))
    firm_names = {f.strip() for f in firms}
    out = []
    for hit in hits:
        rule = "firm" if hit.value in firm_names and hit.value not in PHRASES else "phrase"
        out.append(
            Label(
                kind="privilege",
                value=rule,
                text=hit.text,
                start=hit.start,
                end=hit.end,
                start_s=hit.start_s,
                end_s=hit.end_s,
                source=Source(ENGINE, VERSION, rule),
                confidence=FIRM_CONFIDENCE if rule == "firm" else PHRASE_CONFIDENCE,
                detail={"matched": hit.value, "score": hit.confidence},
            )
        )
    return out
