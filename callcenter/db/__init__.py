"""Persistence: SQLAlchemy 2 (async) on an embedded SQLite file or PostgreSQL, by URL.

`make_engine(url)` and `make_sessions(engine)` build the engine and the session factory;
`upgrade(engine)` applies the shipped Alembic migrations. The repositories
(`CustomerRepository`, `InteractionRepository`, `TicketRepository`, `CallbackRepository`,
`UserRepository`, `EventLog`, `ConfigVersions`, `VoicemailRepository`) each take the session
factory. Their "not found" errors (`CustomerNotFound`, `InteractionNotFound`,
`TicketNotFound`, `UserNotFound`, `VersionNotFound`, `VoicemailNotFound`) are
`LookupError`s; refused input is a `ValueError` (`DuplicateCustomer`, `InvalidPhoneNumber`,
`UserError`, `cti.TicketError`, `ConfigInvalid`, `VoicemailStateError`). Writes from the
call path go through `BatchedWriter`, which batches, retries and reports, and never blocks
a call.
"""

from callcenter.db.callbacks import (
    AttemptResult,
    Callback,
    CallbackAttempt,
    CallbackRepository,
    CallbackStatus,
)
from callcenter.db.config_versions import (
    Change,
    ConfigConflict,
    ConfigInvalid,
    ConfigProblem,
    ConfigVersions,
    StoredVersion,
    VersionNotFound,
)
from callcenter.db.customers import (
    CustomerNotFound,
    CustomerRepository,
    DuplicateCustomer,
    InvalidPhoneNumber,
    NewCustomer,
    to_e164,
    try_e164,
)
from callcenter.db.engine import DEFAULT_URL, make_engine, make_sessions
from callcenter.db.events import AppendEvents, CallEvent, EventLog, event_from_record
from callcenter.db.interaction_history import InteractionRepository
from callcenter.db.interactions import (
    InteractionData,
    InteractionNotFound,
    InteractionRecord,
    SaveInteraction,
)
from callcenter.db.migrate import current_revision, head_revision, upgrade
from callcenter.db.tickets import HistoryEntry, TicketNotFound, TicketRepository
from callcenter.db.users import Role, UserError, UserInfo, UserNotFound, UserRepository
from callcenter.db.voicemails import (
    RecordVoicemail,
    Voicemail,
    VoicemailNotFound,
    VoicemailRepository,
    VoicemailStateError,
    VoicemailStatus,
)
from callcenter.db.writer import BatchedWriter, WriteOp, WriteQueueFull

__all__ = [
    "DEFAULT_URL",
    "AppendEvents",
    "AttemptResult",
    "BatchedWriter",
    "CallEvent",
    "Callback",
    "CallbackAttempt",
    "CallbackRepository",
    "CallbackStatus",
    "Change",
    "ConfigConflict",
    "ConfigInvalid",
    "ConfigProblem",
    "ConfigVersions",
    "CustomerNotFound",
    "CustomerRepository",
    "DuplicateCustomer",
    "EventLog",
    "HistoryEntry",
    "InteractionData",
    "InteractionNotFound",
    "InteractionRecord",
    "InteractionRepository",
    "InvalidPhoneNumber",
    "NewCustomer",
    "RecordVoicemail",
    "Role",
    "SaveInteraction",
    "StoredVersion",
    "TicketNotFound",
    "TicketRepository",
    "UserError",
    "UserInfo",
    "UserNotFound",
    "UserRepository",
    "VersionNotFound",
    "Voicemail",
    "VoicemailNotFound",
    "VoicemailRepository",
    "VoicemailStateError",
    "VoicemailStatus",
    "WriteOp",
    "WriteQueueFull",
    "current_revision",
    "event_from_record",
    "head_revision",
    "make_engine",
    "make_sessions",
    "to_e164",
    "try_e164",
    "upgrade",
]
