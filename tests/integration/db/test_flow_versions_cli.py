"""`callcenter flows export|import` as an operator runs them (issue 16)."""

from __future__ import annotations

from pathlib import Path

from callcenter.app.settings import SHIPPED_FLOWS
from callcenter.db import make_engine, make_sessions
from callcenter.db.flow_versions import FlowVersions
from tests.integration.db.test_db_cli import callcenter


async def versions_of(db_url: str, flow: str) -> list[tuple[int, str]]:
    engine = make_engine(db_url)
    try:
        history = await FlowVersions(make_sessions(engine)).history(flow)
        return [(v.version, v.author) for v in history]
    finally:
        await engine.dispose()


async def test_given_an_export_when_a_flow_is_edited_and_imported_then_it_is_a_new_version(
    db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    exported = callcenter(db_url, "flows", "export", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "after_hours: version 1 written to" in exported.stdout
    survey = out / "post_call_survey.yaml"
    assert survey.read_text() == (SHIPPED_FLOWS / "post_call_survey.yaml").read_text()

    survey.write_text(survey.read_text() + "\n# reviewed by ops\n")
    imported = callcenter(
        db_url, "flows", "import", str(survey), "--author", "ops", "--comment", "reviewed"
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines()[-1] == (
        "post_call_survey: version 2 stored (2 lines added, 0 removed)"
    )
    assert "next start" in imported.stderr
    again = callcenter(db_url, "flows", "import", str(survey))
    assert again.stdout.splitlines()[-1].startswith("no change")
    assert await versions_of(db_url, "post_call_survey") == [(2, "ops"), (1, "seed")]


async def test_given_a_broken_flow_when_imported_then_check_lines_are_printed_and_nothing_stored(
    db_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "post_call_survey.yaml"
    text = (SHIPPED_FLOWS / "post_call_survey.yaml").read_text()
    broken.write_text(text.replace("type: survey", "type: surveyy", 1))

    imported = callcenter(db_url, "flows", "import", str(broken))
    checked = callcenter(db_url, "flows", "check", str(broken))

    assert imported.returncode == 1
    lines = imported.stderr.splitlines()
    assert "callcenter: broken flows" in lines
    assert lines[-1] == "1 problem; nothing was stored"
    # The same problem line `flows check` prints for the file.
    problem = next(line for line in checked.stderr.splitlines() if line.startswith(str(broken)))
    assert problem in lines
    assert "surveyy" in problem
    assert await versions_of(db_url, "post_call_survey") == [(1, "seed")]
