"""The follow-up call policy (`cti.followups`) and its place in the center's configuration:
who calls per ticket category, when an automated call is due, how a miss is retried, when
the follow-up is given up to an agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from callcenter.app.center_config import FollowUps, seed_from_files
from callcenter.app.settings import load_settings
from callcenter.db.config_versions import ConfigInvalid, as_document, validate_document
from cti.followups import (
    FollowUpMode,
    FollowUpRule,
    after_miss,
    answer_of_key,
    first_due,
    is_due,
    is_stale,
)

SHIPPED = Path(__file__).resolve().parents[3] / "config" / "callcenter.yaml"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AUTOMATED = FollowUpRule(FollowUpMode.AUTOMATED, delay_hours=24, max_attempts=3, retry_minutes=90)


def test_an_automated_call_is_due_its_delay_after_the_resolution() -> None:
    promised = T0 + timedelta(hours=48)
    assert first_due(AUTOMATED, T0, promised) == T0 + timedelta(hours=24)


def test_an_agent_followup_keeps_the_promise_of_its_step() -> None:
    promised = T0 + timedelta(hours=48)
    assert first_due(FollowUpRule(), T0, promised) == promised
    assert first_due(FollowUpRule(), T0, None) == T0


def test_a_missed_call_is_tried_again_after_the_wait_until_the_calls_are_used_up() -> None:
    first = after_miss(AUTOMATED, 1, T0)
    assert (first.retry_at, first.unreached) == (T0 + timedelta(minutes=90), False)
    assert after_miss(AUTOMATED, 2, T0).retry_at == T0 + timedelta(minutes=90)
    last = after_miss(AUTOMATED, 3, T0)
    assert (last.retry_at, last.unreached) == (None, True)


@pytest.mark.parametrize(
    ("changes", "due"),
    [
        ({}, True),
        ({"mode": "agent"}, False),
        ({"answered": True}, False),
        ({"unreached": True}, False),
        ({"dialling": True}, False),
        ({"due_at": T0 + timedelta(seconds=1)}, False),
    ],
)
def test_only_a_due_automated_followup_nobody_answered_or_dials_is_dialled(
    changes: dict[str, Any], due: bool
) -> None:
    state: dict[str, Any] = {
        "mode": "automated",
        "due_at": T0,
        "now": T0,
        "answered": False,
        "unreached": False,
        "dialling": False,
    }
    assert is_due(**{**state, **changes}) is due


def test_a_call_never_heard_of_again_is_stale_after_the_limit() -> None:
    assert not is_stale(None, T0, 600)
    assert not is_stale(T0, T0 + timedelta(seconds=599), 600)
    assert is_stale(T0, T0 + timedelta(seconds=600), 600)


def test_only_keys_1_and_2_are_an_answer() -> None:
    assert [answer_of_key(k) for k in ("1", "2", "3", "", None, "12")] == [
        True,
        False,
        None,
        None,
        None,
        None,
    ]


def test_a_category_without_its_own_policy_follows_the_centers() -> None:
    followups = FollowUps.model_validate(
        {
            "default": {"mode": "agent"},
            "categories": {"complaint": {"mode": "automated", "delay_hours": 2}},
        }
    )
    assert followups.for_category("complaint").mode is FollowUpMode.AUTOMATED
    assert followups.for_category("complaint").delay_hours == 2
    assert followups.for_category("request").mode is FollowUpMode.AGENT


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    return as_document(seed_from_files(load_settings(SHIPPED, require_secrets=False)))


def _problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigInvalid) as refused:
        validate_document(document)
    return [(p.key, p.message) for p in refused.value.problems]


def test_the_shipped_configuration_has_agent_followups(shipped: dict[str, Any]) -> None:
    assert shipped["followups"]["default"]["mode"] == "agent"
    validate_document(shipped)


@pytest.mark.parametrize(
    ("followups", "key", "words"),
    [
        ({"categories": {"billing": {"mode": "automated"}}}, "followups", "no ticket category"),
        ({"default": {"mode": "robot"}}, "followups.default.mode", "'agent' or 'automated'"),
        ({"default": {"max_attempts": 0}}, "followups.default.max_attempts", "greater than"),
        ({"default": {"delay_hours": -1}}, "followups.default.delay_hours", "greater than"),
        ({"default": {"retry_minutes": 0}}, "followups.default.retry_minutes", "greater than"),
    ],
)
def test_a_bad_followup_policy_is_refused_with_its_key_named(
    shipped: dict[str, Any], followups: dict[str, Any], key: str, words: str
) -> None:
    found = _problems({**shipped, "followups": followups})
    assert any(k.startswith(key) and words in message for k, message in found), found
