"""What makes an attempt at a callback customer, and its result, from the AMI events alone.

The tracker is fed the ACD's offer and AMI events shaped as Asterisk sends them (built with
the simulator's event builders); a small repository fake records what would be stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from acd import (
    AgentLoggedOut,
    AgentReady,
    CallbackRequested,
    CallKind,
    CancelOffer,
    DecisionTrigger,
    Event,
    OfferCall,
    OfferExplanation,
    RoutingStrategy,
)
from callcenter.ami import events as ami
from callcenter.app.center_config import CallbackRetries, RetryPolicy
from callcenter.app.settings import TelephonySettings
from callcenter.db import AttemptResult, Callback, CallbackStatus
from callcenter.live import CallRegistry
from callcenter.pbx.callback_attempts import CallbackAttempts, callback_id, miss_result
from callcenter.sim import events as ev
from callcenter.sim.channel import Channel
from callcenter.sim.wire import Pairs

T0 = 1_772_438_400.0
SETTINGS = TelephonySettings(agent_endpoints={"agent1": "PJSIP/agent1001"}, callback_retry_s=0.01)


@dataclass
class Host:
    now_s: float = T0
    submitted: list[Event] = field(default_factory=list)
    acd: Any = None
    settings: Any = None
    """The ACD configuration in force: none here, so phones come from SETTINGS."""

    def __post_init__(self) -> None:
        self.acd = self

    def call_view(self, call_id: str, now: float) -> None:
        return None  # not in line (the offer's priority defaults to 0)

    def now(self) -> float:
        return self.now_s

    def submit(self, fact: Event) -> None:
        self.submitted.append(fact)


@dataclass
class Center:
    host: Host = field(default_factory=Host)
    calls: CallRegistry = field(default_factory=CallRegistry)


@dataclass
class Requests:
    """Stands in for `CallbackRepository`: keeps each attempt, misses stay pending."""

    stored: list[tuple[int, str | None, str, datetime]] = field(default_factory=list)
    status: dict[int, CallbackStatus] = field(default_factory=dict)
    limits: list[int | None] = field(default_factory=list)
    opened: list[tuple[int, str | None, datetime]] = field(default_factory=list)
    """The attempts' interactions opened (request, agent, when the agent answered)."""
    closed: list[tuple[datetime | None, datetime | None]] = field(default_factory=list)
    """(ended, reached) of each attempt stored."""
    window_end: float = T0 + 3600

    async def start_attempt(self, request: int, *, agent: str | None, at: datetime) -> str:
        self.opened.append((request, agent, at))
        return f"cb-{request}-{len(self.opened)}"

    async def record_attempt(
        self,
        request: int,
        *,
        reached: bool,
        now: datetime,
        agent: str | None,
        result: str,
        max_attempts: int | None = None,
        ended_at: datetime | None = None,
        reached_at: datetime | None = None,
    ) -> Callback:
        assert len(self.opened) == len(self.stored) + 1, "the attempt was opened first"
        self.stored.append((request, agent, result, now))
        self.closed.append((ended_at, reached_at))
        self.limits.append(max_attempts)
        status = CallbackStatus.DONE if reached else CallbackStatus.PENDING
        self.status[request] = status
        return Callback(request, "+4930555", "general", None, now, now, 1, status)

    async def get(self, request: int) -> Callback | None:
        """As stored; the retry reads it again before it queues the request."""
        status = self.status.get(request)
        if status is None:
            return None
        end = datetime.fromtimestamp(self.window_end, UTC)
        return Callback(request, "+4930555", "general", None, T0, end, 1, status)


def offer(call_id: str = "cb-7") -> OfferCall:
    why = OfferExplanation(
        "general", 0, 0.0, (), RoutingStrategy.LONGEST_IDLE, DecisionTrigger.CALL_QUEUED
    )
    return OfferCall(call_id, "agent1", "general", CallKind.CALLBACK, 15.0, 3.0, why)


def typed(pairs: Pairs) -> Any:
    """An AMI event as the client's codec hands it over."""
    name = dict(pairs)["Event"]
    text = "\r\n".join(f"{k}: {v}" for k, v in pairs)
    return ami.EVENT_CLASSES[name](text, dict(pairs), name)


def channel(name: str, uniqueid: str, linkedid: str | None = None) -> Channel:
    return Channel(name, uniqueid, linkedid or uniqueid, name.split("/")[1], T0)


AGENT = channel("PJSIP/agent1001-00000050", "cc-leg")
TRUNK = channel("PJSIP/trunk-00000051", "1772438400.81", linkedid="cc-leg")


def originated(success: bool) -> Any:
    return typed(
        ev.originate_response(
            None,
            success,
            dial=AGENT.name if success else "PJSIP/agent1001",
            target=[("Context", "callbacks"), ("Exten", "+4930555")],
            reason=4 if success else 3,
            uniqueid="cc-leg",
            caller_num="+4930555",
            caller_name="Callback",
        )
    )


def tracker(requests: Requests) -> tuple[CallbackAttempts, Host]:
    center = Center()
    found = CallbackAttempts(center, requests, SETTINGS)  # type: ignore[arg-type]
    found.on_commands([offer()], AgentReady(T0, "agent1"))  # the agent went ready: offered
    return found, center.host


def busy_customer(attempts: CallbackAttempts) -> None:
    """The agent answers, the customer's line is busy (486, cause 17), the agent hangs up."""
    for event in (
        ev.channel_event("Newchannel", AGENT),
        None,
        ev.channel_event("Newchannel", TRUNK),
        ev.hangup(TRUNK, 17, 486),
        ev.hangup(AGENT, 16),
    ):
        attempts.apply(originated(True) if event is None else typed(event))


async def settled(attempts: CallbackAttempts) -> None:
    while attempts._tasks:  # noqa: ASYNC110 - the attempt is stored in a task of its own
        await asyncio.sleep(0)


async def test_given_the_customer_leg_before_the_originate_response_then_reached_is_stored() -> (
    None
):
    requests = Requests()
    attempts, host = tracker(requests)
    bridge = ev.Bridge("b-1", members=1)
    # The dialplan runs as soon as the phone answers: the customer's leg can come first.
    for event in (
        ev.channel_event("Newchannel", AGENT),
        ev.channel_event("Newchannel", TRUNK),
        None,
        ev.bridge_event("BridgeEnter", bridge, TRUNK),
        ev.bridge_event("BridgeEnter", ev.Bridge("b-1", members=2), AGENT),
        ev.hangup(TRUNK, 16),
        ev.hangup(AGENT, 16),
    ):
        attempts.apply(originated(True) if event is None else typed(event))
    await settled(attempts)

    at = datetime.fromtimestamp(T0, UTC)
    assert requests.stored == [(7, "agent1", "reached", at)]
    assert host.submitted == []  # done: no retry
    # The attempt's own interaction was opened as the agent answered, then closed with the
    # moment the customer answered.
    assert requests.opened == [(7, "agent1", at)]
    assert requests.closed == [(at, at)]


async def test_given_the_agent_does_not_answer_then_no_attempt_is_counted() -> None:
    requests = Requests()
    attempts, _ = tracker(requests)
    attempts.apply(typed(ev.channel_event("Newchannel", AGENT)))
    attempts.apply(originated(False))
    attempts.apply(typed(ev.hangup(AGENT, 19, 480)))
    await settled(attempts)

    assert requests.stored == []


async def test_given_a_withdrawn_offer_then_its_leg_is_no_attempt() -> None:
    requests = Requests()
    attempts, _ = tracker(requests)
    attempts.apply(typed(ev.channel_event("Newchannel", AGENT)))
    attempts.on_commands(
        [CancelOffer("cb-7", "agent1", "agent logged out")], AgentLoggedOut(T0, "agent1")
    )
    attempts.apply(originated(True))
    attempts.apply(typed(ev.hangup(AGENT, 16)))
    await settled(attempts)

    assert requests.stored == []


async def test_given_a_busy_customer_then_busy_is_stored_and_the_callback_queued_again() -> None:
    requests = Requests()
    attempts, host = tracker(requests)
    busy_customer(attempts)
    await settled(attempts)
    async with asyncio.timeout(5):
        while not host.submitted:  # noqa: ASYNC110 - the retry is armed on the loop
            await asyncio.sleep(0.01)

    assert [(r, a, res) for r, a, res, _ in requests.stored] == [(7, "agent1", "busy")]
    assert host.submitted == [CallbackRequested(T0, "cb-7", "general", 0)]
    await attempts.close()


async def test_given_the_busy_customer_legs_hangup_after_the_agents_then_busy_is_stored() -> None:
    """Asterisk may report the customer leg's end after the agent leg's (Dial returned
    and the agent leg ended first): its cause still decides (it was taken for no answer)."""
    requests = Requests()
    attempts, _ = tracker(requests)
    for event in (
        ev.channel_event("Newchannel", AGENT),
        None,
        ev.channel_event("Newchannel", TRUNK),
        ev.hangup(AGENT, 16),
    ):
        attempts.apply(originated(True) if event is None else typed(event))
    await asyncio.sleep(0.05)
    assert requests.stored == []  # waits for the customer leg's cause
    attempts.apply(typed(ev.hangup(TRUNK, 17, 486)))
    await settled(attempts)

    assert [(r, a, res) for r, a, res, _ in requests.stored] == [(7, "agent1", "busy")]
    await attempts.close()


async def test_given_a_miss_when_the_window_is_over_by_the_retry_then_nobody_is_rung_again() -> (
    None
):
    requests = Requests(window_end=T0)  # "today until 16:00", and it is 16:00
    attempts, host = tracker(requests)
    requests.status[7] = CallbackStatus.PENDING
    busy_customer(attempts)
    await settled(attempts)
    async with asyncio.timeout(5):
        while attempts._retries or attempts._tasks:  # noqa: ASYNC110 - the retry's own task
            await asyncio.sleep(0.01)

    assert [(r, res) for r, _, res, _ in requests.stored] == [(7, "busy")]
    assert requests.closed == [(datetime.fromtimestamp(T0, UTC), None)]  # never reached
    assert host.submitted == []
    await attempts.close()


async def test_given_a_miss_when_the_request_is_cancelled_before_its_retry_then_no_requeue() -> (
    None
):
    requests = Requests()
    attempts, host = tracker(requests)
    requests.status[7] = CallbackStatus.PENDING
    original = requests.record_attempt

    async def then_cancelled(request: int, **kwargs: Any) -> Callback:
        stored = await original(request, **kwargs)
        requests.status[request] = CallbackStatus.CANCELLED  # on the desk, meanwhile
        return stored

    requests.record_attempt = then_cancelled  # type: ignore[method-assign]
    busy_customer(attempts)
    await settled(attempts)
    async with asyncio.timeout(5):
        while attempts._retries or attempts._tasks:  # noqa: ASYNC110 - the retry's own task
            await asyncio.sleep(0.01)
    assert [(r, res) for r, _, res, _ in requests.stored] == [(7, "busy")]
    assert host.submitted == []
    await attempts.close()


async def test_the_queues_retry_policy_sets_the_attempts_and_the_wait_after_each_miss() -> None:
    requests = Requests()
    attempts, host = tracker(requests)
    # general: 5 attempts; a busy customer is tried again at once, no answer in an hour.
    attempts.use_retries(
        CallbackRetries(
            queues={
                "general": RetryPolicy(max_attempts=5, by_result={"busy": 0.01, "no-answer": 3600})
            }
        )
    )
    busy_customer(attempts)
    await settled(attempts)
    async with asyncio.timeout(5):
        while not host.submitted:  # noqa: ASYNC110 - the retry is armed on the loop
            await asyncio.sleep(0.01)
    assert requests.limits == [5]
    assert host.submitted == [CallbackRequested(T0, "cb-7", "general", 0)]
    await attempts.close()


@pytest.mark.parametrize(
    ("cause", "result"),
    [
        (None, AttemptResult.NOT_DIALLED),
        (17, AttemptResult.BUSY),
        (19, AttemptResult.NO_ANSWER),
        (18, AttemptResult.NO_ANSWER),
        (16, AttemptResult.NO_ANSWER),
        (0, AttemptResult.NO_ANSWER),
        (21, AttemptResult.REJECTED),
        (1, AttemptResult.FAILED),
        (34, AttemptResult.FAILED),
    ],
)
def test_a_customer_leg_that_ended_unanswered_is_named_by_its_cause(
    cause: int | None, result: AttemptResult
) -> None:
    assert miss_result(cause) is result


def test_only_callback_entries_name_a_request() -> None:
    assert [callback_id(c) for c in ("cb-12", "cb-x", "1772438400.5", "cb-")] == [
        12,
        None,
        None,
        None,
    ]
