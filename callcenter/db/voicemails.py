"""The voicemail inbox: each message a caller left, as work someone takes, handles and closes.

Strategy: Asterisk writes the message (`callcenter.ivr.voicemail`); the PBX side records it
here through the batched writer (`RecordVoicemail`, one row per call, kept if the same call
is recorded twice). A message is `new` until an agent takes it (`in_progress`, with the
agent), then `closed` with a disposition and a note; a message older than the retention is
`expired`: its file is deleted and the row stays, so the reports still count it. The row
keeps the queue and the call's uniqueid, the only two things the file's path is made of:
the web serves the file from them (never from a path a user or the row's text gives).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Float, ForeignKey, Index, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from callcenter.db.lifecycle import LifecycleKind, log_change
from callcenter.db.models import Base, BigId, Customer, Interaction, UTCDateTime

AUDIO_FORMAT = "wav"
"""What RECORD FILE is asked to write: 16-bit 8 kHz PCM in a WAV file."""
_NAME_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.")


def message_file(directory: str, queue: str, uniqueid: str) -> str:
    """Where Asterisk writes the message of call `uniqueid` for `queue` (no extension).

    Both names are kept to the characters they are made of (a queue name, an Asterisk
    uniqueid such as `1795340984.73`), so nothing in them can lead out of `directory`.
    """
    safe_queue = "".join(c for c in queue if c in _NAME_CHARS and c != ".") or "queue"
    safe_call = "".join(c for c in uniqueid if c in _NAME_CHARS).lstrip(".") or "call"
    return f"{directory.rstrip('/')}/{safe_queue}-{safe_call}"


def stored_message(directory: str, queue: str, uniqueid: str) -> Path | None:
    """The audio file of the message of call `uniqueid` for `queue`, as this machine sees
    `directory` (the shared spool): made as Asterisk was told to write it, and None when
    that would lie anywhere but directly in `directory` (a forged record, a symlink)."""
    folder = Path(directory).resolve()
    found = Path(f"{message_file(directory, queue, uniqueid)}.{AUDIO_FORMAT}").resolve()
    return found if found.parent == folder else None


class VoicemailStatus(StrEnum):
    """Where a message stands in the inbox."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    EXPIRED = "expired"
    """Older than the retention: the file is gone, the record stays."""


class VoicemailRow(Base):
    """One message a caller left for a queue."""

    __tablename__ = "voicemails"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    queue: Mapped[str] = mapped_column(String(64))
    caller_number: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16))
    agent: Mapped[str | None] = mapped_column(String(64))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disposition: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    callback_id: Mapped[int | None] = mapped_column(BigId)
    __table_args__ = (Index("ix_voicemails_queue_status", "queue", "status", "recorded_at"),)


@dataclass(frozen=True, slots=True)
class Voicemail:
    """A message as the inbox shows it; `customer_name` when the caller is known."""

    id: int
    call_id: str
    queue: str
    caller_number: str | None
    customer_id: int | None
    customer_name: str | None
    recorded_at: datetime
    seconds: float
    status: VoicemailStatus
    agent: str | None
    taken_at: datetime | None
    closed_at: datetime | None
    disposition: str | None
    note: str
    callback_id: int | None


class VoicemailNotFound(LookupError):
    """No message with that id."""


class VoicemailStateError(ValueError):
    """The message cannot do that now (closed, expired, or someone else's)."""


@dataclass(frozen=True, slots=True)
class RecordVoicemail:
    """A writer operation: a message was recorded for `queue` on call `call_id`.

    The caller's customer is taken from the call's interaction when the PBX side did not
    know it (the ACD's recorder writes it there). A second record of the same call changes
    nothing: the first one may already be in someone's hands.
    """

    call_id: str
    queue: str
    caller_number: str | None
    customer_id: int | None
    seconds: float
    at: datetime

    async def apply(self, session: AsyncSession) -> None:
        """Add the row inside the writer's transaction (nothing when it exists)."""
        if await session.scalar(
            select(VoicemailRow.id).where(VoicemailRow.call_id == self.call_id)
        ):
            return
        customer_id, number = self.customer_id, self.caller_number
        if customer_id is None or number is None:
            known = (
                await session.execute(
                    select(Interaction.customer_id, Interaction.caller_number).where(
                        Interaction.uniqueid == self.call_id
                    )
                )
            ).first()
            if known is not None:
                customer_id = customer_id if customer_id is not None else known[0]
                number = number if number is not None else known[1]
        row = VoicemailRow(
            call_id=self.call_id,
            queue=self.queue,
            caller_number=number,
            customer_id=customer_id,
            recorded_at=self.at,
            seconds=self.seconds,
            status=VoicemailStatus.NEW.value,
            note="",
        )
        session.add(row)
        await session.flush()
        log_change(
            session,
            LifecycleKind.VOICEMAIL_LEFT,
            self.at,
            self.queue,
            voicemail=row.id,
            call=self.call_id,
            seconds=self.seconds,
        )


def _voicemail(row: VoicemailRow, name: str | None) -> Voicemail:
    return Voicemail(
        id=row.id,
        call_id=row.call_id,
        queue=row.queue,
        caller_number=row.caller_number,
        customer_id=row.customer_id,
        customer_name=name,
        recorded_at=row.recorded_at,
        seconds=row.seconds,
        status=VoicemailStatus(row.status),
        agent=row.agent,
        taken_at=row.taken_at,
        closed_at=row.closed_at,
        disposition=row.disposition,
        note=row.note,
        callback_id=row.callback_id,
    )


class VoicemailRepository:
    """Lists, takes, closes and expires the messages in the inbox."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Read and write through `sessions`."""
        self._sessions = sessions

    async def messages(
        self,
        *,
        queues: list[str] | None = None,
        status: VoicemailStatus | None = None,
        limit: int = 200,
    ) -> list[Voicemail]:
        """The messages of `queues` (all when None), newest first, with the caller's name."""
        query = (
            select(VoicemailRow, Customer.name)
            .outerjoin(Customer, Customer.id == VoicemailRow.customer_id)
            .order_by(VoicemailRow.recorded_at.desc(), VoicemailRow.id.desc())
            .limit(limit)
        )
        if queues is not None:
            query = query.where(VoicemailRow.queue.in_(queues))
        if status is not None:
            query = query.where(VoicemailRow.status == status.value)
        async with self._sessions() as session:
            return [_voicemail(row, name) for row, name in (await session.execute(query)).all()]

    async def get(self, voicemail_id: int) -> Voicemail:
        """One message; `VoicemailNotFound` when there is none with that id."""
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(VoicemailRow, Customer.name)
                    .outerjoin(Customer, Customer.id == VoicemailRow.customer_id)
                    .where(VoicemailRow.id == voicemail_id)
                )
            ).first()
        if found is None:
            raise VoicemailNotFound(f"no voicemail {voicemail_id}")
        return _voicemail(found[0], found[1])

    async def by_call(self, call_id: str) -> Voicemail:
        """The message of call `call_id`; `VoicemailNotFound` when there is none."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(VoicemailRow.id).where(VoicemailRow.call_id == call_id)
            )
        if found is None:
            raise VoicemailNotFound(f"no voicemail of call {call_id!r}")
        return await self.get(found)

    async def take(self, voicemail_id: int, agent: str, now: datetime) -> Voicemail:
        """`agent` starts on the message (listening is taking it); a message already
        theirs stays as it is. Refused when it is closed, expired or someone else's."""
        async with self._sessions() as session, session.begin():
            row = await self._row(session, voicemail_id)
            if row.status in (VoicemailStatus.CLOSED, VoicemailStatus.EXPIRED):
                raise VoicemailStateError(f"voicemail {voicemail_id} is {row.status}")
            if row.agent not in (None, agent):
                raise VoicemailStateError(f"voicemail {voicemail_id} is {row.agent}'s")
            if row.status == VoicemailStatus.NEW:
                row.status = VoicemailStatus.IN_PROGRESS.value
                row.agent = agent
                row.taken_at = now
                log_change(
                    session,
                    LifecycleKind.VOICEMAIL_TAKEN,
                    now,
                    row.queue,
                    voicemail=row.id,
                    agent=agent,
                )
        return await self.get(voicemail_id)

    async def called_back(
        self, voicemail_id: int, callback_id: int, *, now: datetime | None = None
    ) -> None:
        """The callback request made for this message at `now` (default the present; the
        latest one counts)."""
        async with self._sessions() as session, session.begin():
            row = await self._row(session, voicemail_id)
            row.callback_id = callback_id
            log_change(
                session,
                LifecycleKind.VOICEMAIL_CALLED_BACK,
                now or datetime.now(UTC),
                row.queue,
                voicemail=row.id,
                callback=callback_id,
            )

    async def close(
        self, voicemail_id: int, agent: str | None, disposition: str, note: str, now: datetime
    ) -> Voicemail:
        """The message is handled. `agent` is who closes it (None: a supervisor, who may
        close anyone's); refused when it is already closed or expired."""
        async with self._sessions() as session, session.begin():
            row = await self._row(session, voicemail_id)
            if row.status in (VoicemailStatus.CLOSED, VoicemailStatus.EXPIRED):
                raise VoicemailStateError(f"voicemail {voicemail_id} is already {row.status}")
            if agent is not None and row.agent not in (None, agent):
                raise VoicemailStateError(f"voicemail {voicemail_id} is {row.agent}'s")
            row.status = VoicemailStatus.CLOSED.value
            if row.agent is None:
                row.agent = agent
                row.taken_at = now
            row.closed_at = now
            row.disposition = disposition
            row.note = note
            log_change(
                session,
                LifecycleKind.VOICEMAIL_CLOSED,
                now,
                row.queue,
                voicemail=row.id,
                agent=row.agent,
                disposition=disposition,
            )
        return await self.get(voicemail_id)

    async def expire_before(
        self, cutoff: datetime, *, now: datetime | None = None
    ) -> list[Voicemail]:
        """Mark every message recorded before `cutoff` expired (at `now`, default the
        present); returns those it marked (their files are the caller's to delete)."""
        async with self._sessions() as session, session.begin():
            rows = list(
                await session.scalars(
                    select(VoicemailRow).where(
                        VoicemailRow.recorded_at < cutoff,
                        VoicemailRow.status != VoicemailStatus.EXPIRED.value,
                    )
                )
            )
            if rows:
                await session.execute(
                    update(VoicemailRow)
                    .where(VoicemailRow.id.in_([r.id for r in rows]))
                    .values(status=VoicemailStatus.EXPIRED.value)
                )
                at = now or datetime.now(UTC)
                for row in rows:
                    log_change(
                        session, LifecycleKind.VOICEMAIL_EXPIRED, at, row.queue, voicemail=row.id
                    )
            return [_voicemail(r, None) for r in rows]

    @staticmethod
    async def _row(session: AsyncSession, voicemail_id: int) -> VoicemailRow:
        row = await session.scalar(
            select(VoicemailRow).where(VoicemailRow.id == voicemail_id).with_for_update()
        )
        if row is None:
            raise VoicemailNotFound(f"no voicemail {voicemail_id}")
        return row
