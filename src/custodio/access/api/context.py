"""What the application is made with: the service and, when it is open, the vault."""

from __future__ import annotations

from dataclasses import dataclass

from custodio.access.service import Service
from custodio.errors import BackendError
from custodio.vault.store import Vault


@dataclass(frozen=True)
class Api:
    svc: Service
    vault: Vault | None


class VaultUnavailable(BackendError):
    """The serving process has no vault open (503)."""
