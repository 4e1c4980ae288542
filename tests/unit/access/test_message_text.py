"""`custodio comms message` reads the stored SMS document generically: whatever header
fields the assembler decoded, then the text, or why there is none and the octets; nothing
of an intercepted text can drive the terminal."""

from __future__ import annotations

from custodio.client.comms_cmds import _message_lines

V2 = {
    "kind": "sms",
    "version": 2,
    "text": "Nos vemos a las 9.\nTrae el paquete.",
    "header": {"originator": "+34600111222", "service_centre": "+34609090909",
               "data_coding": "GSM 7-bit", "concatenated": {"reference": 7, "parts": 2}},
    "parts": [{"seq": 1}, {"seq": 2}],
    "octets": "0011",
}  # fmt: skip


def test_the_header_fields_then_the_text() -> None:
    assert _message_lines(V2) == [
        "originator: +34600111222",
        "service_centre: +34609090909",
        "data_coding: GSM 7-bit",
        'concatenated: {"reference": 7, "parts": 2}',
        "",
        "Nos vemos a las 9.",
        "Trae el paquete.",
    ]


def test_a_message_without_text_says_why_and_shows_its_octets() -> None:
    doc = {**V2, "text": None, "header": {"data_coding": "8-bit data"}, "octets": "c0ffee"}
    assert _message_lines(doc) == [
        "data_coding: 8-bit data",
        "",
        "no text: it is not text (binary data)",
        "octets: c0ffee",
    ]
    assert _message_lines({**doc, "no_text": "8-bit data"})[2] == "no text: 8-bit data"


def test_the_first_version_has_text_and_octets_only() -> None:
    assert _message_lines({"kind": "sms", "text": "hola", "octets": "686f6c61"}) == ["hola"]
    assert _message_lines({"kind": "sms", "text": "a\r\nb\rc"}) == ["a", "b", "c"]


def test_control_characters_are_shown_escaped_never_sent_to_the_terminal() -> None:
    doc = {"kind": "sms", "text": "a\x1b[2Jb\x07\tc\x85", "header": {"from": "x\x1b]0;t\x07"}}
    assert _message_lines(doc) == ["from: x\\x1b]0;t\\x07", "", "a\\x1b[2Jb\\x07\tc\\x85"]
