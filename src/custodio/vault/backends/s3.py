"""An S3-compatible backend (boto3), with Object Lock retention where the bucket has it.

Small objects are one PUT; larger ones a multipart upload that is aborted on any error, so
a failed write leaves nothing visible. Retention is never the only protection: a server
may enforce it at its S3 gateway only (see docs/vault.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from custodio.errors import BackendError, NotFound
from custodio.vault.backends import BytesLike, Hashing, ReadStream, Stored

MISSING = {"NoSuchKey", "404", "NotFound"}


@dataclass(frozen=True, slots=True)
class S3Settings:
    endpoint: str | None
    bucket: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    retention_days: int = 0  # 0: no Object Lock retention on new objects
    lock_mode: str = "COMPLIANCE"
    part_size: int = 8 * 1024 * 1024
    read_back: bool = True
    timeout_s: float = 30.0


class S3Backend:
    """Objects in one bucket."""

    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        config = Config(
            connect_timeout=settings.timeout_s,
            read_timeout=settings.timeout_s,
            retries={"max_attempts": 2, "mode": "standard"},
        )
        self._s3: Any = boto3.client(
            "s3",
            endpoint_url=settings.endpoint,
            aws_access_key_id=settings.access_key,
            aws_secret_access_key=settings.secret_key,
            region_name=settings.region,
            config=config,
        )
        self._call("checking the bucket", self._s3.head_bucket, Bucket=settings.bucket)

    def _call(self, doing: str, func: Any, **kwargs: Any) -> Any:
        try:
            return func(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in MISSING:
                raise NotFound(f"{doing}: not in bucket {self.settings.bucket}") from None
            raise BackendError(f"S3 refused {doing}: {code} {exc}", hint=self._hint) from exc
        except BotoCoreError as exc:
            raise BackendError(f"S3 unreachable while {doing}: {exc}", hint=self._hint) from exc

    @property
    def _hint(self) -> str:
        return f"check that {self.settings.endpoint or 'S3'} is up and the credentials are valid"

    def _lock(self) -> dict[str, Any]:
        days = self.settings.retention_days
        if not days:
            return {}
        until = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
        return {"ObjectLockMode": self.settings.lock_mode, "ObjectLockRetainUntilDate": until}

    def write(self, name: str, pieces: Iterable[BytesLike]) -> int:
        hashing = Hashing()
        parts = _parts((hashing.feed(p) for p in pieces), self.settings.part_size)
        first = next(parts)
        second = next(parts, None)
        if second is None:
            self._call(f"writing object {name}", self._put, name=name, body=first)
        else:
            self._multipart(name, first, second, parts)
        if self.settings.read_back:
            self._read_back(name, hashing)
        return hashing.size

    def _put(self, name: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self.settings.bucket, Key=name, Body=body, **self._lock())

    def _multipart(self, name: str, first: bytes, second: bytes, rest: Iterator[bytes]) -> None:
        doing = f"writing object {name}"
        bucket = self.settings.bucket
        upload = self._call(
            doing, self._s3.create_multipart_upload, Bucket=bucket, Key=name, **self._lock()
        )
        upload_id = upload["UploadId"]
        try:
            done = [
                self._part(name, upload_id, i, body)
                for i, body in enumerate((first, second, *()), 1)
            ]
            done += [self._part(name, upload_id, i, body) for i, body in enumerate(rest, 3)]
            self._call(
                doing,
                self._s3.complete_multipart_upload,
                Bucket=bucket,
                Key=name,
                UploadId=upload_id,
                MultipartUpload={"Parts": done},
            )
        except BaseException:
            self._abort(name, upload_id)
            raise

    def _part(self, name: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        reply = self._call(
            f"writing part {number} of object {name}",
            self._s3.upload_part,
            Bucket=self.settings.bucket,
            Key=name,
            UploadId=upload_id,
            PartNumber=number,
            Body=body,
        )
        return {"PartNumber": number, "ETag": reply["ETag"]}

    def _abort(self, name: str, upload_id: str) -> None:
        # on failure, discard_incomplete() removes it later
        with contextlib.suppress(ClientError, BotoCoreError):
            self._s3.abort_multipart_upload(
                Bucket=self.settings.bucket, Key=name, UploadId=upload_id
            )

    def _read_back(self, name: str, hashing: Hashing) -> None:
        stream = self.open(name)
        try:
            hashing.check(stream, name)
        except BackendError:
            self.delete(name)
            raise
        finally:
            stream.close()

    def open(self, name: str) -> ReadStream:
        reply = self._call(
            f"reading object {name}", self._s3.get_object, Bucket=self.settings.bucket, Key=name
        )
        return _Body(reply["Body"], name, self)

    def read_range(self, name: str, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        reply = self._call(
            f"reading object {name}",
            self._s3.get_object,
            Bucket=self.settings.bucket,
            Key=name,
            Range=f"bytes={start}-{start + length - 1}",
        )
        return _Body(reply["Body"], name, self).read(length)

    def size(self, name: str) -> int:
        reply = self._call(
            f"reading object {name}", self._s3.head_object, Bucket=self.settings.bucket, Key=name
        )
        return int(reply["ContentLength"])

    def delete(self, name: str) -> bool:
        """Delete every version of ``name``; False if Object Lock keeps any of them."""
        versions = self._call(
            f"listing versions of {name}",
            self._s3.list_object_versions,
            Bucket=self.settings.bucket,
            Prefix=name,
        )
        entries = versions.get("Versions", []) + versions.get("DeleteMarkers", [])
        kept = False
        for entry in (e for e in entries if e["Key"] == name):
            kept |= not self._delete_version(name, entry["VersionId"])
        return not kept

    def _delete_version(self, name: str, version: str) -> bool:
        try:
            self._s3.delete_object(Bucket=self.settings.bucket, Key=name, VersionId=version)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "AccessDenied":
                return False
            raise BackendError(
                f"S3 refused deleting object {name}: {exc}", hint=self._hint
            ) from exc
        except BotoCoreError as exc:
            raise BackendError(
                f"S3 unreachable while deleting {name}: {exc}", hint=self._hint
            ) from exc
        return True

    def list(self) -> Iterator[Stored]:
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.settings.bucket, Prefix="objects/"
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield Stored(item["Key"], int(item["Size"]), item["LastModified"])
        except (ClientError, BotoCoreError) as exc:
            raise BackendError(f"S3 failed listing the bucket: {exc}", hint=self._hint) from exc

    def discard_incomplete(self, older_than: dt.timedelta) -> int:
        limit = dt.datetime.now(dt.UTC) - older_than
        reply = self._call(
            "listing uploads", self._s3.list_multipart_uploads, Bucket=self.settings.bucket
        )
        stale = [u for u in reply.get("Uploads", []) if u["Initiated"] < limit]
        for upload in stale:
            self._abort(upload["Key"], upload["UploadId"])
        return len(stale)


class _Body:
    """A botocore StreamingBody whose errors become BackendError."""

    def __init__(self, body: Any, name: str, backend: S3Backend) -> None:
        self._body, self._name, self._backend = body, name, backend

    def read(self, size: int, /) -> bytes:
        try:
            return bytes(self._body.read(size))
        except (BotoCoreError, OSError) as exc:
            raise BackendError(
                f"S3 failed while reading {self._name}: {exc}", hint=self._backend._hint
            ) from exc

    def close(self) -> None:
        self._body.close()


def _parts(pieces: Iterable[BytesLike], part_size: int) -> Iterator[bytes]:
    """Regroup pieces into parts of ``part_size``; the last may be smaller (or empty)."""
    buf = bytearray()
    emitted = False
    for piece in pieces:
        buf += piece
        while len(buf) >= part_size:
            yield bytes(buf[:part_size])
            del buf[:part_size]
            emitted = True
    if buf or not emitted:
        yield bytes(buf)


def create_bucket(settings: S3Settings, *, object_lock: bool) -> None:
    """Create the bucket (with Object Lock, which implies versioning) for setup and tests."""
    client = boto3.client(
        "s3",
        endpoint_url=settings.endpoint,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        region_name=settings.region,
    )
    try:
        client.create_bucket(Bucket=settings.bucket, ObjectLockEnabledForBucket=object_lock)
    except (ClientError, BotoCoreError) as exc:
        raise BackendError(f"cannot create bucket {settings.bucket}: {exc}") from exc
