"""`custodio comms audio ID --follow -o FILE` as a user runs it (in-process, through
``main()``): the file grows while the call is open and gets its real length at the end.
The assembler closes the call from another thread, as `custodio serve` would from its own
process."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from custodio.client.main import main
from custodio.assemble import wav
from tests.integration.assemble.conftest import Line, sent_audio
from tests.integration.conftest import PASSPHRASE, PASSWORD


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    """SQLite only: the command's plumbing does not depend on the backend."""
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


def test_follow_writes_a_growing_wav_until_the_call_closes(
    line: Line, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line.directory = line.world.data_dir  # the journal where the command looks for it
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
    for name in [k for k in os.environ if k.startswith("CUSTODIO_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CUSTODIO_DATA", str(line.world.data_dir))
    monkeypatch.setenv("CUSTODIO_PASSWORD", PASSWORD)
    monkeypatch.setenv("CUSTODIO_VAULT_PASSPHRASE", PASSPHRASE)
    args = ["--user", "inv1", "comms", "audio", str(row["id"]), "--follow",
            "--direction", "target", "-o", str(out), "--purpose", "live",
            "--poll", "0.05"]  # fmt: skip
    try:
        main(args)
    except SystemExit as e:
        assert not e.code, capsys.readouterr().err
    closer.join(timeout=60)
    sent = sent_audio(0, 2.0, "es")
    assert "the call closed" in capsys.readouterr().out
    # it held audio before the call closed (the closer waited for it); packets in order
    # are placed as they come, so what was delivered may all be there already
    assert header < grew[0] <= header + len(sent)
    assert out.read_bytes() == wav.g711_wav(sent, wav.PCMA)  # a whole WAV with its length
