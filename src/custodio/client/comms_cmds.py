"""``custodio comms|quarantine``: communications and what was held back."""

from __future__ import annotations

import json
import time
import unicodedata
from pathlib import Path
from typing import Any

import click

from custodio.access import comms as service
from custodio.access.cli.context import (
    Context,
    emit_object,
    emit_rows,
    json_option,
    pass_context,
    purpose_option,
)
from custodio.client.evidence_file import Sink, evidence_output
from custodio.catalog.comms import Filters
from custodio.catalog.identifiers import e164
from custodio.db.times import parse_user_time, to_text
from custodio.errors import IntegrityError


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
    as_json: bool,
) -> None:
    """The case's communications you may see (inside the warrant, not sealed)."""
    filters = Filters(
        begin_from=to_text(parse_user_time(begin_from)) if begin_from else None,
        begin_to=to_text(parse_user_time(begin_to, end_of_day=True)) if begin_to else None,
        party=e164(party) if party else None,
        kind=kind,
        status=status,
    )
    rows = service.list_comms(ctx.service(), ctx.session(), case_ref, filters)
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
    detail = service.show_comm(ctx.service(), ctx.session(), comm_id)
    emit_object(detail, as_json)
    if not as_json:
        for line in _readers(comm_id, detail["products"]):
            click.echo(line)


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
        if template is not None and p["superseded_at"] is None:
            command = template.format(id=comm_id, direction=p["direction"])
            kind = p["kind"]
            if (p["details"] or {}).get("task") == "translate":  # the machine draft
                kind, command = "machine draft translation", f"{command} --translation"
            line = f"  {kind}" + (f" ({p['direction']})" if p["direction"] else "")
            lines.append(f"{line}: {command}")
    return ["read its content with (audited, with your purpose):", *lines] if lines else []


_FORCE = click.option(
    "--force", is_flag=True, help="Replace FILE if it exists (never through a symbolic link)."
)


@comms.command("audio")
@click.argument("comm_id", type=int)
@click.option(
    "--direction", type=click.Choice(service.DIRECTIONS), default="both", show_default=True,
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
@click.option("--poll", type=float, default=0.5, show_default=True, hidden=True)
@purpose_option
@pass_context
def comms_audio(
    ctx: Context,
    comm_id: int,
    direction: str,
    output: Path,
    force: bool,
    follow: bool,
    poll: float,
    purpose: str | None,
) -> None:
    """Write a communication's audio to a WAV file (audited, with your purpose).

    The file is created new, readable by you only; an existing one is replaced only with
    --force. Nothing is left behind when writing fails.
    """
    if follow:
        _follow(ctx, comm_id, direction, output, purpose, poll, force)
        return
    with evidence_output(output, force=force) as sink:
        data = service.audio(ctx.service(), ctx.session(), ctx.vault(), comm_id, direction,
                             purpose)  # fmt: skip
        sink.write(data)
    _wrote(sink, len(data))


def _wrote(sink: Sink, size: int) -> None:
    if sink.seekable:  # a file: say so (on standard output the bytes are all there is)
        click.echo(f"wrote {size} bytes to {sink.shown}")


def _follow(ctx: Context, comm_id: int, direction: str, output: Path, purpose: str | None,
            poll: float, force: bool) -> None:  # fmt: skip
    """Write the growing WAV; a file gets its real length in the header at the end."""
    with evidence_output(output, force=force) as sink:
        live = service.follow_audio(ctx.service(), ctx.session(), comm_id, direction, purpose)
        while not live.done:
            data = live.poll()
            if data:
                sink.write(data)
            else:
                time.sleep(poll)
        header = live.final_header()
        if sink.seekable and header is not None:
            sink.rewrite_start(header)
    if sink.seekable:
        click.echo(f"the call closed: wrote {live.written} octets of audio to {sink.shown}")


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
    doc = service.message(ctx.service(), ctx.session(), ctx.vault(), comm_id, purpose)
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
        data = service.pcap(ctx.service(), ctx.session(), ctx.vault(), comm_id, purpose)
        sink.write(data)
    _wrote(sink, len(data))


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
    report = service.seal_check(ctx.service(), ctx.session(), ctx.vault(), comm_id)
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
    rows = service.quarantine_list(ctx.service(), ctx.session())
    emit_rows(rows, ["id", "reason", "data_kind", "liid", "operator", "records", "created_at"],
              as_json)  # fmt: skip


@quarantine.command("show")
@click.argument("item_id", type=int)
@json_option
@pass_context
def quarantine_show(ctx: Context, item_id: int, as_json: bool) -> None:
    """One held item: why, what, and where its encrypted copy lies."""
    emit_object(service.quarantine_show(ctx.service(), ctx.session(), item_id), as_json)


_ORDER = click.option("--order", required=True, metavar="TEXT",
                      help="The court's order (reference and date); it is audited.")  # fmt: skip


@quarantine.command("release")
@click.argument("item_id", type=int)
@_ORDER
@pass_context
def quarantine_release(ctx: Context, item_id: int, order: str) -> None:
    """Ask for an item's release (warrant officer); a judge must approve it."""
    service.quarantine_release(ctx.service(), ctx.session(), item_id, order)
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
    result = service.quarantine_approve(ctx.service(), ctx.session(), item_id, ctx.vault())
    emit_object(result, as_json)


@quarantine.command("destroy")
@click.argument("item_id", type=int)
@_ORDER
@json_option
@pass_context
def quarantine_destroy(ctx: Context, item_id: int, order: str, as_json: bool) -> None:
    """Delete an item's stored object on a court's order (judge; audited with digests)."""
    result = service.quarantine_destroy(ctx.service(), ctx.session(), ctx.vault(), item_id, order)
    emit_object(result, as_json)


COMMANDS = [comms, quarantine]
