"""An SMS as assembly keeps it: the parts as delivered, read, joined, and the document the
vault stores as the communication's ``message`` product.

TS 101 671 / 33.108 deliver an SMS in an IRI-Report's ``sMS-Contents``: either ``content``,
the TS 23.040 TPDU itself (SMS-SUBMIT when the target sent it, SMS-DELIVER when it
received it), or ``enhancedContent``, a text and its character encoding
(:mod:`custodio.etsi.sms`). A long message is sent as several TPDUs, each in its own
IRI-Report (usually under its own CIN): assembly gathers them into one communication by
the key :func:`concat_key` gives, and :func:`document` joins them.

The document (JSON, ``version`` 2)::

    {"kind": "sms", "version": 2, "source": "tpdu" | "enhancedContent",
     "text": "the whole message" | null, "why_no_text": null | "...",
     "header": {"type": "SMS-DELIVER", "originator": "+34600111222", ...},
     "parts": [{"part": 1, "of": 2, "text": "...", "octets": "<hex as delivered>"}, ...],
     "missing_parts": [], "octets": "<hex of the first part as delivered>"}

``text`` is null for 8-bit data, undecodable octets or a message with parts missing; then
``why_no_text`` says why, and the octets are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from custodio.errors import DecodeError
from custodio.etsi import sms
from custodio.etsi.iri import SMSContent
from custodio.etsi.sms import TPDU, EnhancedContent

VERSION = 2
ConcatKey = tuple[str, str, tuple[object, ...]]  # direction, kind, sms.message_key


@dataclass(frozen=True)
class Part:
    """One ``sMS-Contents`` read: the TPDU or enhanced content, or why it did not read."""

    content: SMSContent
    tpdu: TPDU | None = None
    enhanced: EnhancedContent | None = None
    error: str | None = None

    @property
    def octets(self) -> bytes:
        return self.content.tpdu or self.content.enhanced or b""

    @property
    def target_side(self) -> str | None:
        """From ``initiator``: the target sent it (originating), or the server delivered
        it to the target (terminating)."""
        return {"target": "originating", "server": "terminating"}.get(self.content.initiator or "")

    def parties(self) -> list[tuple[str, str, str]]:
        """``(role, delivered, source)`` of the parties the TPDU names: the sender of an
        SMS-DELIVER (TP-OA), the recipient of an SMS-SUBMIT (TP-DA)."""
        t = self.tpdu
        found = []
        if t is not None and t.originator is not None and t.originator.text:
            found.append(("originating", t.originator.text, "sms-originator"))
        if t is not None and t.recipient is not None and t.recipient.text and t.kind == sms.SUBMIT:
            found.append(("terminating", t.recipient.text, "sms-recipient"))
        return found


def read(content: SMSContent) -> Part:
    """Decode one delivered part (a malformed one is kept, with the error)."""
    try:
        if content.tpdu is not None:
            direction = sms.direction_of(content.initiator)
            return Part(content, tpdu=sms.decode_tpdu(content.tpdu, direction))
        if content.enhanced is not None:
            encoding = -1 if content.encoding is None else content.encoding
            return Part(content, enhanced=sms.decode_enhanced(content.enhanced, encoding))
    except DecodeError as e:
        return Part(content, error=str(e))
    return Part(content, error="sMS-Contents has neither content nor enhancedContent")


def concat_key(part: Part) -> ConcatKey | None:
    """What names the concatenated message ``part`` belongs to (None: a whole message)."""
    if part.tpdu is None:
        return None
    key = sms.message_key(part.tpdu)
    return None if key is None else (part.content.initiator or "", part.tpdu.kind, key)


@dataclass
class Message:
    """The parts of one SMS received so far."""

    parts: list[Part] = field(default_factory=list)

    def add(self, content: SMSContent) -> Part:
        part = read(content)
        self.parts.append(part)
        return part

    def concat_keys(self) -> set[ConcatKey]:
        """The concatenated messages the parts belong to (one, or none)."""
        return {k for k in map(concat_key, self.parts) if k is not None}

    def missing(self) -> tuple[int, ...]:
        """Part numbers of a concatenated message not received (yet)."""
        tpdus = self._joinable()
        return () if not tpdus else sms.join(tpdus).missing

    def _joinable(self) -> list[TPDU]:
        tpdus = [p.tpdu for p in self.parts if p.tpdu is not None]
        keys = {sms.message_key(t) for t in tpdus}
        return tpdus if len(keys) == 1 and None not in keys else []

    def document(self) -> dict[str, Any]:
        """The ``message`` product (see the module's text)."""
        first = self.parts[0]
        doc: dict[str, Any] = {
            "kind": "sms", "version": VERSION,
            "source": "enhancedContent" if first.enhanced is not None else "tpdu",
            "header": header(first), "octets": first.octets.hex(), "missing_parts": [],
            "parts": [_part_summary(p) for p in self.parts],
        }  # fmt: skip
        text, why = self._text()
        doc["text"], doc["why_no_text"] = text, why
        tpdus = self._joinable()
        if tpdus:
            doc["missing_parts"] = list(sms.join(tpdus).missing)
        return doc

    def _text(self) -> tuple[str | None, str | None]:
        errors = [p.error for p in self.parts if p.error is not None]
        if errors:
            return None, f"undecodable: {errors[0]}"
        tpdus = self._joinable()
        if tpdus:
            joined = sms.join(tpdus)
            if joined.missing:
                return None, f"parts {list(joined.missing)} of {joined.total} not received"
            if joined.conflicts:
                return None, f"parts {list(joined.conflicts)} received twice, differently"
            return joined.text, None if joined.text is not None else "8-bit data"
        texts = [_text_of(p) for p in self.parts]
        for part, text in zip(self.parts, texts, strict=True):
            if text is None:
                return None, _why_no_text(part)
        return "".join(t for t in texts if t is not None), None


def _text_of(part: Part) -> str | None:
    if part.tpdu is not None:
        return part.tpdu.text
    return None if part.enhanced is None else part.enhanced.text


def _why_no_text(part: Part) -> str:
    if part.enhanced is not None:
        return f"enhancedContent in {part.enhanced.name}, which is not text"
    coding = part.tpdu.user_data.coding if part.tpdu and part.tpdu.user_data else None
    return "compressed text" if coding is not None and coding.compressed else "8-bit data"


def _part_summary(part: Part) -> dict[str, Any]:
    concat = part.tpdu.concat if part.tpdu is not None else None
    out: dict[str, Any] = {"part": concat.sequence if concat else 1,
                           "of": concat.total if concat else 1,
                           "text": _text_of(part), "octets": part.octets.hex()}  # fmt: skip
    if part.error is not None:
        out["error"] = part.error
    return out


def header(part: Part) -> dict[str, Any]:
    """The decoded header fields an investigator reads, by name."""
    out: dict[str, Any] = {"initiator": part.content.initiator}
    if part.enhanced is not None:
        out["character_encoding"] = part.enhanced.name
    t = part.tpdu
    if t is None:
        return {k: v for k, v in out.items() if v is not None}
    coding = t.user_data.coding if t.user_data is not None else None
    out |= {
        "type": t.kind,
        "originator": t.originator.text if t.originator else None,
        "recipient": t.recipient.text if t.recipient else None,
        "service_centre_time": t.timestamp.isoformat() if t.timestamp else None,
        "message_reference": t.reference,
        "alphabet": coding.alphabet if coding else None,
        "message_class": coding.message_class if coding else None,
        "status_report_requested": t.status_report or None,
    }
    if t.concat is not None:
        c = t.concat
        out["concatenated"] = f"reference {c.reference}, {c.total} parts"
    return {k: v for k, v in out.items() if v is not None}
