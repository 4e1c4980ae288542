"""An open call listened to through the API as it is assembled: one streamed WAV that
ends when the call closes, sample-exact, audited once."""

from __future__ import annotations

from custodio.assemble import wav
from tests.integration.api.conftest import Served, error
from tests.integration.assemble.conftest import sent_audio


def test_an_open_call_is_streamed_until_it_closes(served: Served) -> None:
    line = served.line
    line.deliver(profile="voip", calls=1, duration=3.0)
    line.assemble(final=False, end_grace_seconds=3600)  # applied, not closed
    (row,) = line.rows("SELECT id, status FROM communications")
    assert row["status"] == "open"
    inv1 = served.client("inv1")
    url = f"/communications/{row['id']}/live"
    error(inv1.get(url), 403, "forbidden", "needs a purpose")
    error(served.client("inv2").get(url, params={"purpose": "p"}), 403, "forbidden")
    before = served.last_seq()
    header = wav.g711_wav_header(wav.PCMA)
    params = {"direction": "target", "purpose": "live monitoring"}
    with inv1.stream("GET", url, params=params) as reply:
        assert reply.status_code == 200 and reply.headers["Content-Type"] == "audio/wav"
        chunks = reply.iter_bytes()
        got = b""
        while len(got) <= len(header) + 8000:  # more than a second already held
            got += next(chunks)
        line.assemble(final=True)  # the assembler closes the call: the stream ends
        got += b"".join(chunks)
    assert got == header + sent_audio(0, 3.0, "es")
    reads = [(e["action"], e["actor"], e["purpose"]) for e in served.entries(after=before)
             if e["action"] == "content.read"]  # fmt: skip
    assert reads == [("content.read", "inv1", "live monitoring")]  # once for the stream
    error(inv1.get(url, params=params), 409, "conflict", "is closed")
