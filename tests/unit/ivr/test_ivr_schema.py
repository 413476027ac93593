"""Flow validation: every broken flow is refused with its file, line, node and problem.

The files in `broken_flows/` hold one problem each; their first line says what the loader
must report (`# expect: <file>:<line>: <problem>`), so a new case is a new file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callcenter.ivr.loader import FlowLoadError, load_flow_files
from ivr_flows import NODE_TYPES, FlowError, FlowSet, flow_tree, parse_flow
from ivr_flows.graph import loops
from tests.unit.ivr.ivr_testkit import flow, shipped_flows

BROKEN = sorted((Path(__file__).parent / "broken_flows").glob("*.yaml"))


def expected_message(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must say what is expected"
    return first.removeprefix("# expect: ")


def test_there_is_a_broken_flow_for_each_kind_of_problem() -> None:
    assert len(BROKEN) >= 20


@pytest.mark.parametrize("path", BROKEN, ids=[path.stem for path in BROKEN])
def test_a_broken_flow_is_refused_with_file_line_node_and_problem(path: Path) -> None:
    with pytest.raises(FlowLoadError) as refused:
        load_flow_files([path])

    (message,) = refused.value.messages
    assert message.startswith(str(path.parent) + "/")
    assert expected_message(path) in message


def test_every_problem_of_a_flow_is_reported_at_once() -> None:
    with pytest.raises(FlowError) as refused:
        parse_flow(
            {
                "start": "menu",
                "nodes": {
                    "menu": {"type": "menu", "prompts": "", "choices": {1: "x"}},
                    "orphan": {"type": "hangup", "outcome": "Not A Label"},
                },
            },
            "two_problems",
        )

    where = [problem.where for problem in refused.value.problems]
    assert where == ["node 'menu': prompts", "node 'menu': fallback", "node 'orphan': outcome"]


def test_graph_problems_are_all_reported_too() -> None:
    with pytest.raises(FlowError) as refused:
        flow(
            {
                "a": {"type": "play", "prompts": "beep", "next": "b"},
                "b": {"type": "set", "values": {"x": 1}, "next": "a"},
                "c": {"type": "play", "prompts": "beep", "next": "nowhere"},
            }
        )

    messages = [problem.describe() for problem in refused.value.problems]
    assert messages[0] == "node 'c': next: 'nowhere' is not a node of this flow"
    assert messages[1] == "node 'c': unreachable: no path leads here from start 'a'"
    assert messages[2].startswith("node 'a': loop that never waits for caller input: a -> b -> a")


def test_a_loop_through_a_node_that_waits_for_the_caller_is_fine() -> None:
    built = flow(
        {
            "menu": {
                "type": "menu",
                "prompts": "custom/menu",
                "choices": {1: "info", 2: "bye"},
                "fallback": "bye",
            },
            "info": {"type": "play", "prompts": "custom/info", "next": "menu"},
            "bye": {"type": "hangup"},
        }
    )

    assert built.start == "menu"


def test_a_language_node_that_may_skip_its_question_does_not_count_as_waiting() -> None:
    language: dict[str, Any] = {
        "type": "language",
        "prompts": "custom/lang",
        "choices": {1: "en"},
        "default": "en",
        "known_from": "customer.language",
        "next": "again",
    }
    with pytest.raises(FlowError, match="loop that never waits"):
        flow({"lang": language, "again": {"type": "set", "values": {"x": 1}, "next": "lang"}})


def test_loops_finds_each_cycle_once_starting_at_its_earliest_node() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["b", "d"], "d": [], "e": ["e"], "f": ["b"]}

    assert loops(["a", "b", "c", "d", "e", "f"], edges) == [["b", "c"], ["e"]]


def test_yaml_numbers_and_dates_count_as_their_text() -> None:
    built = flow(
        {
            "menu": {
                "type": "menu",
                "prompts": "custom/menu",
                "choices": {1: "bye", 0: "bye"},
                "fallback": "bye",
            },
            "bye": {"type": "hangup"},
        }
    )
    menu = built.nodes["menu"]

    assert [label for label, _ in menu.targets()] == ["choices.1", "choices.0", "fallback"]


def test_the_name_in_a_flow_file_must_be_the_files_name() -> None:
    with pytest.raises(FlowError, match="differs from the file's name"):
        parse_flow({"name": "other", "start": "x", "nodes": {"x": {"type": "hangup"}}}, "mine")


def test_two_flows_calling_each_other_are_refused() -> None:
    ping = flow(
        {"call": {"type": "subflow", "flow": "pong", "next": "end"}, "end": {"type": "hangup"}},
        name="ping",
    )
    pong = flow(
        {"call": {"type": "subflow", "flow": "ping", "next": "end"}, "end": {"type": "return"}},
        name="pong",
    )

    with pytest.raises(
        FlowError, match="sub-flows call each other in a loop: ping -> pong -> ping"
    ):
        FlowSet([ping, pong])


def test_the_node_types_are_the_ones_the_issue_lists() -> None:
    assert set(NODE_TYPES) == {
        "play",
        "menu",
        "collect",
        "say",
        "lookup_customer",
        "lookup_data",
        "opening_hours",
        "compare",
        "switch",
        "estimated_wait",
        "set",
        "language",
        "queue",
        "voicemail",
        "callback",
        "transfer",
        "survey",
        "subflow",
        "return",
        "hangup",
    }


def test_a_tree_shows_every_node_once_under_the_exit_that_leads_to_it() -> None:
    built = flow(
        {
            "menu": {
                "type": "menu",
                "prompts": "custom/menu",
                "choices": {1: "info", 2: "bye"},
                "fallback": "bye",
            },
            "info": {"type": "play", "prompts": "custom/info", "next": "menu"},
            "bye": {"type": "hangup"},
        },
        description="A small menu.",
    )

    assert flow_tree(built) == [
        "test: 3 nodes, starts at menu",
        "  A small menu.",
        "menu: menu custom/menu [1 2]",
        "├── choices.1 → info: play custom/info",
        "│   └── next → menu (see above)",
        "├── choices.2 → bye: hang up",
        "└── fallback → bye (see above)",
    ]


def test_the_shipped_flows_are_valid_and_every_node_appears_in_their_trees() -> None:
    flows = shipped_flows()

    assert set(flows.names) == {"main_hotline", "after_hours", "post_call_survey", "followup_call"}
    for shipped in flows:
        drawn = "\n".join(flow_tree(shipped))
        for node_id in shipped.nodes:
            assert f"{node_id}: " in drawn
