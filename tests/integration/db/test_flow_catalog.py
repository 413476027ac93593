"""The stored flows at the service's start: the files seed a fresh database only if they
pass, and afterwards the stored versions run whatever the files say (issue 16)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from callcenter.app.settings import SHIPPED_FLOWS, IVRSettings
from callcenter.db.flow_versions import FlowVersions
from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.loader import FlowLibrary, FlowLoadError
from ivr_flows import FlowSet


def catalog_over(folder: Path, sessions: async_sessionmaker[AsyncSession]) -> FlowCatalog:
    library = FlowLibrary(IVRSettings.model_validate({"flows_dir": folder}), FlowSet([]))
    return FlowCatalog(library, FlowVersions(sessions))


async def test_given_broken_files_and_a_fresh_database_when_starting_then_nothing_is_seeded(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    folder = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, folder)
    survey = folder / "post_call_survey.yaml"
    survey.write_text(survey.read_text().replace("type: survey", "type: surveyy", 1))
    catalog = catalog_over(folder, sessions)

    with pytest.raises(FlowLoadError) as refused:
        await catalog.start()

    assert any(m.startswith(f"{survey}:") and "surveyy" in m for m in refused.value.messages)
    assert await catalog.store.count() == 0


async def test_given_stored_flows_when_a_file_differs_then_the_stored_version_runs_and_it_is_logged(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    folder = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, folder)
    await catalog_over(folder, sessions).start()
    hotline = folder / "main_hotline.yaml"
    hotline.write_text(hotline.read_text().replace("timeout_s: 5\n", "timeout_s: 9\n", 1))
    catalog = catalog_over(folder, sessions)

    with capture_logs() as logs:
        active = await catalog.start()

    assert {name: v.version for name, v in active.items()} == {
        "after_hours": 1,
        "followup_call": 1,
        "main_hotline": 1,
        "post_call_survey": 1,
    }
    menu = catalog.library.flows["main_hotline"].nodes["main_menu"]
    assert menu.timeout_s == 5  # type: ignore[attr-defined]
    ignored = [e for e in logs if e["event"] == "ivr.file_flow_ignored"]
    assert [(e["flow"], e["version"]) for e in ignored] == [("main_hotline", 1)]
