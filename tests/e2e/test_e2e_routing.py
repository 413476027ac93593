"""Who gets a waiting call, end to end: abandons, ring-no-answer, relaxation, overflow, VIPs.

Each test drives the simulator's callers and phones against the real service and asserts
what a user would notice: the ACD's live state, the simulator's CallRecord, the stored
interaction and the event log.
"""

from __future__ import annotations

from pathlib import Path

from acd import (
    AcdSettings,
    AgentSettings,
    AgentState,
    CallState,
    QueueSettings,
    RelaxationStep,
)
from callcenter.sim import AgentPhone, CallerScript, PhoneMode, Press
from tests.e2e.harness import KNOWN, STANDARD, VIP, running

SKILLS = {"lang-de": 3, "lang-en": 3}
OPERATOR = (Press("0"),)
"""A known caller's keys to the operator queue (general)."""


def general(**settings: object) -> QueueSettings:
    """The operator queue with short timings."""
    base: dict[str, object] = {"ring_timeout_seconds": 5, "wrap_up_seconds": 1}
    return QueueSettings.model_validate({"name": "general", **base, **settings})


async def test_given_no_free_agent_when_the_caller_gives_up_then_the_call_is_abandoned(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(
        queues=(general(short_abandon_seconds=0),),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    async with running(tmp_path, acd, [AgentPhone("agent1")], ready=()) as e2e:
        await e2e.log_in("agent1")  # staffed, but on a break
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=OPERATOR, patience_s=1.0))
        record = await call.done
        assert record.abandoned
        assert (record.bridged_to, record.agents_rung) == (None, [])
        stats = await e2e.until(
            lambda: (s := e2e.acd.queue_stats("general", e2e.now)).abandoned and s
        )
        assert (stats.abandoned, stats.answered, stats.calls_waiting) == (1, 0, 0)
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert interaction.outcome == "abandoned"
        kinds = [event.kind for event in await e2e.events(call.uniqueid)]
        assert kinds[0] == "enqueue"
        assert kinds[-1] == "abandon"
        assert "offer" not in kinds


async def test_given_an_agent_who_does_not_answer_when_the_ring_times_out_then_the_next_answers(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(
        queues=(general(ring_timeout_seconds=1),),
        agents=(
            AgentSettings(id="agent1", queues=("general",), skills=SKILLS),
            AgentSettings(id="agent2", queues=("general",), skills=SKILLS),
        ),
    )
    phones = [
        AgentPhone("agent1", mode=PhoneMode.NO_ANSWER),
        AgentPhone("agent2", answer_after_s=0.2),
    ]
    async with running(tmp_path, acd, phones) as e2e:  # agent1 has been idle longest
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=OPERATOR, talk_s=0.5))
        record = await call.done
        assert record.agents_rung == ["agent1", "agent2"]
        assert record.bridged_to is not None
        assert "agent2" in record.bridged_to
        assert not record.abandoned
        # The caller never noticed; the agent who let it ring is taken out of rotation.
        assert e2e.state("agent1") is AgentState.NOT_READY
        assert e2e.reason("agent1") == "ring-no-answer"
        await e2e.until(lambda: e2e.state("agent2") in (AgentState.WRAP_UP, AgentState.READY))
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert (interaction.outcome, interaction.agent) == ("answered", "agent2")
        events = [(event.kind, event.agent) for event in await e2e.events(call.uniqueid)]
        assert ("ring-no-answer", "agent1") in events
        assert ("connect", "agent2") in events


async def test_given_no_agent_with_the_skill_level_when_the_step_comes_then_a_lower_one_answers(
    tmp_path: Path,
) -> None:
    queue = general(
        skills={"technical": 4}, relaxation=[RelaxationStep(after_seconds=1.0, min_level=2)]
    )
    acd = AcdSettings(
        queues=(queue,),
        agents=(
            AgentSettings(id="agent1", queues=("general",), skills={**SKILLS, "technical": 2}),
        ),
    )
    async with running(tmp_path, acd, [AgentPhone("agent1", answer_after_s=0.2)]) as e2e:
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=OPERATOR, talk_s=0.5))
        view = await e2e.until(lambda: e2e.acd.call_view(call.uniqueid, e2e.now))
        # Waiting, not offered: the agent is ready but below the level the queue asks.
        assert (view.state, view.step) == (CallState.WAITING, 0)
        assert e2e.state("agent1") is AgentState.READY
        record = await call.done
        assert record.agents_rung == ["agent1"]
        assert record.bridged_to is not None
        assert "agent1" in record.bridged_to
        await e2e.flush()
        events = await e2e.events(call.uniqueid)
        at = {event.kind: event.at for event in events}
        assert [e.kind for e in events][:3] == ["enqueue", "relax", "offer"]
        assert (at["offer"] - at["enqueue"]).total_seconds() >= 1.0


async def test_given_a_long_wait_in_one_queue_when_it_overflows_then_the_other_queue_answers(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(
        queues=(
            general(max_wait_seconds=1, overflow="queue:backup"),
            QueueSettings(name="backup", ring_timeout_seconds=5, wrap_up_seconds=1),
        ),
        agents=(
            AgentSettings(id="agent1", queues=("general",), skills=SKILLS),
            AgentSettings(id="agent2", queues=("backup",), skills=SKILLS),
        ),
    )
    phones = [AgentPhone("agent1"), AgentPhone("agent2", answer_after_s=0.2)]
    async with running(tmp_path, acd, phones, ready=("agent2",)) as e2e:
        await e2e.log_in("agent1")  # general is staffed, but nobody there is free
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=OPERATOR, talk_s=0.5))
        record = await call.done
        assert record.agents_rung == ["agent2"]
        assert record.bridged_to is not None
        assert "agent2" in record.bridged_to
        stats = e2e.acd.queue_stats("general", e2e.now)
        assert stats.overflowed == 1
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert (interaction.outcome, interaction.agent, interaction.queue) == (
            "answered",
            "agent2",
            "backup",
        )
        events = [(event.kind, event.queue) for event in await e2e.events(call.uniqueid)]
        assert ("overflow", "general") in events
        assert ("connect", "backup") in events


async def test_given_a_caller_waiting_when_a_vip_calls_later_then_the_free_agent_gets_the_vip(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(
        queues=(general(wrap_up_seconds=30),),  # the agent takes no second call here
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    phones = [AgentPhone("agent1", answer_after_s=0.2)]
    async with running(tmp_path, acd, phones, ready=()) as e2e:
        await e2e.log_in("agent1")

        def waiting() -> int:
            return int(e2e.acd.queue_stats("general", e2e.now).calls_waiting)

        # A standard customer (no tier priority) is first in line.
        first = await e2e.sim.place_call(CallerScript(STANDARD[0], steps=OPERATOR))
        await e2e.until(lambda: waiting() == 1)
        vip = await e2e.sim.place_call(CallerScript(VIP, talk_s=0.5))  # no menu for VIPs
        await e2e.until(lambda: waiting() == 2)
        await e2e.go_ready("agent1")
        record = await vip.done
        assert record.bridged_to is not None
        assert "agent1" in record.bridged_to
        assert first.record.agents_rung == []
        view = e2e.acd.call_view(first.uniqueid, e2e.now)
        assert (view.state, view.position) == (CallState.WAITING, 1)
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(vip.uniqueid)
        assert interaction is not None
        assert (interaction.outcome, interaction.agent) == ("answered", "agent1")
        assert e2e.sim.hangup(first.channel)
        assert (await first.done).abandoned
