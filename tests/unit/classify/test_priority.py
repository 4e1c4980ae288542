"""The review-priority score: factors, caps, per-case weights, and its explanation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custodio.classify import priority


def factors(label_detail: dict[str, object]) -> dict[str, dict[str, float]]:
    return {f["factor"]: f for f in label_detail["factors"]}  # type: ignore[attr-defined,index]


def test_the_score_is_the_sum_of_explained_contributions() -> None:
    facts = priority.Facts(watchlist_terms=2, entities=3, new_contacts=1, minutes=4.5,
                           begin_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC))  # fmt: skip
    label = priority.score(facts)
    f = factors(dict(label.detail))
    assert f["watchlist"]["contribution"] == 40.0
    assert f["entities"]["contribution"] == 9.0
    assert f["new_contact"]["contribution"] == 15.0
    assert f["duration"]["contribution"] == 4.5
    assert f["night"]["contribution"] == 0.0
    assert label.detail["score"] == 68.5 == float(label.value)
    assert sum(x["contribution"] for x in f.values()) == label.detail["score"]


def test_each_factor_is_capped_so_one_cannot_drown_the_others() -> None:
    label = priority.score(priority.Facts(entities=500, minutes=300))
    f = factors(dict(label.detail))
    assert f["entities"]["value"] == 500 and f["entities"]["counted"] == 10
    assert f["duration"]["counted"] == 10
    assert label.detail["score"] == 10 * 3 + 10 * 1


def test_night_is_spanish_local_time() -> None:
    # 21:30 UTC in winter is 22:30 in Madrid: night; 04:30 UTC is 05:30: night; 05:30 UTC not
    assert priority.is_night(datetime(2026, 11, 29, 21, 30, tzinfo=UTC))
    assert priority.is_night(datetime(2026, 11, 29, 4, 30, tzinfo=UTC))
    assert not priority.is_night(datetime(2026, 11, 29, 5, 30, tzinfo=UTC))
    assert not priority.is_night(None)


def test_a_case_s_weights_replace_the_defaults_and_unknown_factors_are_refused() -> None:
    facts = priority.Facts(watchlist_terms=1, begin_at=datetime(2026, 11, 29, 23, tzinfo=UTC))
    label = priority.score(facts, {"watchlist": 50.0, "night": 0.0})
    f = factors(dict(label.detail))
    assert f["watchlist"]["weight"] == 50.0 and f["night"]["contribution"] == 0.0
    assert label.detail["score"] == 50.0
    with pytest.raises(ValueError, match="unknown priority factor"):
        priority.score(facts, {"colour": 1.0})
