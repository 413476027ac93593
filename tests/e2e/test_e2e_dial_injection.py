"""A caller ID that tries to inject dialplan, end to end (issue 14, item 2).

A queue that overflows to a callback calls the caller back at the number their caller ID
gave. The callback's Originate puts that number in `Exten`, and the shipped dialplan dials
`PJSIP/${EXTEN}@trunk`: a `,` in it would add Dial options (`U()` runs a gosub), a `&`
another destination (toll fraud). The number is stored in E.164 or refused: a caller ID
such as `123,U(evil)` gets no callback (the caller is thanked and let go, nothing is stored
and no phone rings for it), a national number in the caller ID is called back in E.164.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from acd import AcdSettings, AgentSettings, AgentState, CallbackRequested, QueueSettings
from callcenter.live import CallInfo
from callcenter.sim import AgentPhone, Callee, CallerScript, Press, Silence
from tests.e2e.harness import E2E, running

SKILLS = {"lang-de": 3, "lang-en": 3, "billing": 1}
UNKNOWN_TO_BILLING = (Silence(), Press("1"), Press("#"), Press("#"), Press("2"))
"""An unknown caller: let the welcome play, English, no account number (twice), billing."""
HOSTILE = ["123,U(evil)", "123&PJSIP/999", "+4930555,U(gosub^s^1)", "+4930555&PJSIP/999"]


def overflowing() -> AcdSettings:
    """Billing overflows to a callback after a second; its only agent is not ready."""
    billing = QueueSettings(
        name="billing",
        ring_timeout_seconds=5,
        wrap_up_seconds=0.3,
        max_wait_seconds=1,
        overflow="callback",
        default_handle_seconds=60,  # a short estimated wait: the IVR queues, offers no callback
    )
    return AcdSettings(
        queues=(billing,), agents=(AgentSettings(id="agent1", queues=("billing",), skills=SKILLS),)
    )


async def overflow_to_callback(e2e: E2E, caller_id: str) -> list[str]:
    """A caller with `caller_id` waits in billing until it overflows; the prompts they heard."""
    call = await e2e.sim.place_call(CallerScript(caller_id, steps=UNKNOWN_TO_BILLING))
    record = await call.done
    assert record.hung_up_by == "agi"  # sent away by the service, not a hang-up
    return list(record.prompts)


@pytest.mark.parametrize("caller_id", HOSTILE)
async def test_given_a_caller_id_with_dial_options_when_the_queue_overflows_then_nothing_is_dialled(
    tmp_path: Path, caller_id: str, capfd: pytest.CaptureFixture[str]
) -> None:
    phone = AgentPhone("agent1", answer_after_s=0.2)
    async with running(tmp_path, overflowing(), [phone], ready=()) as e2e:
        await e2e.log_in("agent1")  # staffed, nobody free: the wait runs out

        prompts = await overflow_to_callback(e2e, caller_id)

        # Thanked and let go: no callback was promised, none is stored.
        assert prompts[-1] == "queue-thankyou"
        assert "custom/callback-confirmed" not in prompts
        assert await e2e.service.backend.context.callbacks.list(status=None) == []
        # The agent goes ready: nothing is offered, no phone is rung, nothing is dialled.
        await e2e.go_ready("agent1")
        await e2e.flush()
        assert e2e.state("agent1") is AgentState.READY
        assert e2e.acd.waiting_calls("billing", e2e.now) == []
        assert e2e.sim.rings() == []
        assert e2e.sim.dialled == []
    # The service said why it stored nothing, without repeating the caller ID.
    captured = capfd.readouterr()
    logged = (captured.out + captured.err).splitlines()
    refusals = [line for line in logged if "pbx.callback_not_stored" in line]
    assert len(refusals) == 1
    assert "callback number: not a phone number" in refusals[0]
    assert caller_id not in refusals[0]


async def test_given_a_national_caller_id_when_the_queue_overflows_then_it_is_called_back_in_e164(
    tmp_path: Path,
) -> None:
    phone = AgentPhone("agent1", answer_after_s=0.2)
    async with running(tmp_path, overflowing(), [phone], ready=()) as e2e:
        e2e.sim.add_callee(Callee("+49305551234", answer_after_s=0.2, talk_s=0.3))
        await e2e.log_in("agent1")

        prompts = await overflow_to_callback(e2e, "0305551234")

        assert prompts[-1] == "custom/callback-confirmed"
        (request,) = await e2e.service.backend.context.callbacks.list()
        assert (request.number, request.queue) == ("+49305551234", "billing")
        await e2e.go_ready("agent1")
        # The agent's phone is originated into the callback context with the E.164 number,
        # and the dialplan dials exactly that through the trunk.
        legs = await e2e.until(lambda: [leg.request for leg in e2e.sim.pbx.legs.values()])
        assert [(leg.context, leg.exten) for leg in legs] == [("callbacks", "+49305551234")]
        await e2e.until(lambda: e2e.sim.dialled == ["+49305551234"])


async def test_given_a_callback_stored_before_numbers_were_checked_then_no_phone_rings_for_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    general = QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0.3)
    acd = AcdSettings(queues=(general,), agents=(AgentSettings(id="agent1", queues=("general",)),))
    async with running(tmp_path, acd, [AgentPhone("agent1", answer_after_s=0.2)]) as e2e:
        # A request an older version stored with the raw caller ID, in line again.
        center = e2e.service.backend.center
        center.calls.add(CallInfo("cb-99", "123,U(evil)", None, e2e.now, "general"))
        center.host.submit(CallbackRequested(e2e.now, "cb-99", "general"))

        # Offered to the free agent, it is cancelled instead of originated.
        await e2e.until(lambda: e2e.acd.call_view("cb-99", e2e.now) is None)
        await e2e.flush()
        assert e2e.sim.rings() == []
        assert e2e.sim.dialled == []
        await e2e.until(lambda: e2e.state("agent1") is AgentState.READY)
    captured = capfd.readouterr()
    logged = [line for line in (captured.out + captured.err).splitlines() if "cb-99" in line]
    assert any("pbx.callback_not_dialled" in line for line in logged)
    assert not any("U(evil)" in line for line in logged)
