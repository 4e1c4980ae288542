"""`custodio comms audio ID --follow -o FILE` as a user runs it (in-process, through
``main()``, against the line's served API): the file grows while the call is open and
gets its real length at the end. The assembler closes the call from another thread, as
`custodio serve` would from its own process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from custodio.assemble import wav
from custodio.client.api import Api, Params
from custodio.client.comms_cmds import final_header, stream
from custodio.client.evidence_file import evidence_output
from custodio.errors import BackendError
from tests.integration.assemble.conftest import Line, sent_audio
from tests.integration.cli_in_process import (
    Custodio,
    ok,
    refused,
    service_url,  # noqa: F401 (a fixture)
)


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    """SQLite only: the command's plumbing does not depend on the backend."""
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


def test_follow_writes_a_growing_wav_until_the_call_closes(
    line: Line, custodio: Custodio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUSTODIO_VAULT_PASSPHRASE")  # a user's command never opens the vault
    line.deliver(profile="voip", calls=1, duration=2.0)
    line.assemble(final=False, end_grace_seconds=3600)
    (row,) = line.rows("SELECT id FROM communications")
    out = line.world.data_dir.parent / "live.wav"
    grew: list[int] = []

    header = len(wav.g711_wav_header(wav.PCMA))

    def close_later() -> None:  # once the file holds audio, the call ends
        while not out.exists() or out.stat().st_size <= header:
            time.sleep(0.05)
        grew.append(out.stat().st_size)
        line.assemble(final=True)

    closer = threading.Thread(target=close_later)
    closer.start()
    done = custodio("inv1", "comms", "audio", str(row["id"]), "--follow",
                    "--direction", "target", "-o", str(out), "--purpose", "live")  # fmt: skip
    closer.join(timeout=60)
    sent = sent_audio(0, 2.0, "es")
    assert f"the call closed: wrote {len(sent)} octets of audio to {out}" in ok(done)
    # it held audio before the call closed (the closer waited for it); packets in order
    # are placed as they come, so what was delivered may all be there already
    assert header < grew[0] <= header + len(sent)
    assert out.read_bytes() == wav.g711_wav(sent, wav.PCMA)  # a whole WAV with its length
    # a closed call is not followed: the service says so (409), and no file is left
    again = out.with_name("again.wav")
    refused(custodio("inv1", "comms", "audio", str(row["id"]), "--follow", "-o", str(again),
                     "--purpose", "live"), 7, "is closed")  # fmt: skip
    assert not again.exists()


@pytest.mark.parametrize("frames", [0, 1, 8000])
def test_the_final_header_is_the_one_a_whole_stereo_wav_has(frames: int) -> None:
    body = b"\x01\x02\x03\x04" * frames
    growing = wav.pcm_stereo_header() + body
    assert final_header(growing[:512], len(growing)) == (wav.pcm_stereo_header(frames),
                                                         len(body))  # fmt: skip


@pytest.mark.parametrize("samples", [0, 2, 16000])
def test_the_final_header_is_the_one_a_whole_g711_wav_has(samples: int) -> None:
    growing = wav.g711_wav_header(wav.PCMU) + b"\xd5" * samples
    assert final_header(growing[:512], len(growing)) == (
        wav.g711_wav_header(wav.PCMU, samples), samples)  # fmt: skip
    assert final_header(growing[:20], len(growing)) is None  # not a whole header yet


class CutOff(Api):
    """A service that sends the start of the audio, then nothing more."""

    def download(self, path: str, params: Params | None, write: Callable[[bytes], None], *,
                 purpose: str | None = None) -> int:  # fmt: skip
        write(wav.g711_wav_header(wav.PCMA) + b"\xd5" * 160)
        raise TimeoutError("timed out")


def test_a_stream_cut_off_half_way_is_one_error_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "live.wav"
    cut = pytest.raises(BackendError, match=r"stopped sending .* half-way \(timed out\)")
    with cut, evidence_output(out) as sink:
        stream(CutOff("http://127.0.0.1:9"), "/communications/1/live", None, sink.write, "live")
    assert not out.exists()
