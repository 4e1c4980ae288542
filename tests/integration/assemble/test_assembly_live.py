"""An open call: its start is a notification, its audio can be followed as it grows."""

from __future__ import annotations

import json

import pytest

from custodio.access import comms as service
from custodio.assemble import wav
from custodio.errors import Conflict
from tests.integration.assemble.conftest import Line, sent_audio


def test_a_call_in_progress_is_notified_and_followed_until_it_closes(line: Line) -> None:
    line.deliver(profile="voip", calls=1, duration=3.0)
    # applied, but not closed: the IRI-End's grace period has not passed
    line.assemble(final=False, end_grace_seconds=3600)
    (row,) = line.rows("SELECT * FROM communications")
    assert row["status"] == "open"
    notes = line.rows("SELECT * FROM notifications")
    assert [(n["kind"], n["communication_id"]) for n in notes] == [("call.started", row["id"])]
    assert json.loads(notes[0]["detail"]) == {"liid": row["liid"], "target": "originating"}

    svc, inv = line.world.svc, line.world.as_("inv1")
    live = service.follow_audio(svc, inv, row["id"], "target", "live monitoring",
                                journal_dir=line.directory / "journal")  # fmt: skip
    first = live.poll()
    header = wav.g711_wav_header(wav.PCMA)
    assert first.startswith(header) and len(first) > len(header) + 8000  # > 1 s already
    assert live.poll() == b"" and not live.done  # nothing new yet: the call is open
    line.assemble(final=True)  # the assembler closes it
    rest = live.poll()
    assert live.done and live.poll() == b""
    sent = sent_audio(0, 3.0, "es")
    assert first[len(header) :] + rest == sent  # sample-exact, nothing twice
    assert live.final_header() == wav.g711_wav_header(wav.PCMA, len(sent))
    reads = line.rows(
        "SELECT * FROM audit_entries WHERE action = 'content.read' AND target = ?",
        (f"communication:{row['id']}",),
    )
    assert len(reads) == 1 and reads[0]["purpose"] == "live monitoring"  # once per session
    # once closed, the stored audio is what was followed
    stored = service.audio(svc, inv, line.vault, row["id"], "target", "check")
    assert wav.read_g711_wav(stored)[1] == sent


def test_both_sides_live_are_a_stereo_stream(line: Line) -> None:
    line.deliver(profile="mobile", calls=1, duration=2.0)
    line.assemble(final=False, end_grace_seconds=3600)
    (row,) = line.rows("SELECT * FROM communications")
    svc, inv = line.world.svc, line.world.as_("inv1")
    live = service.follow_audio(svc, inv, row["id"], "both", "live monitoring",
                                journal_dir=line.directory / "journal")  # fmt: skip
    data = live.poll()
    line.assemble(final=True)
    data += live.poll()
    assert live.done
    header = wav.pcm_stereo_header()
    frames = data[len(header) :]
    target, other = sent_audio(0, 2.0, "es"), sent_audio(0, 2.0, "en")
    expected = wav.pcm_frames(wav.decode(target, wav.PCMA), wav.decode(other, wav.PCMA))
    assert data.startswith(header) and frames == expected


def test_a_closed_call_cannot_be_followed(line: Line) -> None:
    line.deliver(profile="voip", calls=1, duration=0.4)
    line.assemble()
    (row,) = line.rows("SELECT * FROM communications")
    svc, inv = line.world.svc, line.world.as_("inv1")
    with pytest.raises(Conflict, match="is closed"):
        service.follow_audio(svc, inv, row["id"], "target", "x")
