"""Privilege hints: what suggests a lawyer-client conversation is flagged, with its seconds."""

from __future__ import annotations

from pathlib import Path

from custodio import config
from custodio.classify import privilege
from custodio.classify.text import Word


def values(text: str, firms: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(lb.value, lb.text) for lb in privilege.find(text, firms=firms)]


def test_spanish_and_english_phrases_are_flagged_whatever_the_case_accents_or_number() -> None:
    assert values("Mañana hablo con MI ABOGADO del juicio") == [("phrase", "MI ABOGADO")]
    assert values("se lo he dicho a mis abogados") == [("phrase", "mis abogados")]
    assert values("lo sabe la letrada") == [("phrase", "la letrada")]
    assert values("I'll ask my lawyer first") == [("phrase", "my lawyer")]
    assert values("call the attorney tonight") == [("phrase", "attorney")]


def test_ordinary_talk_about_lawyers_or_kitchens_is_not_flagged() -> None:
    assert values("eres el abogado del diablo") == []
    assert values("la cocina está limpia y la mesa puesta") == []


def test_a_law_firm_from_the_agency_list_is_flagged_as_speech_to_text_spells_it() -> None:
    env = {"CUSTODIO_CLASSIFY_LAW_FIRMS": "Garrigues; Uría Menéndez ;"}
    firms = config.defaults(Path("."), environ=env).settings.classify_law_firms
    assert firms == ("Garrigues", "Uría Menéndez")
    assert values("he ido a uria menendez esta mañana", firms) == [("firm", "uria menendez")]
    assert values("cita en Garigues a las diez", firms) == [("firm", "Garigues")]


def test_a_hit_in_a_transcript_carries_the_seconds_of_its_words_and_a_modest_confidence() -> None:
    words = [Word("oye", 0.0, 0.4), Word("llama", 0.5, 0.9), Word("a", 1.0, 1.1),
             Word("mi", 1.2, 1.4), Word("abogado", 1.5, 2.2)]  # fmt: skip
    (label,) = privilege.find(words)
    assert (label.kind, label.start, label.end) == ("privilege", 3, 5)
    assert (label.start_s, label.end_s) == (1.2, 2.2)
    assert label.confidence < 1.0  # a hint for a judge, not a finding
    assert str(label.source) == "privilege/1#phrase"
    assert label.detail["matched"] == "mi abogado"
