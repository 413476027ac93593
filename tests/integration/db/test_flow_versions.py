"""IVR flows as versioned data, on SQLite and PostgreSQL (issue 16)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.flow_versions import FlowConflict, FlowNotFound, FlowVersions

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
LONGER = MENU.replace("choices: {1: bye}", "choices: {1: bye, 2: bye}")


@pytest.fixture
async def store(sessions: async_sessionmaker[AsyncSession]) -> FlowVersions:
    versions = FlowVersions(sessions)
    await versions.seed({"menu": MENU, "other": MENU})
    return versions


async def test_given_a_fresh_database_when_seeded_then_each_file_is_version_1_by_seed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    versions = FlowVersions(sessions)
    assert await versions.active() == {}
    active = await versions.seed({"menu": MENU, "other": MENU})
    assert [(v.flow, v.version, v.author, v.summary) for v in active.values()] == [
        ("menu", 1, "seed", "first version"),
        ("other", 1, "seed", "first version"),
    ]
    # A second start stores nothing more, whatever the files say now.
    again = await versions.seed({"menu": LONGER, "third": MENU})
    assert {name: v.version for name, v in again.items()} == {"menu": 1, "other": 1}
    assert again["menu"].text == MENU
    assert await versions.count() == 2


async def test_given_an_upload_when_saved_then_it_is_the_active_version_with_author_and_diff(
    store: FlowVersions,
) -> None:
    (saved,) = await store.save(
        {"menu": LONGER}, "admin", "a second choice", base_versions={"menu": 1}
    )
    assert (saved.flow, saved.version, saved.author, saved.comment) == (
        "menu",
        2,
        "admin",
        "a second choice",
    )
    assert saved.summary == "1 line added, 1 removed"
    assert "-    choices: {1: bye}\n+    choices: {1: bye, 2: bye}\n" in saved.diff
    assert "--- menu version 1" in saved.diff
    active = await store.active()
    assert (active["menu"].version, active["menu"].text) == (2, LONGER)
    assert active["other"].version == 1
    assert [v.version for v in await store.history("menu")] == [2, 1]


async def test_given_a_stale_base_version_when_saved_then_nothing_is_stored(
    store: FlowVersions,
) -> None:
    await store.save({"menu": LONGER}, "ada", base_versions={"menu": 1})
    with pytest.raises(FlowConflict, match="version 2 is active now, not version 1"):
        await store.save({"menu": MENU, "other": LONGER}, "bob", base_versions={"menu": 1})
    assert await store.count() == 3  # two seeds and ada's; none of bob's two flows
    assert (await store.get("other")).version == 1


async def test_given_an_older_version_when_activated_then_a_new_version_equals_it(
    store: FlowVersions,
) -> None:
    await store.save({"menu": LONGER}, "ada")
    back = await store.activate("menu", 1, "bob", "the second choice confused callers")
    assert (back.version, back.text, back.author) == (3, MENU, "bob")
    assert back.comment == "rollback to version 1: the second choice confused callers"
    history = await store.history("menu")
    assert [(v.version, v.text) for v in history] == [(3, MENU), (2, LONGER), (1, MENU)]
    # Activating the active text again stores nothing.
    same = await store.activate("menu", 3, "bob")
    assert same.version == 3
    assert await store.count() == 4


async def test_given_the_same_text_or_a_bad_name_when_saved_then_nothing_is_stored(
    store: FlowVersions,
) -> None:
    assert await store.save({"menu": MENU}, "ada") == []
    with pytest.raises(ValueError, match="cannot name a flow"):
        await store.save({"../etc/passwd": MENU}, "ada")
    with pytest.raises(ValueError, match="author"):
        await store.save({"menu": LONGER}, "")
    with pytest.raises(FlowNotFound, match="no version 7 of flow 'menu'"):
        await store.get("menu", 7)
    with pytest.raises(FlowNotFound, match="no flow 'nope'"):
        await store.history("nope")
    assert await store.count() == 2
