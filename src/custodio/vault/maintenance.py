"""Vault maintenance: verify, cleanup, key rotation and crypto-shredding.

Each returns a typed report; the CLI prints it and the caller writes it to the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from custodio.errors import KeyProviderError, NotFound
from custodio.vault.backends import Stored
from custodio.vault.envelope import ObjectCorrupt, ObjectMisplaced, object_name
from custodio.vault.index import ObjectRef
from custodio.vault.store import Vault

NAME = re.compile(r"objects/([0-9a-f]{2})/(\1[0-9a-f]{62})")
DEFAULT_GRACE = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Problem:
    name: str  # backend name of the object
    case_id: str | None
    detail: str


@dataclass(slots=True)
class VerifyReport:
    checked: int = 0
    missing: list[Problem] = field(default_factory=list)
    corrupt: list[Problem] = field(default_factory=list)
    misplaced: list[Problem] = field(default_factory=list)
    unreferenced: list[Stored] = field(default_factory=list)
    keyless: list[Problem] = field(default_factory=list)  # the case's data key is gone

    @property
    def ok(self) -> bool:
        problems = (self.missing, self.corrupt, self.misplaced, self.unreferenced, self.keyless)
        return not any(problems)


def verify(vault: Vault, *, case_id: str | None = None, sample: float = 1.0) -> VerifyReport:
    """Check the vault against the catalog; the contract of ``custodio vault verify``.

    Reads back and authenticates every object the catalog references (of ``case_id``
    only, when given; a random ``sample`` fraction, 0 < sample ≤ 1, when asked) and,
    over the whole vault (only when no case is given), lists the backend to find
    objects no catalog row references and names that are not vault object names.
    Reports, per object: *missing* (referenced, not in the backend), *corrupt* (fails
    authentication, truncated, wrong size), *misplaced* (intact but under another name or
    kind than its header says, or a stray name), *unreferenced* (in the backend, in no
    catalog row: a write whose commit never happened; ``cleanup`` removes it) and
    *keyless* (the case's data key is gone: shredded). ``report.ok`` is False when any
    list is non-empty: the CLI then exits non-zero. Raises BackendError when the backend
    cannot be read at all.
    """
    if not 0 < sample <= 1:
        raise ValueError(f"sample must be in (0, 1], got {sample}")
    report = VerifyReport()
    for ref in vault.index.objects(case_id):
        if sample >= 1 or secrets.randbelow(1_000_000) < sample * 1_000_000:
            _check_object(vault, ref, report)
    if case_id is None:
        _check_listing(vault, report)
    return report


def _check_object(vault: Vault, ref: ObjectRef, report: VerifyReport) -> None:
    name = object_name(bytes.fromhex(ref.object_id))
    report.checked += 1
    try:
        vault.case_keys(ref.case_id)
    except (NotFound, KeyProviderError) as exc:
        report.keyless.append(Problem(name, ref.case_id, str(exc)))
        return
    try:
        stored = vault.backend.size(name)
        if stored != ref.stored_size:
            raise ObjectCorrupt(name, f"{stored} bytes stored, catalog says {ref.stored_size}")
        for _ in vault.stream(ref.case_id, ref.object_id):
            pass
    except NotFound as exc:
        report.missing.append(Problem(name, ref.case_id, str(exc)))
    except ObjectMisplaced as exc:
        report.misplaced.append(Problem(name, ref.case_id, str(exc)))
    except ObjectCorrupt as exc:
        report.corrupt.append(Problem(name, ref.case_id, str(exc)))


def _check_listing(vault: Vault, report: VerifyReport) -> None:
    known = {object_name(bytes.fromhex(r.object_id)) for r in vault.index.objects()}
    for stored in vault.backend.list():
        if not NAME.fullmatch(stored.name):
            report.misplaced.append(Problem(stored.name, None, "not a vault object name"))
        elif stored.name not in known:
            report.unreferenced.append(stored)


@dataclass(frozen=True, slots=True)
class CleanupReport:
    deleted: list[str]
    too_young: list[str]  # unreferenced but younger than the grace period: maybe mid-write
    retained: list[str]  # the backend's retention (Object Lock) refused the deletion
    incomplete_discarded: int


def cleanup(vault: Vault, *, grace: dt.timedelta = DEFAULT_GRACE) -> CleanupReport:
    """Delete unreferenced objects older than ``grace`` and leftovers of failed writes.

    The grace period protects a write whose catalog commit is still on its way.
    """
    known = {object_name(bytes.fromhex(r.object_id)) for r in vault.index.objects()}
    limit = dt.datetime.now(dt.UTC) - grace
    deleted, young, retained = [], [], []
    for stored in list(_unreferenced(vault, known)):
        if stored.modified > limit:
            young.append(stored.name)
        elif vault.backend.delete(stored.name):
            deleted.append(stored.name)
        else:
            retained.append(stored.name)
    discarded = vault.backend.discard_incomplete(grace)
    return CleanupReport(deleted, young, retained, discarded)


def _unreferenced(vault: Vault, known: set[str]) -> Iterator[Stored]:
    return (s for s in vault.backend.list() if NAME.fullmatch(s.name) and s.name not in known)


@dataclass(frozen=True, slots=True)
class RotationReport:
    new_kek: str
    rewrapped: int
    retired: list[str]


def rotate_kek(vault: Vault, *, retire: bool = True) -> RotationReport:
    """Make a new KEK, re-wrap every case's data key under it, then destroy the old KEKs.

    Objects are not touched. Once old KEKs are retired, wrapped keys in old catalog
    backups no longer open: that is what makes shredding reach backups too.
    """
    provider = vault.provider
    old = {provider.current_kek}
    new = provider.new_kek()
    count = 0
    for wrapped in list(vault.index.wrapped_keys()):
        if wrapped.kek_id == new:
            continue
        old.add(wrapped.kek_id)
        data_key = provider.unwrap(wrapped)
        vault.index.replace_wrapped_key(provider.wrap(wrapped.case_id, data_key))
        count += 1
    retired = sorted(old - {new}) if retire else []
    for kek_id in retired:
        provider.retire_kek(kek_id)
    return RotationReport(new, count, retired)


@dataclass(frozen=True, slots=True)
class ShreddedObject:
    object_id: str
    kind: str
    stored_size: int
    stored_sha256: str | None  # of the ciphertext, read before deletion; None if missing
    deleted: bool  # False: the backend's retention keeps the (now unreadable) ciphertext


@dataclass(frozen=True, slots=True)
class ShredReport:
    """What a crypto-shredding destroyed: the body of the signed destruction certificate."""

    case_id: str
    at: str  # ISO 8601 UTC
    ordered_by: str
    kek_id: str | None  # the KEK that wrapped the destroyed data key
    objects: list[ShreddedObject]

    def certificate_body(self) -> bytes:
        """Canonical JSON, the bytes to sign."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()


def shred_case(vault: Vault, case_id: str, *, ordered_by: str) -> ShredReport:
    """Destroy a case: its data key first (every object becomes unreadable), then objects.

    Idempotent: run it again after a crash and it finishes the job. Objects kept by
    backend retention stay as unreadable ciphertext until it expires, then ``cleanup``
    removes them. Run :func:`rotate_kek` afterwards so catalog backups cannot revive the
    key.
    """
    wrapped = vault.index.get_wrapped_key(case_id)
    refs = list(vault.index.objects(case_id))
    digests = [_stored_sha256(vault, ref) for ref in refs]
    vault.index.destroy_wrapped_key(case_id)
    vault.forget_keys(case_id)
    shredded = [_delete(vault, ref, digest) for ref, digest in zip(refs, digests, strict=True)]
    vault.index.forget_objects(case_id)
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    kek_id = wrapped.kek_id if wrapped else None
    return ShredReport(case_id, at, ordered_by, kek_id, shredded)


def _stored_sha256(vault: Vault, ref: ObjectRef) -> str | None:
    name = object_name(bytes.fromhex(ref.object_id))
    try:
        stream = vault.backend.open(name)
    except NotFound:
        return None
    sha = hashlib.sha256()
    try:
        while block := stream.read(4 << 20):
            sha.update(block)
    finally:
        stream.close()
    return sha.hexdigest()


def _delete(vault: Vault, ref: ObjectRef, digest: str | None) -> ShreddedObject:
    deleted = vault.backend.delete(object_name(bytes.fromhex(ref.object_id)))
    return ShreddedObject(ref.object_id, ref.kind.name.lower(), ref.stored_size, digest, deleted)
