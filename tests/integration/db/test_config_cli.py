"""`callcenter config export|import` as an operator runs them (issue 16)."""

from __future__ import annotations

from pathlib import Path

import yaml

from callcenter.db import ConfigVersions, make_engine, make_sessions
from tests.integration.db.test_db_cli import callcenter


async def versions_stored(db_url: str) -> list[int]:
    engine = make_engine(db_url)
    try:
        return [v.version for v in await ConfigVersions(make_sessions(engine)).list()]
    finally:
        await engine.dispose()


async def test_given_an_export_when_edited_and_imported_then_a_new_version_holds_the_change(
    db_url: str, tmp_path: Path
) -> None:
    exported = tmp_path / "acd.yaml"
    result = callcenter(db_url, "config", "export", str(exported))
    assert result.returncode == 0, result.stderr
    assert "version 1 written" in result.stderr
    data = yaml.safe_load(exported.read_text())
    assert [q["name"] for q in data["acd"]["queues"]][:2] == ["general", "billing"]
    assert exported.read_text().startswith("# The configuration, version 1 of the database")

    data["acd"]["queues"][0]["ring_timeout_seconds"] = 25
    exported.write_text(yaml.safe_dump(data, sort_keys=False))
    imported = callcenter(
        db_url, "config", "import", str(exported), "--comment", "longer ring", "--author", "ops"
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == (
        "version 2 stored (ops): queues[general].ring_timeout_seconds: 15 -> 25"
    )
    assert "next start" in imported.stderr

    shown = callcenter(db_url, "config", "export", "-")
    assert shown.returncode == 0, shown.stderr
    assert "version 2 of the database (ops, " in shown.stdout
    assert "longer ring" in shown.stdout
    assert yaml.safe_load(shown.stdout)["acd"]["queues"][0]["ring_timeout_seconds"] == 25

    again = callcenter(db_url, "config", "import", str(exported))
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("no change: version 2")
    assert await versions_stored(db_url) == [2, 1]


async def test_given_a_file_with_bad_keys_when_imported_then_each_is_named_and_nothing_stored(
    db_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "acd:\n"
        "  queues:\n"
        "    - name: general\n"
        "    - name: billing\n"
        "      ring_timeout_seconds: 0\n"
        "  agents:\n"
        "    - id: agent1\n"
        "      skills: {billing: 9}\n"
        "      queues: [general]\n"
    )
    result = callcenter(db_url, "config", "import", str(bad))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert (
        f"{bad}:5: acd.queues[1].ring_timeout_seconds: Input should be greater than 0 (got 0)"
        in (lines)
    )
    assert any(
        line.startswith(f"{bad}:8: acd.agents[0].skills.billing: Input should be less than")
        for line in lines
    ), lines
    assert "nothing stored, version 1 stays in force" in result.stderr
    assert await versions_stored(db_url) == [1]  # only the seed


async def test_given_a_file_without_an_acd_section_when_imported_then_it_says_what_is_missing(
    db_url: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("web: {port: 8081}\n")
    result = callcenter(db_url, "config", "import", str(other))
    assert result.returncode == 1
    assert f"{other}:1: acd: the file needs an `acd:` section" in result.stderr


async def test_given_an_agent_imported_when_its_login_is_added_then_there_is_no_warning(
    db_url: str, tmp_path: Path
) -> None:
    def add_login(username: str) -> str:
        added = callcenter(
            db_url, "users", "add", "--role", "agent", "--password-stdin", username,
            stdin="correct horse battery\n",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        return added.stderr

    assert "warning: no agent 'agent7' is configured" in add_login("agent7")
    exported = tmp_path / "acd.yaml"
    assert callcenter(db_url, "config", "export", str(exported)).returncode == 0
    data = yaml.safe_load(exported.read_text())
    data["acd"]["agents"].append({"id": "agent8", "name": "Hanna", "queues": ["general"]})
    exported.write_text(yaml.safe_dump(data, sort_keys=False))
    imported = callcenter(db_url, "config", "import", str(exported), "--author", "ops")
    assert imported.stdout.strip() == "version 2 stored (ops): agents[agent8] added"
    assert "warning" not in add_login("agent8")
