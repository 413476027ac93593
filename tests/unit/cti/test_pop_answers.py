"""The IVR answers on the pop: the flow's labels, never the service's own call data."""

from __future__ import annotations

import pytest

from callcenter.app.settings import SHIPPED_FLOWS
from callcenter.ivr.loader import load_flow_dir
from cti.answers import pop_answers
from ivr_flows import FlowError
from ivr_flows.flow import parse_flow
from ivr_flows.flowset import FlowSet

CALL_DATA = {
    "caller_number": "+4930123456",
    "dnis": "100",
    "call_id": "1732280000.7",
    "customer.name": "Erika Mustermann",
    "language": "de",
    "menu_choice": "2",
    "reason": "billing",
    "estimated_wait_s": "45",
    "callback_for": "1732280000.6",
    "order.status": "shipped",
}
LABELS = {"reason": "Reason for calling", "language": "Language", "menu_choice": ""}


def test_the_pop_lists_the_callers_answers_under_the_flows_labels_in_its_order() -> None:
    rows = pop_answers(CALL_DATA, LABELS)

    assert [(r["label"], r["value"]) for r in rows] == [
        ("Reason for calling", "billing"),
        ("Language", "de"),
        ("Order status", "shipped"),  # no label: its key made readable
    ]


@pytest.mark.parametrize(
    "key", ["dnis", "call_id", "estimated_wait_s", "caller_number", "callback_for", "customer.name"]
)
def test_the_services_own_call_data_never_shows_as_an_answer(key: str) -> None:
    labelled = {**LABELS, key: "Shown anyway?"}

    shown = {row["key"] for row in pop_answers(CALL_DATA, labelled)}

    assert key not in shown


def test_an_empty_label_keeps_an_answer_off_the_pop() -> None:
    assert "menu_choice" not in {row["key"] for row in pop_answers(CALL_DATA, LABELS)}


def _flow(name: str, labels: dict[str, str]) -> dict[str, object]:
    return {
        "pop_labels": labels,
        "start": "bye",
        "nodes": {"bye": {"type": "hangup"}},
    }


def test_flows_give_their_labels_and_the_first_flow_by_name_wins_a_shared_key() -> None:
    flows = FlowSet(
        [
            parse_flow(_flow("b_flow", {"reason": "Why", "language": "Language"}), "b_flow"),
            parse_flow(_flow("a_flow", {"reason": "Reason for calling"}), "a_flow"),
        ]
    )

    assert flows.pop_labels() == {"reason": "Reason for calling", "language": "Language"}


def test_a_label_for_a_key_that_is_no_data_key_is_refused_naming_it() -> None:
    with pytest.raises(FlowError) as caught:
        parse_flow(_flow("f", {"Not A Key": "Label"}), "f")

    assert "'Not A Key' is not a data key" in str(caught.value)


def test_the_shipped_hotline_labels_what_its_callers_answer() -> None:
    labels = load_flow_dir(SHIPPED_FLOWS).pop_labels()

    assert labels["reason"] == "Reason for calling"
    assert labels["account_number"] == "Account number keyed in"
    assert labels["menu_choice"] == ""  # the reason says it in words
