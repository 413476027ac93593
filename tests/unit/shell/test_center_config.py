"""The center's configuration document: seeded from the settings file, checked key by key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callcenter.app.center_config import (
    CENTER_KEYS,
    OpeningHours,
    from_settings,
    missing_sections,
    seed_from_files,
    settings_with,
)
from callcenter.app.settings import load_settings
from callcenter.db.config_versions import (
    ConfigInvalid,
    as_document,
    diff_documents,
    validate_document,
)
from ivr_flows import Calendar

SHIPPED = Path(__file__).resolve().parents[3] / "config" / "callcenter.yaml"


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    return as_document(seed_from_files(load_settings(SHIPPED, require_secrets=False)))


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigInvalid) as refused:
        validate_document(document)
    return [(p.key, p.message) for p in refused.value.problems]


def test_the_shipped_file_seeds_every_section_with_the_flows_calendars(
    shipped: dict[str, Any],
) -> None:
    assert missing_sections(shipped) == []
    assert shipped["dialled_numbers"] == {"100": "main_hotline", "199": "after_hours"}
    assert shipped["default_flow"] == "main_hotline"
    assert "hotline" in shipped["calendars"]
    assert shipped["calendars"]["hotline"]["weekly"]["mon"] == ["08:00-18:00"]
    assert "complaint" in shipped["ticket_categories"]
    assert "wrong-number" in shipped["dispositions"]


def test_a_document_of_the_acd_keys_only_lacks_the_center_sections(
    shipped: dict[str, Any],
) -> None:
    acd_only = {k: v for k, v in shipped.items() if k not in CENTER_KEYS}
    assert missing_sections(acd_only) == sorted(CENTER_KEYS)


@pytest.mark.parametrize(
    ("edit", "key", "words"),
    [
        (
            lambda d: d["dialled_numbers"].update({"1,00": "main_hotline"}),
            "dialled_numbers",
            "'1,00' is not a dialled number",
        ),
        (
            lambda d: d["dialled_numbers"].update({"300": "Main Hotline"}),
            "dialled_numbers",
            "not a flow name",
        ),
        (lambda d: d.update(default_flow="x;y"), "default_flow", "not a flow name"),
        (
            lambda d: d["calendars"]["hotline"]["weekly"].update(mon=["18:00-08:00"]),
            "calendars.hotline.weekly",
            "mon: '18:00-08:00' ends before it starts",
        ),
        (
            lambda d: d["calendars"]["hotline"].update(holidays=["31-12"]),
            "calendars.hotline.holidays",
            "not a holiday date",
        ),
        (
            lambda d: d["calendars"]["hotline"].update(timezone="Mars/Base"),
            "calendars.hotline.timezone",
            "unknown time zone",
        ),
        (
            lambda d: d["ticket_categories"].update(warranty=0),
            "ticket_categories",
            "due within 0-8760 hours: warranty",
        ),
        (
            lambda d: d["dispositions"].append("inquiry"),
            "dispositions",
            "'inquiry' is listed twice",
        ),
        (lambda d: d["dispositions"].append("x`rm -rf`"), "dispositions", "is not a disposition"),
        (lambda d: d.update(dispositions=[]), "dispositions", "at least 1"),
        (
            lambda d: d["supervisors"].update(sup9=["nowhere"]),
            "supervisors.sup9",
            "no queue 'nowhere'",
        ),
        (lambda d: d["alerts"]["queues"].update(nowhere={}), "alerts.queues", "no queue 'nowhere'"),
        (
            lambda d: d["callback_retries"]["default"]["by_result"].update(engaged=60),
            "callback_retries.default.by_result",
            "'engaged' is not a miss",
        ),
        (
            lambda d: d["callback_retries"]["queues"].update(nowhere={}),
            "callback_retries.queues",
            "no queue 'nowhere'",
        ),
        (
            lambda d: d.update(queue_hours={"nowhere": "hotline"}),
            "queue_hours",
            "no queue 'nowhere'",
        ),
        (
            lambda d: d.update(queue_hours={"billing": "night"}),
            "queue_hours.billing",
            "no calendar 'night' (calendars: hotline)",
        ),
        (
            lambda d: d["alerts"]["default"].update(service_level_below=1.5),
            "alerts.default.service_level_below",
            "less than or equal to 1",
        ),
    ],
)
def test_a_bad_value_is_refused_with_its_key_named(
    shipped: dict[str, Any], edit: Any, key: str, words: str
) -> None:
    document = {**shipped, **{k: _copy(v) for k, v in shipped.items()}}
    edit(document)
    found = problems(document)
    assert any(k == key and words in message for k, message in found), found


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def test_opening_hours_keep_the_calendars_meaning_in_the_documents_words() -> None:
    calendar = Calendar.model_validate(
        {
            "timezone": "Europe/Berlin",
            "weekly": {"sat": ["09:00-13:00"], "mon": ["08:00-12:00", "13:00-24:00"]},
            "holidays": ["12-25", "2026-04-03"],
        }
    )
    written = OpeningHours.of(calendar)
    assert written.weekly == {"mon": ("08:00-12:00", "13:00-24:00"), "sat": ("09:00-13:00",)}
    assert written.calendar() == calendar


def test_the_settings_in_force_follow_the_document(shipped: dict[str, Any]) -> None:
    settings = load_settings(SHIPPED, require_secrets=False)
    document = _copy(shipped)
    document["dialled_numbers"]["300"] = "after_hours"
    document["default_flow"] = "after_hours"
    document["dispositions"] = ["sale"]
    document["ticket_categories"] = {"warranty": 120}
    document["supervisors"] = {"sup1": ["billing"]}
    live = settings_with(settings, validate_document(document))
    assert live.ivr.dnis["300"] == "after_hours"
    assert live.ivr.default_flow == "after_hours"
    assert live.web.dispositions == ["sale"]
    assert live.cti.ticket_promises_h == {"warranty": 120}
    assert live.web.supervisor_queues == {"sup1": ["billing"]}
    # What needs a restart stays the file's.
    assert (live.web.port, live.fastagi.port) == (settings.web.port, settings.fastagi.port)
    assert from_settings(live, {}).dialled_numbers["300"] == "after_hours"


def test_a_changed_holiday_reads_as_one_line_of_the_diff(shipped: dict[str, Any]) -> None:
    document = _copy(shipped)
    document["calendars"]["hotline"]["holidays"].append("2026-12-24")
    document["dialled_numbers"]["300"] = "after_hours"
    changes = [str(c) for c in diff_documents(shipped, document)]
    assert 'dialled_numbers.300 added: "after_hours"' in changes
    assert any(c.startswith("calendars.hotline.holidays") for c in changes), changes
