"""Loading flows from disk: directories, sub-flows beside a file, routes, reloads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from callcenter.app.settings import SHIPPED_FLOWS, IVRSettings, SettingsError, load_settings
from callcenter.ivr.loader import FlowLibrary, FlowLoadError, load_flow_dir, load_flow_files

MENU = """\
start: menu
nodes:
  menu:
    type: menu
    prompts: custom/menu
    choices: {1: bye}
    fallback: bye
  bye:
    type: hangup
"""


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, directory)
    return directory


def settings(directory: Path, **routes: object) -> IVRSettings:
    return IVRSettings.model_validate({"flows_dir": directory, **routes})


def test_a_flow_file_is_checked_with_the_sub_flows_it_calls_from_beside_it() -> None:
    flows = load_flow_files([SHIPPED_FLOWS / "main_hotline.yaml"])

    assert set(flows.names) == {"main_hotline", "after_hours"}


def test_a_broken_sub_flow_beside_the_file_is_reported_in_its_own_file(flows_dir: Path) -> None:
    after_hours = flows_dir / "after_hours.yaml"
    after_hours.write_text(after_hours.read_text().replace("max_seconds: 120", "max_seconds: 9000"))

    with pytest.raises(FlowLoadError) as refused:
        load_flow_files([flows_dir / "main_hotline.yaml"])

    (message,) = refused.value.messages
    assert message.startswith(f"{after_hours}:")
    assert "node 'leave_message': max_seconds: " in message


def test_problems_of_several_files_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(MENU.replace("custom/menu", "''"))
    (tmp_path / "two.yaml").write_text(MENU.replace("fallback: bye", "fallback: nowhere"))

    with pytest.raises(FlowLoadError) as refused:
        load_flow_dir(tmp_path)

    assert [message.split(":")[0] for message in refused.value.messages] == [
        str(tmp_path / "one.yaml"),
        str(tmp_path / "two.yaml"),
    ]


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FlowLoadError, match="no flow files"):
        load_flow_dir(tmp_path)


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FlowLoadError, match="cannot read the flow file"):
        load_flow_files([tmp_path / "missing.yaml"])


def test_the_library_loads_the_shipped_flows_by_default() -> None:
    library = FlowLibrary(IVRSettings())

    assert set(library.flows.names) == {
        "main_hotline",
        "after_hours",
        "post_call_survey",
        "followup_call",
    }


def test_a_service_does_not_start_on_a_broken_flow(flows_dir: Path) -> None:
    (flows_dir / "after_hours.yaml").write_text(MENU.replace("type: menu", "type: meun"))

    with pytest.raises(FlowLoadError, match="unknown node type 'meun'"):
        FlowLibrary(settings(flows_dir))


def test_a_route_to_a_missing_flow_stops_the_start(flows_dir: Path) -> None:
    with pytest.raises(FlowLoadError) as refused:
        FlowLibrary(settings(flows_dir, dnis={"300": "sales"}))

    assert refused.value.messages == (
        f"ivr.dnis.300: no flow 'sales' in {flows_dir} "
        "(flows: after_hours, followup_call, main_hotline, post_call_survey)",
    )


def test_a_reload_that_fails_keeps_the_old_flows(flows_dir: Path) -> None:
    library = FlowLibrary(settings(flows_dir))
    before = library.flows
    (flows_dir / "extra.yaml").write_text(MENU.replace("fallback: bye", "fallback: gone"))

    problems = library.reload()

    assert problems == [
        f"{flows_dir / 'extra.yaml'}:7: node 'menu': fallback: 'gone' is not a node of this flow"
    ]
    assert library.flows is before


def test_a_reload_that_succeeds_replaces_the_flows(flows_dir: Path) -> None:
    library = FlowLibrary(settings(flows_dir))
    (flows_dir / "extra.yaml").write_text(MENU)

    assert library.reload() == []
    assert "extra" in library.flows


def test_the_flow_for_a_call_is_chosen_by_script_then_dialled_number_then_default() -> None:
    library = FlowLibrary(
        IVRSettings(dnis={"100": "main_hotline", "199": "after_hours"}, default_flow="after_hours")
    )

    assert library.flow_for(script="survey", dnis="100") == "post_call_survey"
    assert library.flow_for(script="ivr", dnis="100") == "main_hotline"
    assert library.flow_for(script="ivr", dnis="199") == "after_hours"
    assert library.flow_for(script="ivr", dnis="555") == "after_hours"
    assert library.flow_for(script="ivr", dnis=None) == "after_hours"


def test_the_shipped_settings_route_the_hotline_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_AMI_SECRET_PBX1", "x")
    ivr = load_settings(SHIPPED_FLOWS.parents[1] / "config" / "callcenter.yaml").ivr

    assert ivr.dnis == {"100": "main_hotline", "199": "after_hours"}
    assert ivr.scripts == {"survey": "post_call_survey"}
    assert ivr.timezone == "Europe/Berlin"
    assert FlowLibrary(ivr).flows is not None


@pytest.mark.parametrize(
    ("section", "error"),
    [
        ("ivr:\n  timezone: Mars/Olympus\n", ":2: ivr.timezone: Value error, unknown time zone"),
        (
            "ivr:\n  dnis:\n    abc: main_hotline\n",
            ":3: ivr.dnis: Value error, 'abc' is not a dialled",
        ),
        ("ivr:\n  dnis:\n    100: Main Hotline\n", "'Main Hotline' is not a flow name"),
        ("ivr:\n  default_flow: main-hotline\n", ":2: ivr.default_flow: Value error"),
        ("ivr:\n  flow_dir: /tmp\n", ":2: ivr.flow_dir: Extra inputs are not permitted"),
    ],
)
def test_a_bad_ivr_section_names_the_line_and_the_problem(
    tmp_path: Path, section: str, error: str
) -> None:
    path = tmp_path / "callcenter.yaml"
    path.write_text(section)

    with pytest.raises(SettingsError) as refused:
        load_settings(path)

    assert error in str(refused.value)


def test_dialled_numbers_written_as_yaml_numbers_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "callcenter.yaml"
    path.write_text("ivr:\n  dnis:\n    100: main_hotline\n")

    assert load_settings(path).ivr.dnis == {"100": "main_hotline"}
