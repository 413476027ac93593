"""The ways out of waiting, end to end: a callback that keeps its place, voicemail, survey.

The flows are the shipped ones (`ivr_flows/flows/`); the callers' keys follow their prompts.
"""

from __future__ import annotations

from pathlib import Path

from acd import AcdSettings, AgentSettings, AgentState, CallState, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press, Silence, SimOptions
from tests.e2e.harness import E2E, KNOWN, running

SKILLS = {"lang-de": 3, "lang-en": 3}
UNKNOWN_TO_MENU = (Silence(), Press("1"), Press("#"), Press("#"))
"""An unknown caller: let the welcome play, English, no account number (twice): the menu."""
BILLING = Press("2")
ACCEPT_CALLBACK = Press("1")
"""At "1 for this number, 2 for another; stay on the line to keep waiting"."""
KEEP_WAITING = Press("9")
"""A key the callback offer does not take: with no retries, the caller keeps waiting."""


def agent_call(e2e: E2E, agent_id: str) -> str | None:
    """The call an agent is on in the ACD."""
    return e2e.acd.agent_view(agent_id, e2e.now).call_id  # type: ignore[no-any-return]


async def test_given_a_long_wait_when_the_caller_takes_a_callback_then_it_keeps_its_place(
    tmp_path: Path,
) -> None:
    billing = QueueSettings(
        name="billing", ring_timeout_seconds=5, wrap_up_seconds=0.5, default_handle_seconds=1000
    )
    acd = AcdSettings(
        queues=(billing,),
        agents=(AgentSettings(id="agent1", queues=("billing",), skills={**SKILLS, "billing": 1}),),
    )
    async with running(tmp_path, acd, [AgentPhone("agent1", answer_after_s=0.2)]) as e2e:
        # The only agent is on a call: a newcomer's estimated wait is 1000 s, over 300.
        busy = await e2e.sim.place_call(CallerScript(KNOWN, steps=(BILLING,)))
        await e2e.until(lambda: e2e.state("agent1") is AgentState.ON_CALL)
        assert e2e.acd.queue_stats("billing", e2e.now).estimated_wait > 300
        # A national number in the caller ID: stored (and dialled) in E.164.
        first = await e2e.sim.place_call(
            CallerScript("0305551", steps=(*UNKNOWN_TO_MENU, BILLING, ACCEPT_CALLBACK))
        )
        # Later, and with a longer number to hear read back: the other caller keeps waiting.
        later = await e2e.sim.place_call(
            CallerScript("004930555200099", steps=(*UNKNOWN_TO_MENU, BILLING, KEEP_WAITING))
        )
        record = await first.done
        assert "custom/callback-confirmed" in record.prompts
        assert (record.bridged_to, record.hung_up_by) == (None, "agi")
        (request,) = await e2e.service.backend.context.callbacks.list()
        assert (request.number, request.queue, str(request.status)) == (
            "+49305551",
            "billing",
            "pending",
        )
        callback_id = f"cb-{request.id}"

        def line() -> list[str]:
            return [view.call_id for view in e2e.acd.waiting_calls("billing", e2e.now)]

        assert await e2e.until(lambda: line() == [callback_id, later.uniqueid])
        assert e2e.sim.hangup(busy.channel)
        # Its turn: the agent's phone is rung first, into the callback context, for the number.
        await e2e.until(lambda: agent_call(e2e, "agent1") == callback_id)
        legs = await e2e.until(lambda: [leg.request for leg in e2e.sim.pbx.legs.values()])
        assert [(leg.dial, leg.context, leg.exten) for leg in legs] == [
            ("PJSIP/agent1", "callbacks", "+49305551")
        ]
        await e2e.until(lambda: e2e.state("agent1") is AgentState.ON_CALL)
        view = e2e.acd.call_view(later.uniqueid, e2e.now)
        assert (view.state, view.position) == (CallState.WAITING, 1)
        assert later.record.agents_rung == []
        await e2e.flush()
        kinds = [event.kind for event in await e2e.events(callback_id)]
        assert kinds[:3] == ["enqueue", "offer", "connect"]
        assert e2e.sim.hangup(later.channel)
        await later.done


async def test_given_after_hours_when_the_caller_leaves_a_message_then_the_voicemail_is_kept(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(queues=(QueueSettings(name="general"),))
    async with running(tmp_path, acd, []) as e2e:
        # Both closing prompts play out; 1 leaves a message, which # ends after a while.
        steps = (Silence(), Silence(), Press("1"), Press("#", after_s=1.0))
        call = await e2e.sim.place_call(CallerScript(KNOWN, dialled="199", steps=steps))
        record = await call.done
        recordings = [p for p in record.prompts if p.startswith("record:")]
        assert len(recordings) == 1
        assert "vm-msgsaved" in record.prompts
        assert (record.bridged_to, record.hung_up_by) == (None, "agi")
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert (interaction.outcome, interaction.queue, interaction.dialled_number) == (
            "voicemail",
            "general",
            "199",
        )
        assert interaction.ivr_path[:3] == ("closed", "after_hours_menu", "leave_message")
        assert interaction.ivr_data["voicemail.seconds"] == "1"
        # Linked to the known caller, so the next call's pop lists the message.
        assert interaction.customer_name == "Jonas Richter"


NO_SPOOL = SimOptions(prompt_s=0.05, agi_close_timeout_s=5.0, spool_dirs=frozenset())
"""An Asterisk without the voicemail folder: RECORD FILE answers `(writefile)`."""


async def test_given_no_voicemail_folder_when_the_caller_leaves_a_message_then_they_are_told(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(queues=(QueueSettings(name="general"),))
    async with running(tmp_path, acd, [], sim_options=NO_SPOOL) as e2e:
        steps = (Silence(), Silence(), Press("1"), Press("#", after_s=1.0))
        call = await e2e.sim.place_call(CallerScript(KNOWN, dialled="199", steps=steps))
        record = await call.done
        # Not cut off: an apology, goodbye, and the service hangs up.
        assert record.prompts[-2:] == ["custom/message-failed", "vm-goodbye"]
        assert (record.bridged_to, record.hung_up_by) == (None, "agi")
        assert not [p for p in record.prompts if p.startswith("record:")]
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert (interaction.outcome, interaction.queue) == ("voicemail_failed", "general")
        assert interaction.ivr_data["voicemail.error"] == "200 result=-1 (writefile)"
        assert interaction.ivr_data["voicemail.file"] == (
            f"{tmp_path}/voicemail/general-{call.uniqueid}.wav"
        )
        assert interaction.customer_name == "Jonas Richter"


async def test_given_a_wait_too_long_when_sent_to_voicemail_then_the_message_is_kept(
    tmp_path: Path,
) -> None:
    queue = QueueSettings(name="general", max_wait_seconds=1, overflow="voicemail")
    acd = AcdSettings(
        queues=(queue,),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    async with running(tmp_path, acd, [], ready=()) as e2e:
        await e2e.log_in("agent1")  # staffed, but nobody is free: the wait runs out
        steps = (Press("0"), Press("#", after_s=1.0))
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=steps))
        record = await call.done
        assert record.prompts[-3:] == [
            "vm-intro",
            f"record:{tmp_path}/voicemail/general-{call.uniqueid}",
            "vm-msgsaved",
        ]
        assert record.hung_up_by == "agi"
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert interaction.outcome == "voicemail"
        assert interaction.ivr_data["voicemail.seconds"] == "1"


async def test_given_no_voicemail_folder_when_a_long_wait_ends_in_voicemail_then_caller_is_told(
    tmp_path: Path,
) -> None:
    queue = QueueSettings(name="general", max_wait_seconds=1, overflow="voicemail")
    acd = AcdSettings(
        queues=(queue,),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    async with running(tmp_path, acd, [], ready=(), sim_options=NO_SPOOL) as e2e:
        await e2e.log_in("agent1")
        call = await e2e.sim.place_call(CallerScript(KNOWN, steps=(Press("0"),)))
        record = await call.done
        assert record.prompts[-2:] == ["vm-intro", "queue-thankyou"]
        assert record.hung_up_by == "agi"
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert interaction.outcome == "voicemail_failed"
        assert interaction.ivr_data["voicemail.error"] == "200 result=-1 (writefile)"
        assert interaction.queue == "general"


async def test_given_a_rated_call_when_the_caller_hangs_up_mid_survey_then_answers_are_kept(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(
        queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=1),),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    phone = AgentPhone("agent1", answer_after_s=0.2, talk_s=0.5)  # the agent hangs up first
    async with running(tmp_path, acd, [phone]) as e2e:
        # A key skips the survey's intro; then 4 and 2, and the last question goes unrated.
        script = CallerScript(KNOWN, steps=(Press("0"),), survey_answers=("1", "4", "2"))
        call = await e2e.sim.place_call(script)
        await e2e.until(lambda: len(call.record.survey_answers) == 3)
        assert e2e.sim.hangup(call.channel)
        record = await call.done
        assert record.scripts == ["ivr", "survey"]
        assert record.bridged_to is not None
        assert "agent1" in record.bridged_to
        # The survey session handed its answers to the writer before it closed: `done`.
        await e2e.flush()
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert interaction.survey_scores == {"satisfaction": 4, "resolved": 2}
        assert (interaction.outcome, interaction.agent) == ("answered", "agent1")
