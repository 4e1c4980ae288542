"""``custodio comms|quarantine``: communications, their content, and what was held back.

Content (audio, packets, an SMS's text, labels, a transcript) is read through the
service's API with the purpose the user gives: the service checks it against the policy
and audits it; no key or vault is on this side. Decrypted bytes go to ``-o FILE`` through
the one evidence writer.
"""

from __future__ import annotations

import http.client
import json
import struct
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import click

from custodio.client.api import Api, Params, path_part
from custodio.client.context import Context, json_option, pass_context, purpose_option
from custodio.client.evidence_file import Sink, evidence_output
from custodio.client.text import emit_object, emit_rows
from custodio.errors import BackendError, IntegrityError

DIRECTIONS = ("target", "other", "both")
"""Whose audio: what the target said, the other party, or a stereo copy of both."""

TRANSCRIPT_DIRECTIONS = ("target", "other")


@click.group()
def comms() -> None:
    """Communications assembled from the handover: calls, messages."""


@comms.command("list")
@click.option("--case", "case_ref", required=True, help="The case.")
@click.option("--from", "begin_from", metavar="TIME", help="Begun at or after (ISO 8601).")
@click.option("--to", "begin_to", metavar="TIME", help="Begun at or before (ISO 8601).")
@click.option("--party", metavar="NUMBER", help="With this party (any format; E.164 compared).")
@click.option("--kind", help="voice, sms, data or other.")
@click.option("--status", help="open, complete, partial or orphan.")
@click.option("--tag", metavar="TAG", help="Carrying this tag (`custodio tag`).")
@json_option
@pass_context
def comms_list(
    ctx: Context,
    case_ref: str,
    begin_from: str | None,
    begin_to: str | None,
    party: str | None,
    kind: str | None,
    status: str | None,
    tag: str | None,
    as_json: bool,
) -> None:
    """The case's communications you may see (inside the warrant, not sealed)."""
    params = {"from": begin_from, "to": begin_to, "party": party, "kind": kind, "status": status,
              "tag": tag}  # fmt: skip
    rows = ctx.api().get(f"/cases/{path_part(case_ref)}/communications", params)
    columns = ["id", "kind", "direction", "status", "begin_at", "end_at", "outcome"]
    emit_rows(rows, columns, as_json)


@comms.command("show")
@click.argument("comm_id", type=int)
@json_option
@pass_context
def comms_show(ctx: Context, comm_id: int, as_json: bool) -> None:
    """One communication: parties, times, status and its reasons, products.

    Its content is read product by product, each with its own command (audited, with your
    purpose): audio, message (an SMS's text), pcap (a data session's packets), transcript.
    """
    detail = ctx.api().get(f"/communications/{comm_id}")
    if detail.get("locations") is None:  # the warrant does not cover them: not shown
        detail.pop("locations", None)
    emit_object(_ordered(detail, _COMM_FIELDS), as_json)
    if not as_json:
        for line in _readers(comm_id, detail["products"]):
            click.echo(line)


_COMM_FIELDS = (
    "id", "agency_id", "case_id", "warrant_id", "liid", "operator", "cin", "call_id", "kind",
    "direction", "status", "begin_at", "answer_at", "end_at", "closed_by", "outcome",
    "target_basis", "sealed", "quarantined", "amendments", "open_seq", "last_seq",
    "created_at", "updated_at", "reasons", "notes", "parties", "products", "locations",
)  # fmt: skip
"""A communication's fields in the order the CLI shows them (the catalog's)."""


def _ordered(obj: dict[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    """``obj`` with the fields named in ``first`` first, in that order, then the others as
    they came (the API's JSON puts its model's named fields first)."""
    return {**{k: obj[k] for k in first if k in obj}, **obj}


_READERS = {
    "audio": "custodio comms audio {id} --direction {direction} -o FILE.wav --purpose TEXT",
    "message": "custodio comms message {id} --purpose TEXT",
    "pcap": "custodio comms pcap {id} -o FILE.pcap --purpose TEXT",
    "transcript": "custodio comms transcript {id} --direction {direction} --purpose TEXT",
}


def _readers(comm_id: int, products: list[dict[str, Any]]) -> list[str]:
    """A line per current product naming the command that reads it."""
    lines = []
    for p in products:
        template = _READERS.get(p["kind"])
        if template is not None and p.get("superseded_at") is None:
            command = template.format(id=comm_id, direction=p.get("direction"))
            kind = p["kind"]
            if (p.get("details") or {}).get("task") == "translate":  # the machine draft
                kind, command = "machine draft translation", f"{command} --translation"
            line = f"  {kind}" + (f" ({p['direction']})" if p.get("direction") else "")
            lines.append(f"{line}: {command}")
    return ["read its content with (audited, with your purpose):", *lines] if lines else []


_FORCE = click.option(
    "--force", is_flag=True, help="Replace FILE if it exists (never through a symbolic link)."
)


@comms.command("audio")
@click.argument("comm_id", type=int)
@click.option(
    "--direction", type=click.Choice(DIRECTIONS), default="both", show_default=True,
    help="target: what the target said; other: the other party; both: a stereo copy.",
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, metavar="FILE",
    help="A new WAV file (mode 0600), or - for standard output.",
)  # fmt: skip
@_FORCE
@click.option(
    "--follow", is_flag=True,
    help="An open call: write its audio as it arrives, until the call closes.",
)  # fmt: skip
@purpose_option
@pass_context
def comms_audio(
    ctx: Context,
    comm_id: int,
    direction: str,
    output: Path,
    force: bool,
    follow: bool,
    purpose: str | None,
) -> None:
    """Write a communication's audio to a WAV file (audited, with your purpose).

    The file is created new, readable by you only; an existing one is replaced only with
    --force. Nothing is left behind when writing fails.
    """
    if follow:
        _follow(ctx.api(), comm_id, direction, output, purpose, force)
        return
    with evidence_output(output, force=force) as sink:
        path, params = f"/communications/{comm_id}/audio", {"direction": direction}
        size = stream(ctx.api(), path, params, sink.write, purpose)
    _wrote(sink, size)


def _wrote(sink: Sink, size: int) -> None:
    if sink.seekable:  # a file: say so (on standard output the bytes are all there is)
        click.echo(f"wrote {size} bytes to {sink.shown}")


def stream(api: Api, path: str, params: Params | None, write: Callable[[bytes], None],
           purpose: str | None) -> int:  # fmt: skip
    """``GET path`` streamed into ``write``; its length. A transfer cut off half-way (the
    service gone, nothing for the connection's timeout) is a :class:`BackendError`: the
    evidence writer then leaves nothing behind."""
    try:
        return api.download(path, params, write, purpose=purpose)
    except (OSError, http.client.HTTPException) as e:
        api.close()
        raise BackendError(
            f"the service stopped sending {path} half-way ({e or type(e).__name__})",
            hint="nothing was kept; run the command again",
        ) from e


class _Growing:
    """The live WAV on its way to the sink; its first bytes (the header) kept."""

    HEAD = 512  # more than any header the service writes

    def __init__(self, sink: Sink) -> None:
        self.sink, self.head, self.total = sink, b"", 0

    def write(self, data: bytes) -> None:
        if len(self.head) < self.HEAD:
            self.head += data[: self.HEAD - len(self.head)]
        self.sink.write(data)
        self.total += len(data)


def _follow(api: Api, comm_id: int, direction: str, output: Path, purpose: str | None,
            force: bool) -> None:  # fmt: skip
    """Write the growing WAV the service streams until the call closes; a file then gets
    its real lengths in the header (the stream's says "unknown")."""
    with evidence_output(output, force=force) as sink:
        growing = _Growing(sink)
        stream(api, f"/communications/{comm_id}/live", {"direction": direction},
               growing.write, purpose)  # fmt: skip
        final = final_header(growing.head, growing.total)
        if sink.seekable and final is not None:
            sink.rewrite_start(final[0])
    if sink.seekable:
        octets = final[1] if final is not None else 0
        click.echo(f"the call closed: wrote {octets} octets of audio to {sink.shown}")


def final_header(head: bytes, total: int) -> tuple[bytes, int] | None:
    """The header of a WAV of ``total`` bytes that begins with ``head``, its sizes (RIFF,
    ``fact``, ``data``) made the real ones, and the octets of audio after it; None when
    ``head`` holds no whole header up to its ``data`` chunk."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    fixed, pos, align, fact = bytearray(head), 12, 1, None
    while pos + 8 <= len(head):
        name, length = head[pos : pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        if name == b"data":
            size = total - pos - 8
            struct.pack_into("<I", fixed, 4, pos + size + size % 2)
            struct.pack_into("<I", fixed, pos + 4, size)
            if fact is not None:
                struct.pack_into("<I", fixed, fact, size // align)
            return bytes(fixed[: pos + 8]), size
        if name == b"fmt " and length >= 16 and pos + 22 <= len(head):
            align = struct.unpack_from("<H", head, pos + 20)[0] or 1
        if name == b"fact" and length >= 4:
            fact = pos + 8  # the number of samples
        pos += 8 + length + length % 2
    return None


@comms.command("message")
@click.argument("comm_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the whole stored document.")
@purpose_option
@pass_context
def comms_message(ctx: Context, comm_id: int, as_json: bool, purpose: str | None) -> None:
    """An SMS: its header fields, then its text (content: audited, with your purpose).

    A message that is not text (8-bit data) says so and shows its octets in hex; --json
    prints the document as stored, with every field the assembler decoded.
    """
    doc = ctx.api().call("GET", f"/communications/{comm_id}/message", purpose=purpose)
    if as_json:
        emit_object(doc, True)
        return
    for line in _message_lines(doc):
        click.echo(line)


def _message_lines(doc: dict[str, Any]) -> list[str]:
    header = doc.get("header")
    lines = []
    if isinstance(header, dict):
        lines += [f"{name}: {_field(value)}" for name, value in header.items()]
    if lines:
        lines.append("")
    text = doc.get("text")
    if isinstance(text, str):  # a carriage return is a line break in GSM 7-bit text
        return lines + _visible(text.replace("\r\n", "\n").replace("\r", "\n")).splitlines()
    why = doc.get("no_text") or doc.get("reason") or "it is not text (binary data)"
    return [*lines, f"no text: {_visible(str(why))}", f"octets: {doc.get('octets') or '-'}"]


def _field(value: Any) -> str:
    if isinstance(value, str):
        return _visible(value)
    return json.dumps(value, ensure_ascii=False)


def _visible(text: str) -> str:
    """Control characters of an intercepted text as escapes: they never reach the terminal
    (an escape sequence in an SMS could rewrite the screen); line breaks and tabs stay."""
    return "".join(c if c in "\n\t" or unicodedata.category(c) != "Cc"
                   else c.encode("unicode_escape").decode("ascii") for c in text)  # fmt: skip


@comms.command("pcap")
@click.argument("comm_id", type=int)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, metavar="FILE",
    help="A new pcap file (mode 0600), or - for standard output.",
)  # fmt: skip
@_FORCE
@purpose_option
@pass_context
def comms_pcap(ctx: Context, comm_id: int, output: Path, force: bool, purpose: str | None) -> None:
    """Write a data session's IP packets to a pcap file (audited, with your purpose).

    libpcap format, raw IP link type: Wireshark and tcpdump read it. The file is created
    new, readable by you only; an existing one is replaced only with --force.
    """
    with evidence_output(output, force=force) as sink:
        size = stream(ctx.api(), f"/communications/{comm_id}/pcap", None, sink.write, purpose)
    _wrote(sink, size)


@comms.command("labels")
@click.argument("comm_id", type=int)
@click.option("--kind", "kinds", multiple=True, help="Only labels of this kind (repeatable).")
@click.option("--all", "superseded", is_flag=True, help="Include superseded labels.")
@json_option
@purpose_option
@pass_context
def comms_labels(
    ctx: Context,
    comm_id: int,
    kinds: tuple[str, ...],
    superseded: bool,
    as_json: bool,
    purpose: str | None,
) -> None:
    """What classification found in a communication (content: audited, with your purpose).

    Each label says where it came from (engine and version, or user), how sure it is, the
    direction and seconds, and whether a person confirmed or overruled it.
    """
    query = urlencode([*(("kind", k) for k in kinds), ("superseded", str(superseded).lower())])
    rows = ctx.api().call("GET", f"/communications/{comm_id}/labels?{query}", purpose=purpose)
    columns = ["id", "kind", "value", "confidence", "direction", "start_s", "end_s", "text",
               "source", "review"]  # fmt: skip
    emit_rows(rows, columns, as_json)


@comms.command("transcript")
@click.argument("comm_id", type=int)
@click.option("--direction", type=click.Choice(TRANSCRIPT_DIRECTIONS),
              help="Only what the target / the other said.")  # fmt: skip
@click.option("--translation", is_flag=True, help="The machine draft translation to English.")
@json_option
@purpose_option
@pass_context
def comms_transcript(
    ctx: Context,
    comm_id: int,
    direction: str | None,
    translation: bool,
    as_json: bool,
    purpose: str | None,
) -> None:
    """A call's transcript: who spoke (the direction) and when (seconds), segment by segment.

    Content: audited, with your purpose. Segments that speech-to-text returned empty or
    ran out of time on are flagged, not hidden.
    """
    params = {"direction": direction, "translation": translation}
    docs = ctx.api().call("GET", f"/communications/{comm_id}/transcript", params,
                          purpose=purpose)  # fmt: skip
    if as_json:
        emit_object({"communication": comm_id, "transcripts": docs}, True)
        return
    for line in _transcript_lines(docs):
        click.echo(line)


def _transcript_lines(docs: list[dict[str, Any]]) -> list[str]:
    lines = []
    for doc in docs:
        head = f"[{doc['direction']}] language {doc['language']}, {doc['engine']}"
        if doc.get("machine_draft"):
            head += " — MACHINE DRAFT TRANSLATION to English, not a verified translation"
        lines.append(head)
    rows = [(s["start"], d["direction"], s) for d in docs for s in d["segments"]]
    for start, direction, seg in sorted(rows, key=lambda r: (r[0], r[1])):
        flag = f"  [{seg['flag']}]" if seg.get("flag") else ""
        lines.append(f"{start:8.2f}-{seg['end']:8.2f}  {direction:<6}  {seg['text']}{flag}")
    return lines


@comms.command("seal")
@click.argument("comm_id", type=int)
@json_option
@pass_context
def comms_seal(ctx: Context, comm_id: int, as_json: bool) -> None:
    """Check a communication's seal: stored products, vault objects, audit proof.

    Recomputes the digest of what is stored, compares it with the audit entry written when
    the communication closed, and proves that entry is in the latest signed checkpoint.
    Exits 10 when anything does not match.
    """
    report = ctx.api().get(f"/communications/{comm_id}/seal")
    if as_json:
        emit_object(report, True)
    else:
        click.echo(_seal_text(report))
    if not report["ok"]:
        raise IntegrityError("; ".join(report["problems"]),
                             hint="the communication is not what was sealed")  # fmt: skip


def _seal_text(report: dict[str, Any]) -> str:
    lines = [f"communication {report['communication']}: seal {report['seal']}",
             f"recomputed from the catalog: {report['recomputed']}"]  # fmt: skip
    lines += [f"{o['kind']} {o['direction'] or ''} {o['object_id']}: "
              f"{'ok' if o['ok'] else 'MISMATCH'}" for o in report["objects"]]  # fmt: skip
    cp = report["checkpoint"]
    if report["proven"]:
        lines.append(f"in the log: entry {report['entry']} under the signed checkpoint of "
                     f"{cp['size']} entries, root {cp['root']}")  # fmt: skip
    elif report["ok"]:
        lines.append("not yet under a signed checkpoint: `custodio audit checkpoint`")
    lines.append("seal OK" if report["ok"] else "seal BROKEN")
    return "\n".join(lines)


@click.group()
def quarantine() -> None:
    """What assembly held back: no valid warrant, or data the warrant does not cover."""


@quarantine.command("list")
@json_option
@pass_context
def quarantine_list(ctx: Context, as_json: bool) -> None:
    """Items held for your agency, and those of LIIDs nobody registered."""
    rows = ctx.api().get("/quarantine")
    emit_rows(rows, ["id", "reason", "data_kind", "liid", "operator", "records", "created_at"],
              as_json)  # fmt: skip


@quarantine.command("show")
@click.argument("item_id", type=int)
@json_option
@pass_context
def quarantine_show(ctx: Context, item_id: int, as_json: bool) -> None:
    """One held item: why, what, and where its encrypted copy lies."""
    item = ctx.api().get(f"/quarantine/{item_id}")
    emit_object(_ordered(item, _HELD_FIELDS), as_json)


_HELD_FIELDS = ("id", "agency_id", "case_id", "warrant_id", "communication_id", "liid",
                "operator", "cin", "reason")  # fmt: skip
"""The first fields of a held item in the catalog's order (the others follow it)."""


_ORDER = click.option("--order", required=True, metavar="TEXT",
                      help="The court's order (reference and date); it is audited.")  # fmt: skip


@quarantine.command("release")
@click.argument("item_id", type=int)
@_ORDER
@pass_context
def quarantine_release(ctx: Context, item_id: int, order: str) -> None:
    """Ask for an item's release (warrant officer); a judge must approve it."""
    ctx.api().post(f"/quarantine/{item_id}/release", {"order": order})
    click.echo(f"release of quarantine item {item_id} requested; a judge must approve it: "
               f"`custodio quarantine approve {item_id}`")  # fmt: skip


@quarantine.command("approve")
@click.argument("item_id", type=int)
@json_option
@pass_context
def quarantine_approve(ctx: Context, item_id: int, as_json: bool) -> None:
    """Approve a requested release (judge; not the one who asked).

    A communication held whole becomes one of the case its now registered warrant names;
    its content (audio, pcap) is derived and sealed where that warrant covers content.
    """
    emit_object(ctx.api().post(f"/quarantine/{item_id}/approve"), as_json)


@quarantine.command("destroy")
@click.argument("item_id", type=int)
@_ORDER
@json_option
@pass_context
def quarantine_destroy(ctx: Context, item_id: int, order: str, as_json: bool) -> None:
    """Delete an item's stored object on a court's order (judge; audited with digests)."""
    result = ctx.api().post(f"/quarantine/{item_id}/destroy", {"order": order})
    emit_object(_ordered(result, ("item", "destroyed", "object_id", "sha256")), as_json)


COMMANDS = [comms, quarantine]
