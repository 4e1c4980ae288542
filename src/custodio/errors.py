"""The one exception tree of Custodio.

Every error a user can meet is a :class:`CustodioError`. Each class knows the exit code
the CLI returns and the HTTP status the API answers with, and its message says what went
wrong and, where there is one, what to do about it (``hint``). Library errors (sqlite3,
psycopg, cryptography, boto3, ...) are wrapped into these at the module boundary.

    CustodioError                    exit 1   500
    ├── InvalidInput                 exit 2   400  a value given by the user is wrong
    ├── ConfigError                  exit 3   500  configuration or data directory
    │   ├── NotInitialised           exit 3   500
    │   └── AlreadyInitialised       exit 3   409
    ├── AuthenticationFailed         exit 4   401  wrong user or password
    │   ├── AccountLocked            exit 4   423
    │   └── SessionExpired           exit 4   401  unknown, expired or revoked session
    ├── Forbidden                    exit 5   403  the access policy said no
    ├── NotFound                     exit 6   404
    ├── Conflict                     exit 7   409  the change clashes with stored state
    ├── CatalogError                 exit 8   500  the SQL catalog failed
    │   └── CatalogVersionError      exit 8   500  catalog newer than this program
    ├── AuditIntegrityError          exit 9   500  the audit log was tampered with
    ├── IntegrityError               exit 10  500  a stored object failed authentication
    ├── KeyProviderError             exit 11  500  key file / HSM unusable
    ├── BackendError                 exit 12  503  object storage unreachable or full
    ├── DecodeError                  exit 13  400  malformed handover PDU
    ├── JournalError                 exit 14  500  the ingest journal failed
    └── OutputError                  exit 15  500  an output file cannot be written (-o)
"""

from __future__ import annotations


class CustodioError(Exception):
    """Something went wrong in Custodio."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} — {self.hint}"
        return self.message


class InvalidInput(CustodioError):
    """A value given by the user is not acceptable."""

    exit_code = 2
    http_status = 400


class ConfigError(CustodioError):
    """The configuration or the data directory is unusable."""

    exit_code = 3


class NotInitialised(ConfigError):
    """The data directory has not been initialised."""


class AlreadyInitialised(ConfigError):
    """The data directory is already initialised."""

    http_status = 409


class AuthenticationFailed(CustodioError):
    """Unknown user or wrong password."""

    exit_code = 4
    http_status = 401


class AccountLocked(AuthenticationFailed):
    """The account is locked after repeated failed logins."""

    http_status = 423


class SessionExpired(AuthenticationFailed):
    """The session token is unknown, expired or revoked: log in again."""

    def __init__(self, message: str = "the session has ended", *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or "log in again: `custodio login`")


class Forbidden(CustodioError):
    """The access policy refused the action."""

    exit_code = 5
    http_status = 403


class NotFound(CustodioError):
    """The named thing does not exist (or is not visible to the actor)."""

    exit_code = 6
    http_status = 404


class Conflict(CustodioError):
    """The change clashes with what is stored."""

    exit_code = 7
    http_status = 409


class CatalogError(CustodioError):
    """The SQL catalog failed."""

    exit_code = 8


class CatalogVersionError(CatalogError):
    """The catalog's schema is newer than this program knows."""


class AuditIntegrityError(CustodioError):
    """The audit log does not verify."""

    exit_code = 9


class IntegrityError(CustodioError):
    """A stored object failed its authentication check."""

    exit_code = 10


class KeyProviderError(CustodioError):
    """The key provider (key file or HSM) cannot be used."""

    exit_code = 11


class BackendError(CustodioError):
    """The object storage backend is unreachable, full or refused the operation."""

    exit_code = 12
    http_status = 503


class DecodeError(CustodioError):
    """A handover PDU is malformed."""

    exit_code = 13
    http_status = 400


class JournalError(CustodioError):
    """The ingest journal failed."""

    exit_code = 14


class OutputError(CustodioError):
    """The file asked for with ``-o`` cannot be written: a directory, a missing directory,
    an existing file (without ``--force``), a symbolic link, no permission, a full disk."""

    exit_code = 15
