"""What the application is made with: the service and, when it is open, the vault."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from custodio.access.service import Service
from custodio.errors import BackendError
from custodio.vault.store import Vault


@dataclass(frozen=True)
class Api:
    svc: Service
    vault: Vault | None
    journal_dir: Path | None = None  # live audio: another journal than the data directory's


class VaultUnavailable(BackendError):
    """The serving process has no vault open (503)."""
