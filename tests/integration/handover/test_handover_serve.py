"""`custodio serve` as a real process: kill -9 under load, a full disk, TLS operators."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tests.integration.handover.served import CUSTODIO, start_serve

from custodio.etsi import encode as E
from custodio.handover.operators import client_context
from custodio.handover.quarantine import read_items
from custodio.journal import Journal
from custodio.simulator.mediator import Options, simulate

PASSWORD = "correct-horse-battery"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    env = {
        **base,
        "CUSTODIO_DATA": str(tmp_path / "data"),
        "CUSTODIO_PASSWORD": PASSWORD,
        "CUSTODIO_VAULT_PASSPHRASE": "vault-passphrase-for-tests",
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    done = subprocess.run(
        [*CUSTODIO, "init"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return env


def _journal(data: Path) -> list[bytes]:
    journal = Journal.open(data / "journal")
    try:
        return [r.pdu for r in journal.read(0, 10**9)]
    finally:
        journal.close_sync()


def test_kill_9_under_load_loses_no_acknowledged_pdu(env: dict[str, str]) -> None:
    data = Path(env["CUSTODIO_DATA"])
    with start_serve(env) as served:
        options = Options(
            hi2=served.hi2, hi3=served.hi3, calls=200, concurrency=50, connections=4,
            duration=3.0, realtime=True, ack_every=25, ledger=True, reconnect_timeout=1.0,
            seed=7,
        )  # fmt: skip
        killer = threading.Timer(2.0, served.proc.send_signal, (signal.SIGKILL,))
        killer.start()
        report = asyncio.run(simulate(options))
        killer.join()
        assert served.proc.wait(timeout=10) == -signal.SIGKILL
    assert report.error, "the simulation should have been cut short by the kill"
    assert report.pdus_acked > 2000, report.summary()  # 50 calls: 5,000 PDUs/s
    with start_serve(env) as restarted:  # recovery on restart, then a clean stop
        assert int(restarted.health()["handover"]["journal_durable_seq"]) >= report.pdus_acked
        restarted.stop()
    journal = Counter(hashlib.sha256(p).hexdigest() for p in _journal(data))
    acked = Counter(report.acked)
    assert len(acked) == report.pdus_acked  # every acknowledged PDU is distinct
    missing = [d for d in acked if journal[d] != 1]
    assert not missing, f"{len(missing)} acknowledged PDUs not present exactly once"
    assert max(journal.values()) == 1  # nothing was written twice
    print(f"sent {report.pdus_sent}, acknowledged {report.pdus_acked}, journal {len(journal)}")


@pytest.fixture
def small_tmpfs(env: dict[str, str]) -> Iterator[Path]:
    """A 3 MiB tmpfs mounted as the (initialised) data directory's journal, owner-only as
    serve requires."""
    mount = Path(env["CUSTODIO_DATA"]) / "journal"
    mount.mkdir(exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(mount)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"mounting a tmpfs needs root: {done.stderr}"
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_pauses_reading_and_resumes_without_loss(
    env: dict[str, str], small_tmpfs: Path
) -> None:
    data = Path(env["CUSTODIO_DATA"])
    filler = small_tmpfs / "filler"
    filler.write_bytes(b"\0" * (2800 << 10))  # leaves ~200 KiB of the 3 MiB
    env = {**env, "CUSTODIO_JOURNAL_SEGMENT_MIB": "1"}
    with start_serve(env) as served:
        options = Options(
            hi2=served.hi2, hi3=served.hi3, calls=20, concurrency=10, duration=2.0,
            realtime=False, ack_every=50, ledger=True, reconnect_timeout=30.0, seed=3,
        )  # fmt: skip
        result: list[object] = []
        sim = threading.Thread(target=lambda: result.append(asyncio.run(simulate(options))))
        sim.start()
        deadline = time.monotonic() + 30
        while served.health()["handover"]["journal_write_retries"] == 0:
            assert time.monotonic() < deadline, "the disk never filled"
            time.sleep(0.1)
        stalled = served.health()["handover"]["pdus_durable"]
        time.sleep(1.0)
        paused = served.health()["handover"]
        assert paused["pdus_durable"] == stalled  # nothing becomes durable on a full disk
        assert sim.is_alive()  # the operator is held back (TCP backpressure), not refused
        filler.unlink()  # space returns
        sim.join(timeout=60)
        assert not sim.is_alive()
        report = result[0]
        assert report.error == "", report.error  # type: ignore[attr-defined]
        health = served.health()["handover"]
        served.stop()
    assert report.pdus_acked == report.pdus_sent == 20 * (3 + 200)  # type: ignore[attr-defined]
    journal = Counter(hashlib.sha256(p).hexdigest() for p in _journal(data))
    assert all(journal[d] == 1 for d in report.acked)  # type: ignore[attr-defined]
    assert health["journal_write_retries"] > 0


# --- TLS -----------------------------------------------------------------------------


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(
    cn: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool = False,
) -> x509.Certificate:  # fmt: skip
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        san = x509.SubjectAlternativeName([x509.DNSName("localhost")])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Path:
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + pem_key)
    return path


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path | str]:
    ca_key = _key()
    ca = _cert("Custodio test CA", ca_key, None, ca_key, ca=True)
    out: dict[str, Path | str] = {"ca": tmp_path / "ca.pem"}
    Path(out["ca"]).write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for name, cn in (("server", "lemf"), ("operador", "mediador-es"), ("stranger", "nadie")):
        key = _key()
        cert = _cert(cn, key, ca, ca_key)
        out[name] = _write(tmp_path / f"{name}.pem", cert, key)
        out[f"{name}_fp"] = (
            "sha256:" + hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
        )
    return out


def _sqlite_audit(data: Path) -> list[tuple[str, str, str]]:
    with contextlib.closing(sqlite3.connect(data / "catalog.sqlite3")) as db:
        rows = db.execute("SELECT action, outcome, actor FROM audit_entries ORDER BY seq")
        return [tuple(r) for r in rows]


async def _send_and_wait_close(addr: tuple[str, int], tls: object, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(*addr, ssl=tls)
    writer.write(payload)
    with contextlib.suppress(ConnectionError):
        got = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()
    return got


def test_tls_client_certificates_map_to_operators(
    env: dict[str, str], pki: dict[str, Path | str]
) -> None:
    data = Path(env["CUSTODIO_DATA"])
    env = {
        **env,
        "CUSTODIO_HANDOVER_TLS_CERT": str(pki["server"]),
        "CUSTODIO_HANDOVER_TLS_KEY": str(pki["server"]),
        "CUSTODIO_HANDOVER_TLS_CA": str(pki["ca"]),
        "CUSTODIO_HANDOVER_OPERATORS": f"{pki['operador_fp']}=OPERADOR-ES",
    }
    ca, operador, stranger = Path(pki["ca"]), Path(pki["operador"]), Path(pki["stranger"])
    with start_serve(env) as served:
        good = Options(
            hi2=served.hi2, hi3=served.hi3, calls=2, sms=1, duration=0.2, realtime=False,
            ack_every=10, operator=b"OPERADOR-ES", tls=client_context(ca, operador), seed=1,
        )  # fmt: skip
        report = asyncio.run(simulate(good))
        assert report.error == "" and report.pdus_acked == report.pdus_sent == 2 * 23 + 1
        h = E.Header(liid=b"ES-LIID-0001", operator_id=b"OTRO-OP", sequence_number=0)
        forged = E.keepalive(h)
        tls = client_context(ca, operador)
        answer = asyncio.run(_send_and_wait_close(served.hi3, tls, forged))
        assert answer == b""  # no keep-alive response: refused and disconnected
        with pytest.raises((ConnectionError, OSError)):
            asyncio.run(_send_and_wait_close(served.hi2, client_context(ca, stranger), forged))
            raise ConnectionError("closed")  # reached only if the handshake got through
        health = served.health()["handover"]
        served.stop()
    assert health["operator_refused"] == 1 and health["peers_refused"] == 1
    audit = _sqlite_audit(data)
    assert ("handover.operator_mismatch", "denied", "operator:OPERADOR-ES") in audit
    assert ("handover.peer_refused", "denied", "certificate:nadie") in audit
    (item,) = read_items(data / "quarantine" / "quarantine.log")
    assert item.raw == forged and "OTRO-OP" in item.reason
