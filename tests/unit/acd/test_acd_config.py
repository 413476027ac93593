"""Configuration is validated with errors that name what is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from acd import AcdSettings, AgentSettings, OverflowKind, OverflowTarget, QueueSettings


def _error(**fields: object) -> str:
    with pytest.raises(ValidationError) as failure:
        AcdSettings.model_validate(fields)
    return str(failure.value)


def test_overflow_to_an_unknown_queue_is_refused() -> None:
    message = _error(queues=[{"name": "sales", "max_wait_seconds": 60, "overflow": "queue:nope"}])

    assert "queue 'sales': overflow target queue 'nope' does not exist" in message


def test_proficiency_outside_one_to_five_is_refused() -> None:
    message = _error(queues=[{"name": "q"}], agents=[{"id": "a1", "skills": {"billing": 6}}])

    assert "skills.billing" in message
    assert "less than or equal to 5" in message


def test_relaxation_steps_must_increase_in_time() -> None:
    message = _error(
        queues=[
            {
                "name": "q",
                "relaxation": [
                    {"after_seconds": 30, "min_level": 2},
                    {"after_seconds": 30, "min_level": 1},
                ],
            }
        ]
    )

    assert "relaxation step 2 starts at 30 s, not after step 1 (30 s)" in message


def test_a_relaxation_step_may_not_raise_the_level() -> None:
    steps = [{"after_seconds": 30, "min_level": 2}, {"after_seconds": 60, "min_level": 3}]

    assert "raises the level to 3" in _error(queues=[{"name": "q", "relaxation": steps}])


def test_nothing_may_follow_the_any_member_step() -> None:
    steps = [{"after_seconds": 30}, {"after_seconds": 60, "min_level": 1}]

    assert "already accepts any member" in _error(queues=[{"name": "q", "relaxation": steps}])


def test_agent_in_an_unknown_queue_is_refused() -> None:
    message = _error(queues=[{"name": "q"}], agents=[{"id": "a1", "queues": ["nope"]}])

    assert "agent 'a1': member of unknown queue 'nope'" in message


def test_duplicate_queue_names_and_agent_ids_are_refused() -> None:
    assert "queue 'q' is configured twice" in _error(queues=[{"name": "q"}, {"name": "q"}])
    assert "agent 'a' is configured twice" in _error(
        queues=[{"name": "q"}], agents=[{"id": "a"}, {"id": "a"}]
    )


def test_no_agent_overflow_needs_a_target() -> None:
    message = _error(queues=[{"name": "q", "overflow_when_no_agents": True}])

    assert "overflow_when_no_agents needs an overflow target" in message


def test_a_queue_cannot_overflow_to_itself() -> None:
    assert "cannot overflow to itself" in _error(queues=[{"name": "q", "overflow": "queue:q"}])


def test_unknown_fields_are_refused_to_catch_typos() -> None:
    assert "ring_timeout" in _error(queues=[{"name": "q", "ring_timeout": 10}])


def test_overflow_targets_accept_the_short_form() -> None:
    assert OverflowTarget.model_validate("voicemail:100") == OverflowTarget(
        kind=OverflowKind.VOICEMAIL, name="100"
    )
    assert OverflowTarget.model_validate("callback").kind is OverflowKind.CALLBACK
    with pytest.raises(ValidationError, match="must name the queue"):
        OverflowTarget.model_validate("queue")


def test_defaults_describe_a_usable_queue() -> None:
    config = AcdSettings(
        queues=(QueueSettings(name="q"),), agents=(AgentSettings(id="a1", queues=("q",)),)
    )

    queue = config.queues[0]
    assert (queue.service_level_seconds, queue.short_abandon_seconds) == (20, 5)
    assert queue.service_level_target == 0.8
