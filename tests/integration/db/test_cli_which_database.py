"""The database commands say which database they use, take `--config` after the subcommand,
and `users add` works without a terminal (issue 14, items 10 and 13; item 6 for the URL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from callcenter.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[3]


def run(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`callcenter ...` as a user runs it, stdin a pipe (no terminal), no CALLCENTER_*."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CALLCENTER_")}
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
        check=False,
    )


def settings_file(tmp_path: Path, database: Path) -> Path:
    shipped = yaml.safe_load((ROOT / "config" / "callcenter.yaml").read_text())
    shipped["database"]["url"] = f"sqlite+aiosqlite:///{database}"
    path = tmp_path / "demo-like.yaml"
    path.write_text(yaml.safe_dump(shipped))
    return path


def test_given_no_terminal_and_no_password_stdin_then_users_add_says_how_instead_of_crashing(
    tmp_path: Path,
) -> None:
    # `docker compose exec -T backend callcenter users add ...`: stdin is no terminal.
    result = run("users", "add", "--role", "agent", "agent7", cwd=tmp_path)
    assert result.returncode == 2
    assert "no terminal to ask for the password" in result.stderr
    assert "--password-stdin" in result.stderr
    assert "Traceback" not in result.stderr
    empty = run("users", "add", "--role", "agent", "--password-stdin", "agent7", cwd=tmp_path)
    assert empty.returncode == 2
    assert "--password-stdin: stdin held no password" in empty.stderr


def test_given_config_after_the_subcommand_then_every_database_command_names_that_database(
    tmp_path: Path,
) -> None:
    database = tmp_path / "var" / "demo.db"
    config = settings_file(tmp_path, database)
    work = tmp_path / "work"
    work.mkdir()
    named = f"database: sqlite+aiosqlite:///{database} (the file {database}; database.url in"
    csv = work / "customers.csv"
    csv.write_text("account,name\n1,Anna\n")
    add = ("users", "add", "--role", "admin", "--password-stdin", "--config", str(config), "a")
    for args, stdin in (
        (("db", "upgrade", "--config", str(config)), ""),
        (("customers", "import", "--config", str(config), str(csv)), ""),
        (add, "long-enough\n"),
    ):
        result = run(*args, cwd=work, stdin=stdin)
        assert result.returncode == 0, result.stderr
        assert named in result.stderr, result.stderr
    assert not (work / "var").exists()  # nothing silently made in the working directory


def test_given_the_database_url_in_the_environment_then_the_command_says_so(
    tmp_path: Path,
) -> None:
    database = tmp_path / "env.db"
    result = run(
        "db", "upgrade", cwd=tmp_path, env={"CALLCENTER_DATABASE__URL": f"sqlite:///{database}"}
    )
    assert result.returncode == 0, result.stderr
    assert f"(the file {database}; from CALLCENTER_DATABASE__URL)" in result.stderr


def test_given_an_unreachable_database_with_a_password_then_the_error_masks_it(
    tmp_path: Path,
) -> None:
    url = "postgresql+asyncpg://cc:s3cr@t@127.0.0.1:1/callcenter"
    result = run("db", "upgrade", cwd=tmp_path, env={"CALLCENTER_DATABASE__URL": url})
    assert result.returncode == 1
    masked = "postgresql+asyncpg://cc:***@127.0.0.1:1/callcenter"
    assert f"database: {masked} (from CALLCENTER_DATABASE__URL)" in result.stderr
    assert f"callcenter: cannot use the database {masked}: " in result.stderr
    assert "s3cr" not in result.stderr
    assert "Traceback" not in result.stderr


def test_config_given_before_the_subcommand_is_not_reset_by_it() -> None:
    parser = build_parser()
    before = parser.parse_args(["--config", "a.yaml", "users", "add", "--role", "agent", "x"])
    after = parser.parse_args(["users", "add", "--role", "agent", "x", "--config", "b.yaml"])
    neither = parser.parse_args(["db", "upgrade"])
    assert (before.config, after.config, neither.config) == (Path("a.yaml"), Path("b.yaml"), None)
