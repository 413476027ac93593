"""The tables, as typed SQLAlchemy 2 models.

Strategy: one declarative `Base`; every time is stored in UTC (`UTCDateTime` hands back
aware datetimes on SQLite too, where the driver forgets the zone); structured call data
(IVR path and answers, survey scores, event details) is JSON, read whole and never queried
inside. The indexes are the CTI lookups: phone number and account number are unique, and
history is read newest first per customer. The migrations in `migrations/versions` create
exactly these tables (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (naive values are refused)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes: a time without a zone is a bug waiting for DST."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """SQLite returns naive values; they were stored in UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of every table."""


class Customer(Base):
    """A customer: who they are and how they are treated (tier, language)."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    account: Mapped[str] = mapped_column(String(64), unique=True)
    tier: Mapped[str] = mapped_column(String(16), default="standard")
    language: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Phone(Base):
    """One of a customer's phone numbers, in E.164 (`+4930123456`)."""

    __tablename__ = "customer_phones"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    __table_args__ = (Index("ix_customer_phones_customer", "customer_id"),)


class Interaction(Base):
    """One call, from arrival to the survey; written as the call progresses."""

    __tablename__ = "interactions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    caller_number: Mapped[str | None] = mapped_column(String(32))
    dialled_number: Mapped[str | None] = mapped_column(String(32))
    ivr_path: Mapped[list[str]] = mapped_column(JSON, default=list)
    ivr_data: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    queue: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(64))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text, default="")
    survey_scores: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    __table_args__ = (
        Index("ix_interactions_customer_arrived", "customer_id", "arrived_at"),
        Index("ix_interactions_caller_arrived", "caller_number", "arrived_at"),
    )


class Ticket(Base):
    """A complaint or request, followed until the customer confirms it is settled."""

    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    category: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    step: Mapped[str] = mapped_column(String(16), default="received", server_default="received")
    """The last step of the complaint process done (`cti.complaint.Step`)."""
    step_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the next step is promised (None once confirmed)."""
    queue: Mapped[str | None] = mapped_column(String(64))
    """The queue of the call it was opened on: whose worklist and wallboard show it."""
    __table_args__ = (
        Index("ix_tickets_customer_status", "customer_id", "status"),
        Index("ix_tickets_step_due", "step", "step_due_at"),
    )


class TicketChange(Base):
    """One step of a ticket's history: who moved it where, when, and why."""

    __tablename__ = "ticket_history"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    step: Mapped[str | None] = mapped_column(String(16))
    """The step after the change (None on rows from before the six steps)."""
    promise_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the step this change completed was promised: kept if `at` is not later."""
    __table_args__ = (Index("ix_ticket_history_ticket", "ticket_id"),)


class TicketFollowUp(Base):
    """A call to the customer after a ticket is resolved: are they satisfied?"""

    __tablename__ = "ticket_followups"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    agent: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(16), default="agent", server_default="agent")
    """Who calls: `agent`, or `automated` (the IVR call; `cti.followups`)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Automated calls placed so far."""
    dialling_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Set while an automated call is out: a restart does not dial it again."""
    last_result: Mapped[str | None] = mapped_column(String(32))
    """What the last automated call came to (answered, busy, no-answer, no-key ...)."""
    unreached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the automated calls were used up without an answer (left to an agent)."""
    __table_args__ = (Index("ix_ticket_followups_ticket", "ticket_id"),)


class CallbackRequest(Base):
    """A caller's request to be called back within a time window."""

    __tablename__ = "callbacks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    queue: Mapped[str | None] = mapped_column(String(64))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    name: Mapped[str | None] = mapped_column(String(120))
    """The name the customer gave (the web form), when not a known customer's."""
    channel: Mapped[str] = mapped_column(String(16), default="ivr", server_default="ivr")
    """Where the request came from: ivr, web, followup, voicemail."""
    scheduled: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    """Waiting for its window: the schedule puts it in line at its start, then clears this."""
    reason: Mapped[str | None] = mapped_column(String(32))
    """Why a failed request ended without reaching the customer (`FailReason`)."""
    __table_args__ = (Index("ix_callbacks_status_window", "status", "window_start"),)


class CallbackAttemptRow(Base):
    """One try at calling a customer back: when, which agent, and what came of it."""

    __tablename__ = "callback_attempts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    agent: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(32))
    __table_args__ = (Index("ix_callback_attempts_callback", "callback_id"),)


class User(Base):
    """Someone who logs in: an agent, a supervisor or an admin (argon2 password hash)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallEventRow(Base):
    """One entry of the append-only call event log (queue_log-like); triggers refuse edits."""

    __tablename__ = "call_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    call_id: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    term: Mapped[int | None] = mapped_column(BigInteger)
    """The leader's term when written (several nodes); NULL from a single node."""
    __table_args__ = (
        Index("ix_call_events_at", "at"),
        Index("ix_call_events_call", "call_id"),
        Index("ix_call_events_kind_at", "kind", "at"),
    )


class ClusterState(Base):
    """The one row several nodes share: the term in force and who leads in it
    (callcenter.cluster); the event log's PostgreSQL trigger holds writes to the term."""

    __tablename__ = "cluster_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    term: Mapped[int] = mapped_column(BigInteger)
    leader: Mapped[str | None] = mapped_column(String(64))
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (CheckConstraint("id = 1", name="cluster_state_one_row"),)


class ClusterNode(Base):
    """A node of the cluster as last heard from: its role, the term it saw, when."""

    __tablename__ = "cluster_nodes"
    node: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    term: Mapped[int] = mapped_column(BigInteger)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fastagi: Mapped[str | None] = mapped_column(String(255))
    """The FastAGI address Asterisk reaches this node at (a standby sends queued callers
    on to the leader's)."""


class ClusterMessage(Base):
    """What a standby relays to the leader and the leader's answer (callcenter.cluster.relay)."""

    __tablename__ = "cluster_messages"
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(120), unique=True)
    sender: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    taken_by: Mapped[str | None] = mapped_column(String(64))
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[int | None] = mapped_column(SmallInteger)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        Index(
            "cluster_messages_untaken",
            "seq",
            postgresql_where=text("taken_by IS NULL"),
            sqlite_where=text("taken_by IS NULL"),
        ),
        Index("cluster_messages_created", "created_at"),
    )


class ConfigVersion(Base):
    """One version of the configuration that is data (today the ACD section): who stored
    it, when, why, the whole document and what changed against the version before it.
    Rows are only ever added; a rollback adds a version equal to an older one."""

    __tablename__ = "config_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    """The version number: 1, 2, 3 ..."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    diff: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class FlowVersion(Base):
    """One version of one IVR flow: the YAML text as uploaded, who stored it, when, why,
    and the lines changed against the flow's version before it. Rows are only ever added;
    the newest version of a flow is the one the IVR runs, and a rollback adds a version
    equal to an older one."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow", "version", name="uq_flow_versions_flow_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    """The flow's own version number: 1, 2, 3 ..."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    diff: Mapped[str] = mapped_column(Text, default="")
    """A unified diff against the version before (empty for version 1)."""


class WebSession(Base):
    """A login session of the web, so that a restart (or another node) logs nobody out.

    Only a hash of the session's token is stored: a copy of the database does not let
    anyone in. The CSRF token is stored as is (it is useless without the cookie)."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
