"""The simulator's behaviour over real sockets, seen through the product's own clients.

The product's `AMIClient` logs in to the simulator and the product's `FastAGIServer`
serves the simulated callers, with tiny route handlers; every test runs on a scaled clock.
"""

from __future__ import annotations

import asyncio
import random

from callcenter.agi import (
    AGIHangup,
    AGIResponse,
    AGISession,
    ChannelStatus,
    Exec,
    GetData,
    RecordFile,
    StreamFile,
)
from callcenter.ami import AMIClient, AMIClientOptions, AMIServer, Event
from callcenter.ami import actions as act
from callcenter.sim import AgentPhone, CallerScript, PhoneMode, Press, run_traffic
from tests.agi_fixtures import s1_ivr, s7_survey
from tests.sim.sim_harness import TIMEOUT, agi_server, simulator

CALLER = "5550001"


async def client(port: int) -> AMIClient:
    options = AMIClientOptions(backoff_initial=0.01, backoff_max=0.05, ping_interval=60)
    ami = AMIClient(AMIServer("sim", "127.0.0.1", port, "callcenter", "callcenter"), options)
    await ami.connect(timeout=TIMEOUT)
    return ami


async def next_event(sub: object, name: str, **fields: str) -> Event:
    async with asyncio.timeout(TIMEOUT):
        async for event in sub:  # type: ignore[attr-defined]
            wanted = isinstance(event, Event) and event.name == name
            if wanted and all(event.headers.get(k) == v for k, v in fields.items()):
                return event  # type: ignore[no-any-return]
    raise AssertionError(f"no {name} event")


class Waiting:
    """An AGI handler: answer, then music on hold until the call leaves the AGI."""

    def __init__(self) -> None:
        self.ended: asyncio.Future[AGIHangup] = asyncio.get_running_loop().create_future()
        self.channels: list[str] = []

    async def __call__(self, session: AGISession) -> None:
        self.channels.append(session.request.channel)
        await session.answer()
        try:
            await session.exec("MusicOnHold", "default", "30")
        except AGIHangup as hangup:
            self.ended.set_result(hangup)


async def test_given_a_caller_with_digits_when_the_ivr_runs_then_prompts_and_digits_match() -> None:
    async with agi_server({"ivr": s1_ivr}) as agi, simulator(agi.port) as sim:
        ami = await client(sim.ami_port)
        sub = ami.subscribe(["Hangup"])
        script = CallerScript(CALLER, "100", name="Caller 1", steps=(Press("1"), Press("23#")))
        call = await sim.place_call(script)
        record = await asyncio.wait_for(call.done, TIMEOUT)
        assert record.prompts == ["demo-congrats", "beep", "beep"]
        assert record.digits_sent == ["1", "23#"]
        assert record.variables == {"IVR_RESULT": "sales"}
        assert record.hung_up_by == "agi"
        assert (await next_event(sub, "Hangup")).headers["Uniqueid"] == call.uniqueid
        await ami.close()


async def test_given_no_company_prompts_when_the_ivr_asks_then_asterisk_answers_and_goes_on() -> (
    None
):
    replies: list[AGIResponse] = []

    async def ivr(session: AGISession) -> None:
        await session.answer()
        for command in (
            GetData("custom/enter-account", 3000, 10),  # missing: -1 at once, no key read
            StreamFile("custom/welcome"),  # missing: -1 endpos=0 (s8)
            Exec("Playback", ("custom/welcome",)),  # missing: 0, PLAYBACKSTATUS FAILED
            StreamFile("beep"),  # a stock sound plays
            GetData("", 3000, 10),  # no prompt: only the keys
        ):
            replies.append(await session.command(command))
        assert not session.hung_up
        await session.hangup()

    async with (
        agi_server({"ivr": ivr}) as agi,
        simulator(agi.port, missing_sounds=frozenset({"custom/"})) as sim,
    ):
        call = await sim.place_call(CallerScript(CALLER, "100", steps=(Press("4711#"),)))
        record = await asyncio.wait_for(call.done, TIMEOUT)
    assert [reply.text for reply in replies] == [
        "200 result=-1",
        "200 result=-1 endpos=0",
        "200 result=0",
        "200 result=0 endpos=4000",
        "200 result=4711",
    ]
    assert record.hung_up_by == "agi"
    assert record.digits_sent == ["4711#"]


async def test_given_a_missing_folder_when_recording_then_asterisk_refuses_and_goes_on() -> None:
    replies: list[AGIResponse] = []

    async def ivr(session: AGISession) -> None:
        await session.answer()
        for command in (
            # RECORD FILE makes no folders (res_agi.c): the per-queue one does not exist.
            RecordFile("/var/spool/asterisk/callcenter/general/1", "wav", "#", 5000),
            ChannelStatus(),  # the channel is still up
            RecordFile("/var/spool/asterisk/callcenter/general-1", "wav", "#", 5000),
        ):
            replies.append(await session.command(command))
        await session.hangup()

    async with agi_server({"ivr": ivr}) as agi, simulator(agi.port) as sim:
        call = await sim.place_call(CallerScript(CALLER, "100", steps=(Press("#", 1.0),)))
        record = await asyncio.wait_for(call.done, TIMEOUT)
    assert [reply.text for reply in replies] == [
        "200 result=-1 (writefile)",
        "200 result=6",
        "200 result=35 (dtmf) endpos=8000",
    ]
    assert record.prompts == ["record:/var/spool/asterisk/callcenter/general-1"]


async def test_given_a_waiting_caller_when_the_agent_answers_then_both_are_bridged() -> None:
    waiting = Waiting()
    phone = AgentPhone("agent1001", answer_after_s=1.0)
    async with agi_server({"ivr": waiting}) as agi, simulator(agi.port, phone) as sim:
        ami = await client(sim.ami_port)
        sub = ami.subscribe(["BridgeEnter", "OriginateResponse", "MusicOnHoldStart"])
        call = await sim.place_call(CallerScript(CALLER, "400"))
        await next_event(sub, "MusicOnHoldStart")
        offer = act.originate("PJSIP/agent1001", application="Bridge", data=call.channel,
                              timeout_ms=15000, caller_id="Queue <8000>",
                              variables={"CC_CALL_ID": "c-1"})  # fmt: skip
        await ami.send_action(offer)
        assert (await next_event(sub, "OriginateResponse")).headers["Response"] == "Success"
        caller_enters = await next_event(sub, "BridgeEnter")
        agent_enters = await next_event(sub, "BridgeEnter")
        assert caller_enters.headers["Channel"] == call.channel
        assert caller_enters.headers["Uniqueid"] == call.uniqueid
        assert agent_enters.headers["Channel"].startswith("PJSIP/agent1001-")
        hangup = await asyncio.wait_for(waiting.ended, TIMEOUT)
        assert hangup.response is not None
        assert hangup.response.result == "-1"
        assert call.record.bridged_to == "agent1001"
        await ami.close()


async def test_given_a_phone_that_only_rings_when_offered_then_the_originate_fails() -> None:
    waiting = Waiting()
    phones = (AgentPhone("agent1003", PhoneMode.NO_ANSWER), AgentPhone("agent1004", PhoneMode.BUSY))
    async with agi_server({"ivr": waiting}) as agi, simulator(agi.port, *phones) as sim:
        ami = await client(sim.ami_port)
        sub = ami.subscribe(["OriginateResponse", "Hangup", "MusicOnHoldStart"])
        call = await sim.place_call(CallerScript(CALLER, "900"))
        await next_event(sub, "MusicOnHoldStart")
        for endpoint, reason, cause in (("agent1003", "3", "19"), ("agent1004", "0", "17")):
            offer = act.originate(f"PJSIP/{endpoint}", application="Bridge", data=call.channel,
                                  timeout_ms=5000)  # fmt: skip
            await ami.send_action(offer)
            failed = await next_event(sub, "OriginateResponse")
            assert (failed.headers["Response"], failed.headers["Reason"]) == ("Failure", reason)
            assert failed.headers["Uniqueid"] == "<unknown>"
            assert (await next_event(sub, "Hangup")).headers["Cause"] == cause
        channels = await ami.send_action(act.core_show_channels())
        assert [e.headers["Channel"] for e in channels.events] == [call.channel]
        assert not waiting.ended.done()
        await ami.close()


async def test_given_an_impatient_caller_when_nobody_answers_then_they_hang_up() -> None:
    waiting = Waiting()
    async with agi_server({"ivr": waiting}) as agi, simulator(agi.port) as sim:
        ami = await client(sim.ami_port)
        sub = ami.subscribe(["Hangup", "BridgeEnter"])
        call = await sim.place_call(CallerScript(CALLER, "400", patience_s=5.0))
        hangup = await next_event(sub, "Hangup")
        assert hangup.headers["Uniqueid"] == call.uniqueid
        assert (await asyncio.wait_for(waiting.ended, TIMEOUT)).response is not None
        record = await asyncio.wait_for(call.done, TIMEOUT)
        assert record.abandoned
        assert record.hung_up_by == "caller"
        assert 4.0 <= record.hold_s <= 8.0
        await ami.close()


async def test_given_bridge_with_f_option_when_the_agent_hangs_up_then_the_survey_runs() -> None:
    waiting, survey_requests = Waiting(), []

    async def survey(session: AGISession) -> None:
        survey_requests.append((session.request.channel, session.request.uniqueid))
        await s7_survey(session)

    phone = AgentPhone("agent1001", answer_after_s=0.5, talk_s=2.0)
    routes = {"ivr": waiting, "survey": survey}
    async with agi_server(routes) as agi, simulator(agi.port, phone) as sim:  # type: ignore[arg-type]
        ami = await client(sim.ami_port)
        sub = ami.subscribe(["MusicOnHoldStart"])
        call = await sim.place_call(CallerScript(CALLER, "700", survey_answers=("4",)))
        await next_event(sub, "MusicOnHoldStart")
        data = f"{call.channel},F(survey^s^1)"
        await ami.send_action(act.originate("PJSIP/agent1001", application="Bridge", data=data))
        record = await asyncio.wait_for(call.done, TIMEOUT)
        assert survey_requests == [(call.channel, call.uniqueid)]
        assert record.scripts == ["ivr", "survey"]
        assert record.survey_answers == ["4"]
        assert record.variables["SURVEY_Q1"] == "4"
        assert record.hung_up_by == "agent"
        await ami.close()


async def test_given_connected_clients_when_ami_drops_then_they_reconnect() -> None:
    async with simulator(1) as sim:
        first, second = await client(sim.ami_port), await client(sim.ami_port)
        sim.refuse_ami(20.0)
        assert await sim.drop_ami() == 2
        await asyncio.sleep(0.05)
        assert not first.connected
        async with asyncio.timeout(TIMEOUT):
            await first.wait_connected()
            await second.wait_connected()
        assert (first.connects, second.connects) == (2, 2)
        assert sim.ami.refused > 0, "connections during the refusal were closed at once"
        pong = await first.send_action(act.ping())
        assert pong.response.get("Ping") == "Pong"
        await first.close()
        await second.close()


async def test_given_a_traffic_rate_when_generated_then_every_call_completes() -> None:
    async def hang_up(session: AGISession) -> None:
        await session.answer()
        await session.hangup()

    async with agi_server({"ivr": hang_up}) as agi, simulator(agi.port) as sim:
        calls = await run_traffic(sim, 2.0, lambda n: CallerScript(f"55500{n:02d}", "100"),
                                  count=8, rng=random.Random(7))  # fmt: skip
        records = await asyncio.wait_for(asyncio.gather(*(c.done for c in calls)), TIMEOUT)
        assert [r.caller for r in records] == [f"55500{n:02d}" for n in range(8)]
        assert {r.hung_up_by for r in records} == {"agi"}
        assert len({c.uniqueid for c in calls}) == 8
        assert sim.channels == []
