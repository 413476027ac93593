"""A deployment without the company's recordings: every `custom/...` prompt is missing.

The simulator answers a missing sound as a real Asterisk 22 does (STREAM FILE `200
result=-1 endpos=0`, GET DATA `200 result=-1` with the channel still up); the call must
go on as if each prompt had played, and nobody may count it as abandoned.
"""

from __future__ import annotations

from pathlib import Path

from acd import AcdSettings, AgentSettings, AgentState, QueueSettings
from callcenter.sim import AgentPhone, CallerScript, Press, SimOptions
from tests.e2e.harness import running

SKILLS = {"lang-de": 3, "lang-en": 3}
NO_COMPANY_PROMPTS = SimOptions(
    prompt_s=0.05, agi_close_timeout_s=5.0, missing_sounds=frozenset({"custom/"})
)
# An unknown caller keys what the silent prompts would have asked: 1 (English) at the
# language question, # twice at the account number (GET DATA's prompt is missing), then
# 0 (the operator) at the menu.
UNPROMPTED_KEYS = (Press("1"), Press("#"), Press("#"), Press("0"))


async def test_given_no_company_prompts_when_a_caller_keys_through_then_an_agent_answers(
    tmp_path: Path,
) -> None:
    acd = AcdSettings(
        queues=(QueueSettings(name="general", ring_timeout_seconds=5, wrap_up_seconds=0.5),),
        agents=(AgentSettings(id="agent1", queues=("general",), skills=SKILLS),),
    )
    phone = AgentPhone("agent1", answer_after_s=0.2)
    async with running(tmp_path, acd, [phone], sim_options=NO_COMPANY_PROMPTS) as e2e:
        script = CallerScript("5551234", steps=UNPROMPTED_KEYS, talk_s=0.3)
        call = await e2e.sim.place_call(script)
        record = await call.done
        assert record.bridged_to is not None
        assert "agent1" in record.bridged_to
        # The account prompt was asked for, found missing, and the keys read without it.
        assert record.commands.count('GET DATA "" 6000 10') == 2
        await e2e.until(lambda: e2e.state("agent1") in (AgentState.WRAP_UP, AgentState.READY))
        await e2e.flush()
        kinds = [event.kind for event in await e2e.events(call.uniqueid)]
        assert "abandon" not in kinds
        assert kinds[:3] == ["enqueue", "offer", "connect"]
        interaction = await e2e.service.backend.context.interactions.record(call.uniqueid)
        assert interaction is not None
        assert (interaction.outcome, interaction.agent) == ("answered", "agent1")
        assert interaction.ivr_data["reason"] == "operator"
