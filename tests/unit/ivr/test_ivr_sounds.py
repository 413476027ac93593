"""Which sounds a flow plays and which languages it switches to (what prompts must exist)."""

from __future__ import annotations

from typing import Any

import yaml

from callcenter.app.settings import SHIPPED_FLOWS
from ivr_flows.sounds import SoundUse, flow_languages, sound_uses
from tests.unit.ivr.ivr_testkit import flow, shipped_flows

END = {"end": {"type": "hangup"}}


def _prompt_values(data: Any) -> set[str]:
    """Every sound written under a `*prompts` key of a flow file, read as plain YAML."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if str(key).endswith("prompts"):
                found |= set(value) if isinstance(value, list) else {value}
            else:
                found |= _prompt_values(value)
    elif isinstance(data, list):
        for item in data:
            found |= _prompt_values(item)
    return found


def test_every_prompt_written_in_a_shipped_flow_file_is_found() -> None:
    for path in sorted(SHIPPED_FLOWS.glob("*.yaml")):
        written = _prompt_values(yaml.safe_load(path.read_text()))
        loaded = shipped_flows()[path.stem]

        named = {use.sound for use in sound_uses(loaded) if use.sound is not None}

        assert written, path
        assert named == written, path.name


def test_each_use_names_the_node_and_the_field_that_plays_it() -> None:
    survey = shipped_flows()["post_call_survey"]
    hotline = shipped_flows()["main_hotline"]

    assert SoundUse(
        "post_call_survey", "questions", "questions.resolved.prompts", "custom/survey-resolved"
    ) in sound_uses(survey)
    assert SoundUse(
        "main_hotline", "main_menu", "invalid_prompts", "custom/invalid-choice"
    ) in sound_uses(hotline)
    assert SoundUse(
        "main_hotline", "billing_callback", "confirm_prompts", "custom/callback-or-wait"
    ) in sound_uses(hotline)


def test_what_asterisk_says_for_a_node_is_named_by_kind() -> None:
    says = flow(
        {
            "order": {"type": "say", "format": "digits", "key": "order", "next": "when"},
            "when": {"type": "say", "format": "date", "key": "day", "next": "count"},
            "count": {"type": "say", "format": "number", "key": "n", "next": "name"},
            "name": {"type": "say", "format": "sound", "key": "customer.name_prompt", "next": "vm"},
            "vm": {"type": "voicemail", "queue": "general", "prompts": "vm-intro", "next": "end"},
            **END,
        }
    )

    spoken = [(use.node, use.spoken) for use in sound_uses(says) if use.spoken is not None]

    # A recorded name comes from the call data: no flow can say which file, so none is named.
    assert spoken == [
        ("order", "digits"),
        ("when", "date"),
        ("count", "number"),
        ("vm", "recording"),
    ]


def test_a_callback_offer_reads_the_number_back_in_digits() -> None:
    uses = sound_uses(shipped_flows()["after_hours"])

    assert SoundUse("after_hours", "offer_callback", "number", spoken="digits") in uses


def test_the_languages_are_those_a_language_node_offers_or_defaults_to() -> None:
    assert flow_languages(shipped_flows()) == {"en", "de"}
    assert flow_languages([flow({**END})]) == frozenset()
