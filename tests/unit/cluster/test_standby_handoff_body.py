"""What a standby hands the leader for a queued caller (`callcenter.pbx.standby_agi`): the
call's context arrives whole, and a body that is not what a standby sends is refused with
the field named (the leader queues nothing on it)."""

from __future__ import annotations

from typing import Any

import pytest

from callcenter.cluster.relay import Refused
from callcenter.live import CallInfo
from callcenter.pbx.standby_agi import info_from, info_json

INFO = CallInfo(
    call_id="1700000000.12",
    caller_number="+49305550000",
    dialled_number="100",
    arrived_at=1_700_000_000.5,
    queue="general",
    ivr_path=("check_hours", "main_menu", "operator"),
    ivr_answers={"menu_choice": "0", "language": "de"},
    account="471102",
    customer_id=7,
    customer_name="Jonas Richter",
    tier="gold",
)


def test_given_a_call_handed_over_then_the_leader_gets_the_same_context() -> None:
    assert info_from(info_json(INFO), "call") == INFO
    bare = CallInfo("1700000000.13", None, None, 1.0, "general")
    assert info_from(info_json(bare), "call") == bare


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"call_id": ""}, "call_id"),
        ({"queue": 5}, "queue"),
        ({"ivr_answers": {"menu": 1}}, "call.ivr_answers"),
        ({"ivr_path": "main_menu"}, "call.ivr_path"),
        ({"customer_id": "7"}, "call.customer_id"),
        ({"customer_id": True}, "call.customer_id"),
        ({"arrived_at": "now"}, "call.arrived_at"),
        ({"caller_number": 4930}, "call.caller_number"),
    ],
)
def test_given_a_body_no_standby_sends_then_it_is_refused_naming_the_field(
    change: dict[str, Any], named: str
) -> None:
    with pytest.raises(Refused, match=named):
        info_from({**info_json(INFO), **change}, "call")


def test_given_no_object_then_it_is_refused() -> None:
    with pytest.raises(Refused, match="call: not an object"):
        info_from(["1700000000.12"], "call")
