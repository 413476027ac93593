"""The six steps of the complaint process as ticket states, with a promise per step.

Strategy: a ticket's `step` is the last step of the process it has completed: received
(it exists), acknowledged (the customer was told when to expect an answer), investigated,
proposed (a solution went to the customer), checked (with the customer, the follow-up
call) and confirmed (the customer said they are satisfied). `reopened` is the seventh
state: an unhappy customer sends the ticket back to work. Each state promises the next
step within a number of hours (`STEP_PROMISES_H`); a ticket whose promise has passed is
overdue and escalates to the supervisor. Moves are a table, as `cti.tickets`' statuses
are: a move not in it is refused with what is allowed. Who may move: a supervisor (or
admin) any ticket; an agent their own tickets and unassigned ones (which become theirs).

The coarse status the screen pop and the in-call form show (`TicketStatus`) follows from
the step (`STATUS_OF_STEP`); a coarse move from the in-call form lands on the step
`STEP_OF_STATUS` names. Pure: time is an input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cti.tickets import IllegalTransition, TicketError, TicketStatus


class Step(StrEnum):
    """The last step of the complaint process a ticket has completed."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATED = "investigated"
    PROPOSED = "proposed"
    CHECKED = "checked"
    CONFIRMED = "confirmed"
    REOPENED = "reopened"


SIX_STEPS: tuple[Step, ...] = (
    Step.RECEIVED,
    Step.ACKNOWLEDGED,
    Step.INVESTIGATED,
    Step.PROPOSED,
    Step.CHECKED,
    Step.CONFIRMED,
)
"""The process in order (the seed's receive ... confirm satisfaction)."""

STEP_MOVES: Mapping[Step, tuple[Step, ...]] = {
    Step.RECEIVED: (Step.ACKNOWLEDGED,),
    Step.ACKNOWLEDGED: (Step.INVESTIGATED,),
    Step.INVESTIGATED: (Step.PROPOSED,),
    Step.PROPOSED: (Step.CHECKED, Step.REOPENED),
    Step.CHECKED: (Step.CONFIRMED, Step.REOPENED),
    Step.CONFIRMED: (Step.REOPENED,),
    Step.REOPENED: (Step.ACKNOWLEDGED, Step.INVESTIGATED),
}
"""Each state and where it may go; the first is the step it promises next."""

# A constant table, not configuration: the promises are the center's service standard
# for complaints and change with it, not per shift. Kept per step (the category's own
# promise, `ticket_categories`, still bounds the whole ticket as `due_at`).
STEP_PROMISES_H: Mapping[Step, float] = {
    Step.ACKNOWLEDGED: 4.0,
    Step.INVESTIGATED: 24.0,
    Step.PROPOSED: 24.0,
    Step.CHECKED: 48.0,
    Step.CONFIRMED: 24.0,
}
"""Hours within which a ticket must complete a step after the one before (a reopened
ticket's next step, acknowledged, gets the acknowledge promise)."""

STATUS_OF_STEP: Mapping[Step, TicketStatus] = {
    Step.RECEIVED: TicketStatus.OPEN,
    Step.ACKNOWLEDGED: TicketStatus.IN_PROGRESS,
    Step.INVESTIGATED: TicketStatus.IN_PROGRESS,
    Step.PROPOSED: TicketStatus.RESOLVED,
    Step.CHECKED: TicketStatus.RESOLVED,
    Step.CONFIRMED: TicketStatus.CONFIRMED,
    Step.REOPENED: TicketStatus.REOPENED,
}
"""The coarse status (screen pop, in-call form) of each state."""

STEP_OF_STATUS: Mapping[TicketStatus, Step] = {
    TicketStatus.OPEN: Step.RECEIVED,
    TicketStatus.IN_PROGRESS: Step.ACKNOWLEDGED,
    TicketStatus.RESOLVED: Step.PROPOSED,
    TicketStatus.CONFIRMED: Step.CONFIRMED,
    TicketStatus.REOPENED: Step.REOPENED,
}
"""Where a coarse move of the in-call form lands."""


class NotAllowed(TicketError):
    """The user may not do this to this ticket (not the workflow: who they are)."""


def parse_step(value: str) -> Step:
    """The step named `value`; `IllegalTransition` naming the known ones otherwise."""
    try:
        return Step(value)
    except ValueError:
        known = ", ".join(s.value for s in Step)
        raise IllegalTransition(f"unknown step {value!r} (one of: {known})") from None


def check_step(current: str, target: str) -> Step:
    """The target step, if a ticket at `current` may move there; else `IllegalTransition`
    naming both and what is allowed."""
    to = parse_step(target)
    allowed = STEP_MOVES[Step(current)]
    if to not in allowed:
        options = ", ".join(s.value for s in allowed)
        raise IllegalTransition(
            f"a ticket cannot go from {current} to {to.value}; from {current} it may go to "
            f"{options}"
        )
    return to


def promised_step(step: Step) -> Step | None:
    """The step a ticket at `step` has promised next (None once confirmed)."""
    if step is Step.CONFIRMED:
        return None
    return STEP_MOVES[step][0]


def step_due_at(step: Step, entered_at: datetime) -> datetime | None:
    """When a ticket that reached `step` at `entered_at` must complete its next step."""
    following = promised_step(step)
    if following is None:
        return None
    return entered_at + timedelta(hours=STEP_PROMISES_H[following])


def is_overdue(step: str, due: datetime | None, now: datetime) -> bool:
    """Whether the promise of a ticket at `step`, due at `due`, has passed at `now`."""
    return step != Step.CONFIRMED and due is not None and due < now


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: their login and whether they supervise (supervisors and admins)."""

    username: str
    supervises: bool


def check_may_work(actor: Actor, owner: str | None) -> None:
    """`NotAllowed` unless `actor` may move a ticket owned by `owner`: a supervisor any,
    an agent their own or an unassigned one."""
    if actor.supervises or owner is None or owner == actor.username:
        return
    raise NotAllowed(f"ticket is assigned to {owner}; only they or a supervisor may move it")


def check_may_assign(actor: Actor, owner: str | None, to: str | None) -> None:
    """`NotAllowed` unless `actor` may give a ticket owned by `owner` to `to` (None:
    unassigned): a supervisor may assign anyone; an agent may only take an unassigned
    ticket, or give back their own."""
    if actor.supervises:
        return
    if owner is None and to == actor.username:
        return
    if owner == actor.username and to is None:
        return
    raise NotAllowed(
        "only a supervisor may assign tickets; an agent may take an unassigned ticket"
        " or give back their own"
    )
