"""Content leaving through the CLI: `custodio comms audio|pcap -o FILE` (one writer: a new
file, mode 0600, never through a link, `--force` to replace, `-` for standard output) and
`custodio comms message` (an SMS's text), each allowed by the policy and audited. The
commands run in-process through ``main()`` (its one error handler) against the line's
served API, except where standard output's bytes matter: there a real process. A user's
command is given no vault passphrase: the service reads the vault, the CLI never does."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from custodio.etsi import encode as E
from custodio.etsi.pdu import Direction, IRIType, decode
from custodio.handover.routing import to_routing
from custodio.journal import Journal
from custodio.simulator import media
from tests.integration.assemble.conftest import LIID, OPERATOR, Line
from tests.integration.cli_in_process import (
    Custodio,
    ok,
    refused,
    service_url,  # noqa: F401 (a fixture)
)

TEXT = "Mañana a las 9 en el garaje de la calle Sevilla."


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    """SQLite only: the commands' plumbing does not depend on the backend."""
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """Where the user writes what he reads (nothing else in it)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture
def umask() -> Iterator[None]:
    """The usual umask, which would leave a new file readable by everyone (0644)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def one_call(line: Line) -> str:
    line.deliver(profile="voip", calls=1, duration=1.0)
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'voice'")
    return str(row["id"])


def stored(line: Line, comm_id: str, kind: str, direction: str | None = None) -> bytes:
    (product,) = [
        p
        for p in line.rows(
            "SELECT * FROM comm_products WHERE communication_id = ? AND kind = ?",
            (int(comm_id), kind),
        )
        if direction in (None, p["direction"])
    ]
    return line.vault.get(product["vault_case"], product["object_id"])


def content_reads(line: Line) -> list[dict[str, Any]]:
    rows = line.rows("SELECT * FROM audit_entries WHERE action = 'content.read' ORDER BY seq")
    return [{**r, "details": json.loads(str(r["details"]))} for r in rows]


# --- the one writer of -o ---------------------------------------------------------------


def test_audio_is_written_to_a_new_file_readable_by_its_owner_only(
    line: Line, custodio: Custodio, outdir: Path, umask: None
) -> None:
    comm = one_call(line)
    out = outdir / "call.wav"
    done = custodio(
        "inv1",
        "comms",
        "audio",
        comm,
        "--direction",
        "target",
        "-o",
        str(out),
        "--purpose",
        "diligencias 12/2026",
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == stored(line, comm, "audio", "target")
    assert mode(out) == 0o600
    assert f"to {out}" in done.stdout


def test_bad_output_paths_are_one_line_errors_and_leave_nothing(
    line: Line, custodio: Custodio, outdir: Path
) -> None:
    comm = one_call(line)
    audio = ("inv1", "comms", "audio", comm, "--purpose", "p", "-o")
    directory = outdir / "a-directory"
    directory.mkdir()
    refused(custodio(*audio, str(directory)), 15, "is a directory")
    assert not list(directory.iterdir())
    missing = outdir / "missing" / "dir" / "call.wav"
    refused(custodio(*audio, str(missing)), 15, "does not exist")
    assert not (outdir / "missing").exists()
    # a link planted where the evidence goes: neither followed nor replaced
    victim = outdir / "victim.txt"
    victim.write_bytes(b"not yours")
    link = outdir / "link.wav"
    link.symlink_to(victim)
    refused(custodio(*audio, str(link)), 15, "symbolic link")
    refused(custodio(*audio, str(link), "--force"), 15, "symbolic link")
    dangling = outdir / "dangling.wav"
    dangling.symlink_to(outdir / "would-be-created.wav")
    refused(custodio(*audio, str(dangling)), 15, "symbolic link")
    assert victim.read_bytes() == b"not yours" and link.is_symlink()
    # no permission to write in the directory
    locked = outdir / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root writes anywhere: only another user can be refused here
        refused(custodio(*audio, str(locked / "call.wav")), 15, "permission denied")
    # a refusal of the policy after the file was checked: the new file is gone again
    new = outdir / "new.wav"
    refused(
        custodio("inv2", "comms", "audio", comm, "--purpose", "p", "-o", str(new)),
        5,
        "not assigned",
    )
    assert not new.exists()
    refused(custodio("inv1", "comms", "audio", comm, "-o", str(new)), 5, "needs a purpose")
    assert sorted(p.name for p in outdir.iterdir()) == [
        "a-directory",
        "dangling.wav",
        "link.wav",
        "locked",
        "victim.txt",
    ]


def test_an_existing_file_is_replaced_only_with_force(
    line: Line, custodio: Custodio, outdir: Path, umask: None
) -> None:
    comm = one_call(line)
    out = outdir / "call.wav"
    out.write_bytes(b"an earlier file")
    os.chmod(out, 0o644)
    audio = (
        "inv1",
        "comms",
        "audio",
        comm,
        "--direction",
        "target",
        "--purpose",
        "p",
        "-o",
        str(out),
    )
    refused(custodio(*audio), 15, "already exists")
    assert out.read_bytes() == b"an earlier file"
    done = custodio(*audio, "--force")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == stored(line, comm, "audio", "target")
    assert mode(out) == 0o600
    assert [p.name for p in outdir.iterdir()] == ["call.wav"]  # no temporary file left


def test_audio_through_the_api_never_asks_for_the_vault_passphrase(
    line: Line, custodio: Custodio, outdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    comm = one_call(line)
    monkeypatch.delenv("CUSTODIO_VAULT_PASSPHRASE")
    closed = io.StringIO()
    closed.close()  # a prompt would fail on it
    monkeypatch.setattr(sys, "stdin", closed)
    out = outdir / "call.wav"
    done = ok(custodio("inv1", "comms", "audio", comm, "--direction", "target",
                       "-o", str(out), "--purpose", "p"))  # fmt: skip
    size = len(stored(line, comm, "audio", "target"))
    assert done == f"wrote {size} bytes to {out}\n"
    assert out.read_bytes() == stored(line, comm, "audio", "target")


def test_dash_is_standard_output_and_never_a_file_named_dash(
    line: Line, environment: dict[str, str], outdir: Path
) -> None:
    """A real process (standard output's bytes), with no vault passphrase and no input."""
    comm = one_call(line)
    environment = {k: v for k, v in environment.items() if k != "CUSTODIO_VAULT_PASSPHRASE"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "custodio.client.main",
            "--user",
            "inv1",
            "comms",
            "audio",
            comm,
            "--direction",
            "target",
            "-o",
            "-",
            "--purpose",
            "p",
        ],
        env=environment,
        cwd=outdir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == stored(line, comm, "audio", "target")
    assert not (outdir / "-").exists()


# --- an SMS's text ----------------------------------------------------------------------


def one_sms(line: Line) -> str:
    line.deliver(calls=0, sms=1, sms_texts=(TEXT,))
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'sms'")
    return str(row["id"])


def test_an_sms_text_is_read_with_a_purpose_and_audited(line: Line, custodio: Custodio) -> None:
    comm = one_sms(line)
    done = custodio("inv1", "comms", "message", comm, "--purpose", "diligencias 12/2026")
    assert done.returncode == 0, done.stderr
    assert TEXT in done.stdout.splitlines()
    whole = custodio("inv1", "comms", "message", comm, "--json", "--purpose", "again")
    doc = json.loads(whole.stdout)
    assert doc == json.loads(stored(line, comm, "message"))
    assert (doc["kind"], doc["text"]) == ("sms", TEXT)
    first, _ = content_reads(line)
    assert (first["actor"], first["outcome"], first["purpose"]) == (
        "inv1",
        "allowed",
        "diligencias 12/2026",
    )
    assert first["target"] == f"communication:{comm}"
    assert first["details"]["product"] == "message"

    refused(custodio("inv1", "comms", "message", comm), 5, "needs a purpose")
    refused(
        custodio("inv2", "comms", "message", comm, "--purpose", "curiosity"),
        5,
        "not assigned to this case",
    )
    denied = [r for r in content_reads(line) if r["outcome"] == "denied"]
    assert [(r["actor"], r["target"]) for r in denied] == [
        ("inv1", f"communication:{comm}"),
        ("inv2", f"communication:{comm}"),
    ]
    assert len(content_reads(line)) == 4  # no read went unrecorded


def test_transcript_and_show_point_an_sms_to_comms_message(
    line: Line, custodio: Custodio, outdir: Path
) -> None:
    comm = one_sms(line)
    transcript = custodio("inv1", "comms", "transcript", comm, "--purpose", "p")
    refused(transcript, 6, "is an SMS: it has no transcript")
    assert "read its text with `custodio comms message ID --purpose TEXT`" in transcript.stderr
    shown = custodio("inv1", "comms", "show", comm)
    assert shown.returncode == 0, shown.stderr
    assert f"message: custodio comms message {comm} --purpose TEXT" in shown.stdout
    out = outdir / "x.pcap"
    refused(
        custodio("inv1", "comms", "pcap", comm, "-o", str(out), "--purpose", "p"),
        6,
        "has no pcap — it has: `custodio comms message ID`",
    )
    assert not out.exists()


# --- a data session's packets -----------------------------------------------------------

IPCC_OID = (0, 4, 0, 2, 2, 5, 3, 20, 2)  # li-ps iPAccess version20 cC
CIN = 4343


def one_data_session(line: Line) -> str:
    """IRI-Begin, two IP packets as IPCC, IRI-End, straight into the journal (the simulator
    speaks voice only)."""
    begin = datetime.now(UTC).replace(microsecond=0)

    def header(seq: int, at: datetime) -> E.Header:
        return E.Header(
            liid=LIID.encode(),
            operator_id=OPERATOR.encode(),
            network_element_id=b"GGSN-MAD-01",
            cin=CIN,
            sequence_number=seq,
            timestamp=at,
        )

    def ipcc(seq: int, packet: bytes, direction: Direction) -> bytes:
        cc = E.cons(2, E.prim(0, E.oid_content(IPCC_OID)), E.cons(1, E.prim(0, packet)))
        payload = E.sequence(E.prim(0, E.uint(direction.value)), E.cons(2, cc))
        return E.ps_pdu(header(seq, begin + timedelta(milliseconds=seq)), E.cons(1, payload))

    target = E.Party(3, msisdn=b"\x43\x60\x01\x11\x22")
    record = E.IRIRecord(
        liid=LIID.encode(),
        communication_id=str(CIN).encode(),
        operator_id=b"OPERA",
        local_time=begin.replace(tzinfo=None),
        call_direction=1,
        parties=(target,),
    )
    up = media.ipv4_udp(bytes([10, 0, 0, 7]), bytes([198, 51, 100, 9]), 5353, 53, b"query")
    down = media.ipv4_udp(bytes([198, 51, 100, 9]), bytes([10, 0, 0, 7]), 53, 5353, b"answer")
    end = header(1, begin + timedelta(seconds=1))
    items = [
        (2, E.iri_etsi671(header(0, begin), IRIType.BEGIN, record)),
        (3, ipcc(0, up, Direction.FROM_TARGET)),
        (3, ipcc(1, down, Direction.TO_TARGET)),
        (2, E.iri_etsi671(end, IRIType.END, record)),
    ]
    journal = Journal.open(line.directory / "journal")
    try:
        for channel, pdu in items:
            journal.append_sync([(to_routing(decode(pdu), channel, "test"), pdu)], time.time_ns())
    finally:
        journal.close_sync()
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'data'")
    return str(row["id"])


def test_a_data_session_pcap_is_downloaded_and_audited(
    line: Line, custodio: Custodio, outdir: Path, umask: None
) -> None:
    comm = one_data_session(line)
    out = outdir / "session.pcap"
    done = custodio("inv1", "comms", "pcap", comm, "-o", str(out), "--purpose", "diligencias")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == stored(line, comm, "pcap")
    assert mode(out) == 0o600
    (read,) = content_reads(line)
    assert (read["actor"], read["outcome"], read["purpose"]) == ("inv1", "allowed", "diligencias")
    assert read["details"]["product"] == "pcap"
    refused(
        custodio("inv1", "comms", "pcap", comm, "-o", str(out), "--purpose", "p"),
        15,
        "already exists",
    )
    refused(
        custodio("inv2", "comms", "pcap", comm, "-o", str(outdir / "x.pcap"), "--purpose", "p"),
        5,
        "not assigned",
    )
    refused(
        custodio("inv1", "comms", "transcript", comm, "--purpose", "p"),
        6,
        "`custodio comms pcap ID`",
    )
    shown = custodio("inv1", "comms", "show", comm)
    assert f"pcap: custodio comms pcap {comm} -o FILE.pcap --purpose TEXT" in shown.stdout
