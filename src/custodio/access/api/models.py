"""The bodies the API takes and the documents it answers with (its OpenAPI schemas).

Documents returned by the service layer are described field by field where a client
relies on the field; ``extra="allow"`` keeps the rest of the record (every column the
CLI's ``--json`` shows) without a second list of it to keep in step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from custodio.access.api.deps import MAX_NAME, MAX_TEXT

NO_NUL = r"^[^\x00]*$"  # text the catalog stores (PostgreSQL refuses NUL in text)


class Open(BaseModel):
    """A record with more fields than the ones named."""

    model_config = ConfigDict(extra="allow")


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- session -------------------------------------------------------------------------


class Login(Closed):
    name: str = Field(min_length=1, max_length=MAX_NAME, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=1024)
    otp: str | None = Field(default=None, max_length=16, description="the one-time code")


class Me(BaseModel):
    user_id: int
    name: str


class Token(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer TOKEN`")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme's name)
    expires_at: datetime = Field(description="the latest it lasts; idle, it ends sooner")
    user: Me


# --- cases, warrants, communications ---------------------------------------------------


class CaseSummary(Open):
    reference: str
    court: str
    title: str
    unit: str
    status: str
    created_at: str


class Assigned(Open):
    name: str
    role: str
    assigned_at: str
    until: str | None = None


class Warrant(Open):
    reference: str
    court: str
    judge: str
    valid_from: str
    valid_until: str
    scope: list[str]
    status: str
    targets: list[str]
    liids: list[dict[str, Any]]


class CaseDetail(CaseSummary):
    assigned: list[Assigned]
    warrants: list[Warrant]


class CommSummary(Open):
    id: int
    kind: str
    direction: str | None = None
    status: str
    begin_at: str | None = None
    end_at: str | None = None
    liid: str | None = None
    sealed: bool


class CommDetail(Open):
    id: int
    kind: str
    status: str
    parties: list[dict[str, Any]]
    products: list[dict[str, Any]]
    locations: list[dict[str, Any]] | None = Field(
        default=None, description="cell locations, where the warrant covers location data"
    )


class Label(Open):
    id: int
    communication_id: int
    kind: str
    value: str | None = None
    confidence: float | None = None
    source: str
    review: str | None = None


class Transcript(Open):
    """The stored transcript document: words with their seconds, segments."""


class Message(Open):
    """An SMS as stored: its text (null when it is not text), header fields, octets."""


class SealReport(Open):
    communication: int
    ok: bool
    problems: list[str]


class Hit(Open):
    """A search hit: the words found between « and » in ``snippet``; ``at_s`` the second
    of the call where the passage begins (none for an SMS, a note, a party)."""

    case: str
    communication_id: int
    kind: str
    direction: str | None = None
    at_s: float | None = None
    snippet: str
    score: float
    begin_at: str | None = None


class Term(Open):
    id: int
    text: str
    kind: str
    added_at: str
    removed_at: str | None = None


class NewTerm(Closed):
    text: str = Field(min_length=1, max_length=MAX_NAME, pattern=NO_NUL)
    kind: Literal["term", "name", "place", "number"] = "term"


class TermId(BaseModel):
    term: int


class Tuning(Open):
    match_threshold: float
    alert_threshold: float
    weights: dict[str, float]


class TuningChange(Closed):
    weights: dict[str, Annotated[float, Field(ge=0, le=1000)]] | None = Field(
        default=None, max_length=20, description="priority factor -> weight"
    )
    alert_threshold: float | None = Field(default=None, ge=0, le=1000)
    match_threshold: float | None = Field(default=None, ge=50, le=100)


# --- review, privilege, quarantine ---------------------------------------------------


class Review(Closed):
    decision: Literal["confirmed", "overruled"]
    note: str | None = Field(default=None, max_length=MAX_TEXT, pattern=NO_NUL)


class Intimate(Closed):
    start_s: float = Field(ge=0, le=86400, description="seconds from the call's start")
    end_s: float = Field(gt=0, le=86400)
    direction: Literal["target", "other"] | None = None
    note: str | None = Field(default=None, max_length=MAX_TEXT, pattern=NO_NUL)


class LabelId(BaseModel):
    label: int


class Flag(Open):
    label: int
    communication: int
    kind: str
    rule: str | None = None
    review: str | None = None
    sealed: bool


class Decision(Closed):
    decision: Literal["seal", "clear"]


class Decided(Open):
    communication: int
    decision: str
    labels: list[int]


class HeldSummary(Open):
    id: int
    liid: str | None = None
    operator: str | None = None
    reason: str
    data_kind: str


class Held(Open):
    id: int
    reason: str


class Order(Closed):
    order: str = Field(
        min_length=1, max_length=MAX_TEXT, pattern=NO_NUL, description="the court's order"
    )


class Released(Open):
    item: int
    released: bool


class Destroyed(Open):
    item: int
    destroyed: bool
    object_deleted: bool


class Done(BaseModel):
    ok: bool = True


# --- alerts, interpreters, jobs, audit -------------------------------------------------


class Alert(Open):
    id: int
    kind: str
    communication_id: int | None = None
    case: str
    created_at: str


class Queued(Open):
    communication: int
    case: str
    language: str | None = None
    label: int


class Job(Open):
    id: int
    kind: str
    communication_id: int
    state: str
    attempts: int


class Retry(Closed):
    ids: list[int] | None = Field(
        default=None, max_length=10000, description="the failed jobs to queue again; none: all"
    )


class Retried(BaseModel):
    jobs: list[int]


class AuditEntry(BaseModel):
    seq: int
    time: str
    actor: str
    action: str
    outcome: str
    target: str
    case_id: int | None
    purpose: str | None
    details: dict[str, Any]


class Verified(BaseModel):
    entries: int
    checkpoints: int
    root: str
    previous_size: int
    first_checked: int


# --- translations (interpreters) -------------------------------------------------------

LANGUAGE = r"^[A-Za-z]{2,3}$"


class TranslationAssignment(Closed):
    interpreter: str = Field(min_length=1, max_length=MAX_NAME, pattern=NO_NUL)
    language: str = Field(pattern=LANGUAGE, description="the language wanted (ISO 639)")


class TranslationAssigned(BaseModel):
    assignment: int
    communication: int
    interpreter: str
    language: str


class MyTranslation(BaseModel):
    """An open assignment in the interpreter's queue: no content."""

    assignment: int
    communication: int
    case: str
    kind: str
    language: str = Field(description="the language the translation is wanted in")
    spoken: str | None = Field(description="the language classification heard, if any")
    begin_at: str | None
    duration_s: float | None
    assigned_at: str


class NewTranslation(Closed):
    text: str = Field(min_length=1, max_length=50_000, pattern=NO_NUL)
    language: str | None = Field(default=None, pattern=LANGUAGE,
                                 description="the one asked for (the default)")  # fmt: skip


class TranslationSubmitted(BaseModel):
    label: int
    communication: int
    assignment: int
    language: str
    source: str = Field(description="interpreter:NAME")


class Imported(BaseModel):
    file: str
    sha256: str = Field(description="of the bytes as they arrived (chain of custody)")
    bytes: int
    stored: int = Field(description="octets in the vault (compressed, encrypted)")
    object: str
    duplicate: bool = Field(description="the case held identical content: stored once")


class Classified(BaseModel):
    queued: int = Field(description="communications queued now")
    jobs: list[int] = Field(description="the case's jobs left to run (queued now or before)")


class CaseJob(BaseModel):
    id: int
    state: str
