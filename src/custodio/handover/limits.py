"""What the receiver lets its peers hold (docs/handover.md, "Limits"); a peer is one IP
address, whatever its port or certificate.

:class:`ConnectionLimits` holds the bounds, read from the settings and checked there;
:class:`Peers` is the receiver's book of each address against them: connections open,
octets quarantined in the current window, whether it is cut off, when a refusal of it was
last logged.
"""

from __future__ import annotations

from dataclasses import dataclass

from custodio.config import Settings
from custodio.errors import ConfigError

MIN_IDLE_TIMEOUT_S = 30  # mediators send keep-alives every 10-30 s: a shorter timeout cuts them
REFUSAL_LOG_S = 60.0  # one log line per refused address per minute; the rest are counted


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """The receiver's bounds; :meth:`from_settings` for ``custodio serve``."""

    connections: int  # open in all; more are refused
    connections_per_peer: int  # open from one address; more are refused
    idle_timeout_s: float  # no whole PDU for this long: closed
    buffered_octets: int  # read from one connection and not durable: it stops reading
    buffered_octets_total: int  # from all: reading stops, or an unfinished PDU is cut
    quarantine_quota_octets: int  # quarantined from one address in a window: cut off
    quarantine_quota_s: float  # the window, and how long a cut-off lasts

    @classmethod
    def from_settings(cls, s: Settings) -> ConnectionLimits:
        """The bounds of the settings; ConfigError naming the setting that cannot be."""
        _at_least("handover_max_connections", s.handover_max_connections, 1)
        _at_least("handover_max_connections_per_peer", s.handover_max_connections_per_peer, 1)
        _at_least(
            "handover_idle_timeout_seconds",
            s.handover_idle_timeout_seconds,
            MIN_IDLE_TIMEOUT_S,
            "longer than the keep-alive interval of every operator's mediator (10-30 s is"
            " usual), or its quiet links are cut",
        )
        _at_least(
            "handover_max_buffered_octets",
            s.handover_max_buffered_octets,
            s.handover_max_pdu_octets,
            "at least handover_max_pdu_octets: a connection must be able to hold one PDU",
        )
        _at_least(
            "handover_max_buffered_octets_total",
            s.handover_max_buffered_octets_total,
            s.handover_max_buffered_octets,
            "at least handover_max_buffered_octets",
        )
        _at_least(
            "handover_quarantine_quota_octets",
            s.handover_quarantine_quota_octets,
            s.handover_max_pdu_octets,
            "at least handover_max_pdu_octets: one malformed PDU must not cut a peer off",
        )
        _at_least("handover_quarantine_quota_seconds", s.handover_quarantine_quota_seconds, 1)
        return cls(
            connections=s.handover_max_connections,
            connections_per_peer=s.handover_max_connections_per_peer,
            idle_timeout_s=float(s.handover_idle_timeout_seconds),
            buffered_octets=s.handover_max_buffered_octets,
            buffered_octets_total=s.handover_max_buffered_octets_total,
            quarantine_quota_octets=s.handover_quarantine_quota_octets,
            quarantine_quota_s=float(s.handover_quarantine_quota_seconds),
        )


def _at_least(name: str, value: int, least: int, why: str = "") -> None:
    if value < least:
        raise ConfigError(
            f"setting {name} is {value}; it must be at least {least}",
            hint=why or f"set {name} to {least} or more (docs/configuration.md)",
        )


@dataclass(slots=True)
class _Quota:
    until: float  # monotonic seconds: the end of the window, or of the cut-off
    octets: int = 0
    cut: bool = False


class Peers:
    """The receiver's book of peer addresses (monotonic seconds throughout)."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.open: dict[str, int] = {}
        self._quotas: dict[str, _Quota] = {}
        self._logged: dict[str, tuple[float, int]] = {}  # last line, refusals since

    def refusal(self, peer: str, open_in_all: int, now: float) -> str | None:
        """Why a new connection from ``peer`` is refused, or None to take it."""
        limits = self.limits
        if self.cut_off(peer, now):
            return "the address is cut off (its quarantine quota is spent)"
        if open_in_all >= limits.connections:
            return f"{open_in_all} connections open in all (handover_max_connections)"
        if self.open.get(peer, 0) >= limits.connections_per_peer:
            return (
                f"{self.open[peer]} connections open from {peer}"
                " (handover_max_connections_per_peer)"
            )
        return None

    def join(self, peer: str) -> None:
        self.open[peer] = self.open.get(peer, 0) + 1

    def leave(self, peer: str) -> None:
        left = self.open[peer] - 1
        if left:
            self.open[peer] = left
        else:
            del self.open[peer]

    def spend(self, peer: str, octets: int, now: float) -> _Quota | None:
        """Count ``octets`` quarantined from ``peer``; its quota when this crossed it (the
        peer is cut off from now on for a window), else None."""
        quota = self._quotas.get(peer)
        if quota is None or quota.until <= now:
            quota = self._quotas[peer] = _Quota(now + self.limits.quarantine_quota_s)
        quota.octets += octets
        if quota.cut or quota.octets <= self.limits.quarantine_quota_octets:
            return None
        quota.cut = True
        quota.until = now + self.limits.quarantine_quota_s
        return quota

    def cut_off(self, peer: str, now: float) -> bool:
        quota = self._quotas.get(peer)
        return quota is not None and quota.cut and quota.until > now

    def log_refusal(self, peer: str, now: float) -> int | None:
        """None when a refusal of ``peer`` is only to be counted (one was logged within
        :data:`REFUSAL_LOG_S`); else how many went unlogged before it."""
        last = self._logged.get(peer)
        if last is not None and now - last[0] < REFUSAL_LOG_S:
            self._logged[peer] = (last[0], last[1] + 1)
            return None
        self._logged[peer] = (now, 0)
        return 0 if last is None else last[1]

    def forget(self, now: float) -> None:
        """Drop what has expired: windows and cut-offs past, refusal lines long ago."""
        for peer in [p for p, q in self._quotas.items() if q.until <= now]:
            del self._quotas[peer]
        for peer in [p for p, (t, _) in self._logged.items() if now - t >= REFUSAL_LOG_S]:
            del self._logged[peer]


DEFAULT_CONNECTION_LIMITS = ConnectionLimits.from_settings(Settings())
