"""Content through the API: audio with HTTP Range requests (the same bytes as the CLI's
`comms audio`), a data session's pcap, an SMS's text, a transcript; each read needs a
purpose and an assignment, each is audited, and without a vault the service says 503."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from custodio.catalog import transcripts
from custodio.vault.envelope import Kind
from tests.integration.api.conftest import Served, error
from tests.integration.assemble.conftest import Line
from tests.integration.assemble.test_comms_content_cli import one_data_session
from tests.integration.cli_in_process import (  # noqa: F401 (fixtures, by name)
    Custodio,
    custodio,
    environment,
    service_url,
)
from tests.integration.served_api import serving

PURPOSE = "diligencias 12/2026"


def one_call(line: Line) -> int:
    line.deliver(profile="voip", calls=1, duration=1.0)
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'voice'")
    return int(row["id"])


def reads(served: Served, after: int) -> list[tuple[Any, ...]]:
    return [(e["actor"], e["outcome"], e["purpose"], e["target"])
            for e in served.entries(after=after) if e["action"] == "content.read"]  # fmt: skip


def test_audio_with_range_requests_is_the_clis_audio(
    served: Served,
    custodio: Custodio,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    comm = one_call(served.line)
    inv1 = served.client("inv1")
    url = f"/communications/{comm}/audio"
    for direction in ("both", "target"):
        out = tmp_path / f"{direction}.wav"
        done = custodio("inv1", "comms", "audio", str(comm), "--direction", direction,
                        "-o", str(out), "--purpose", PURPOSE)  # fmt: skip
        assert done.returncode == 0, done.stderr
        whole = inv1.get(url, params={"direction": direction, "purpose": PURPOSE})
        assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
        assert whole.headers["Content-Type"] == "audio/wav"
        assert whole.content == out.read_bytes()
    data = out.read_bytes()  # the target's
    size = len(data)
    params = {"direction": "target", "purpose": PURPOSE}
    cases = [("bytes=0-43", 0, 43), ("bytes=100-199", 100, 199), ("bytes=-100", size - 100,
             size - 1), (f"bytes=1000-{size + 500}", 1000, size - 1),
             ("bytes=1000-", 1000, size - 1)]  # fmt: skip
    for header, first, last in cases:
        part = inv1.get(url, params=params, headers={"Range": header})
        assert part.status_code == 206, (header, part.text)
        assert part.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert part.content == data[first : last + 1]
    past = inv1.get(url, params=params, headers={"Range": f"bytes={size}-"})
    error(past, 416, "range_not_satisfiable", "past the end")
    assert past.headers["Content-Range"] == f"bytes */{size}"
    several = inv1.get(url, params=params, headers={"Range": "bytes=0-1,5-6"})
    assert several.status_code == 200 and several.content == data  # one range, or the whole
    # the purpose as a header (percent-encoded UTF-8): audited as given
    before = served.last_seq()
    headed = inv1.get(url, params={"direction": "target"},
                      headers={"X-Custodio-Purpose": "diligencias%20n%C2%BA%2012"})  # fmt: skip
    assert headed.content == data
    assert reads(served, before) == [("inv1", "allowed", "diligencias nº 12",
                                      f"communication:{comm}")]  # fmt: skip


def test_content_needs_a_purpose_and_the_case(served: Served) -> None:
    comm = one_call(served.line)
    before = served.last_seq()
    inv1, inv2 = served.client("inv1"), served.client("inv2")
    url = f"/communications/{comm}/audio"
    error(inv1.get(url), 403, "forbidden", "needs a purpose")
    error(inv1.get(url, params={"purpose": "  "}), 403, "forbidden", "needs a purpose")
    error(inv2.get(url, params={"purpose": "curiosity"}), 403, "forbidden", "not assigned")
    error(served.client("wo").get(url, params={"purpose": "p"}), 403, "forbidden",
          "may not content.read")  # fmt: skip
    error(inv1.get(url, params={"purpose": "x" * 501}), 422, "invalid_request", "purpose")
    error(inv1.get(url, params={"purpose": "a\x00b"}), 400, "invalid_input", "no NUL")
    error(inv1.get(url, headers={"X-Custodio-Purpose": "%00"}), 400, "invalid_input", "NUL")
    error(inv1.get(url, params={"purpose": "p", "direction": "up"}), 422, "invalid_request")
    error(inv1.get(f"/communications/{comm}/labels"), 403, "forbidden", "needs a purpose")
    target = f"communication:{comm}"
    assert reads(served, before) == [
        ("inv1", "denied", None, target),
        ("inv1", "denied", "  ", target),
        ("inv2", "denied", "curiosity", target),
        ("wo", "denied", "p", target),
        ("inv1", "denied", None, target),
    ]


def test_an_sms_text_and_a_data_sessions_pcap(served: Served) -> None:
    line = served.line
    text = "Mañana a las 9 en el garaje."
    line.deliver(calls=0, sms=1, sms_texts=(text,))
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'sms'")
    sms = int(row["id"])
    data = int(one_data_session(line))
    inv1 = served.client("inv1")
    before = served.last_seq()
    doc = inv1.get(f"/communications/{sms}/message", params={"purpose": PURPOSE}).json()
    assert (doc["kind"], doc["text"]) == ("sms", text)
    pcap = inv1.get(f"/communications/{data}/pcap", params={"purpose": PURPOSE})
    assert pcap.status_code == 200
    assert pcap.headers["Content-Type"] == "application/vnd.tcpdump.pcap"
    assert pcap.content[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4")  # libpcap magic
    head = inv1.get(f"/communications/{data}/pcap", params={"purpose": PURPOSE},
                    headers={"Range": "bytes=0-23"})  # fmt: skip
    assert head.status_code == 206 and head.content == pcap.content[:24]
    error(inv1.get(f"/communications/{sms}/pcap", params={"purpose": "p"}), 404, "not_found",
          "has no pcap")  # fmt: skip
    error(inv1.get(f"/communications/{sms}/transcript", params={"purpose": "p"}), 404,
          "not_found", "is an SMS")  # fmt: skip
    error(served.client("inv2").get(f"/communications/{sms}/message", params={"purpose": "p"}),
          403, "forbidden", "not assigned")  # fmt: skip
    assert reads(served, before) == [
        ("inv1", "allowed", PURPOSE, f"communication:{sms}"),
        ("inv1", "allowed", PURPOSE, f"communication:{data}"),
        ("inv1", "allowed", PURPOSE, f"communication:{data}"),
        ("inv2", "denied", "p", f"communication:{sms}"),
    ]


def test_a_transcript_with_word_times(served: Served) -> None:
    line = served.line
    comm = one_call(line)
    (audio,) = line.rows("SELECT vault_case FROM comm_products WHERE communication_id = ? "
                         "AND kind = 'audio' AND direction = 'target'", (comm,))  # fmt: skip
    doc = {"direction": "target", "language": "es", "text": "hola",
           "words": [{"word": "hola", "start": 0.12, "end": 0.48}]}  # fmt: skip
    body = json.dumps(doc).encode()
    ref = line.vault.put(audio["vault_case"], Kind.TRANSCRIPT, body)
    line.world.svc.db.write(lambda tx: transcripts.record(
        tx, comm, "target", ref.case_id, ref.object_id, hashlib.sha256(body).hexdigest(),
        len(body), {"task": "transcribe", "language": "es"}))  # fmt: skip
    inv1 = served.client("inv1")
    url = f"/communications/{comm}/transcript"
    (got,) = inv1.get(url, params={"purpose": PURPOSE}).json()
    assert got == doc
    assert inv1.get(url, params={"purpose": PURPOSE, "direction": "target"}).json() == [doc]
    error(inv1.get(url, params={"purpose": PURPOSE, "direction": "other"}), 404, "not_found",
          "no transcript of the other direction")  # fmt: skip
    error(inv1.get(url, params={"purpose": PURPOSE, "translation": "true"}), 404, "not_found",
          "machine draft translation")  # fmt: skip
    error(inv1.get(url), 403, "forbidden", "needs a purpose")
    error(served.client("inv2").get(url, params={"purpose": "p"}), 403, "forbidden")


@pytest.fixture
def without_vault(line: Line) -> Any:
    with serving(line, None) as base:
        yield Served(line, base)


def test_without_a_vault_content_is_503(without_vault: Served) -> None:
    comm = one_call(without_vault.line)
    inv1 = without_vault.client("inv1")
    for path in ("audio", "pcap", "message", "transcript", "seal"):
        found = error(inv1.get(f"/communications/{comm}/{path}", params={"purpose": "p"}), 503,
                      "vault_unavailable", "no vault open")  # fmt: skip
        assert "custodio serve" in found["hint"]
    assert inv1.get(f"/communications/{comm}").status_code == 200  # traffic data needs none
    for client in without_vault.clients:
        client.close()
