"""How a call ended: its outcome from a SIP final response or a Q.850 release cause.

Outcomes: ``answered``, ``busy``, ``no-answer``, ``rejected``, ``cancelled``,
``unreachable``, ``redirected``, ``failed`` (docs/assembly.md, "Outcomes").
"""

from __future__ import annotations

# RFC 3261 §21 final responses to an INVITE that was not answered
SIP: dict[int, str] = {
    486: "busy", 600: "busy", 480: "no-answer", 408: "no-answer", 487: "cancelled",
    603: "rejected", 404: "unreachable", 604: "unreachable",
}  # fmt: skip
# Final responses after which the caller goes on with the same INVITE dialog: challenges
# (RFC 3261 §22.2-3), session timers too short (RFC 4028 §6), glare (RFC 3261 §14.2)
SIP_RETRIED = frozenset({401, 407, 422, 423, 491, 494})

# ITU-T Q.850 cause values (Table 1) of the class "normal event" that say why a call was
# not answered; any other value of that class says it was not (no-answer); the classes
# from 32 up (resources, service, protocol, interworking) say it failed.
Q850: dict[int, tuple[str, str]] = {
    1: ("unreachable", "unallocated (unassigned) number"),
    3: ("unreachable", "no route to destination"),
    16: ("no-answer", "normal call clearing"),
    17: ("busy", "user busy"),
    18: ("no-answer", "no user responding"),
    19: ("no-answer", "no answer from user (user alerted)"),
    20: ("unreachable", "subscriber absent"),
    21: ("rejected", "call rejected"),
    22: ("unreachable", "number changed"),
    27: ("failed", "destination out of order"),
    28: ("failed", "invalid number format (address incomplete)"),
    31: ("no-answer", "normal, unspecified"),
    34: ("failed", "no circuit/channel available"),
    38: ("failed", "network out of order"),
    41: ("failed", "temporary failure"),
    42: ("failed", "switching equipment congestion"),
    47: ("failed", "resource unavailable, unspecified"),
    102: ("failed", "recovery on timer expiry"),
    127: ("failed", "interworking, unspecified"),
}


def of_sip_response(status: int) -> str:
    """The outcome of an unanswered INVITE's final response (3xx-6xx)."""
    return SIP.get(status, "redirected" if status < 400 else "failed")


def of_release(cause: int) -> str:
    """The outcome of a call released before it was answered, by its Q.850 cause."""
    if cause in Q850:
        return Q850[cause][0]
    return "no-answer" if cause < 32 else "failed"


def cause_meaning(cause: int) -> str:
    """Q.850's name for ``cause`` (or its class)."""
    if cause in Q850:
        return Q850[cause][1]
    classes = ("normal event", "normal event", "resource unavailable",
               "service or option not available", "service or option not implemented",
               "invalid message", "protocol error", "interworking")  # fmt: skip
    return f"{classes[min(cause >> 4, 7)]} (cause {cause})"
