"""Labels: stable keys, replacement of an engine's own labels."""

from __future__ import annotations

import pytest

from custodio.classify.labels import Label, Source, replace_own
from custodio.classify.watchlist import Term, WatchList, match


def test_key_is_stable_across_runs_and_versions() -> None:
    a = Label(
        "phone", "+34600123456", 0.8, Source("entities", "1", "phone.spoken"), start=3, end=12
    )
    b = Label(
        "phone", "+34600123456", 0.9, Source("entities", "2", "phone.spoken"), start=3, end=12
    )
    assert a.key == b.key
    assert (
        a.key != Label("phone", "+34600123456", 0.8, Source("entities", "1"), start=4, end=12).key
    )


def test_rerun_replaces_own_labels_only() -> None:
    wl = WatchList((Term("hachís"),))
    first = match("trae el hachís", wl)
    user = Label("intimate", "yes", 1.0, Source.of_user("inv-7"))
    other = Label("phone", "+34600123456", 0.9, Source("entities", "1", "phone.written"))
    stored = replace_own([user, other], first, "watchlist")
    again = replace_own(stored, match("trae el hachís", wl) * 2, "watchlist")
    assert [lab.key for lab in again] == [lab.key for lab in stored]
    assert str(user.source) == "user:inv-7"


def test_labels_check_themselves() -> None:
    with pytest.raises(ValueError, match="confidence"):
        Label("x", "y", 1.5, Source("e", "1"))
    with pytest.raises(ValueError, match="span"):
        Label("x", "y", 0.5, Source("e", "1"), start=1)
    with pytest.raises(ValueError, match="offered"):
        replace_own([], [Label("x", "y", 0.5, Source("e", "1"))], "other")
