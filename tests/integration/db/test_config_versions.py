"""The ACD configuration as versioned data, on SQLite and PostgreSQL (issue 16)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd import AcdSettings, AgentSettings, QueueSettings
from callcenter.db import ConfigConflict, ConfigInvalid, ConfigVersions, VersionNotFound

SEED = AcdSettings(
    queues=(
        QueueSettings(name="general", ring_timeout_seconds=15),
        QueueSettings(name="billing", skills={"billing": 2}),
    ),
    agents=(AgentSettings(id="agent1", name="Anna Berg", queues=("general", "billing")),),
)


@pytest.fixture
async def store(sessions: async_sessionmaker[AsyncSession]) -> ConfigVersions:
    versions = ConfigVersions(sessions)
    await versions.seed(SEED)
    return versions


async def _document(store: ConfigVersions) -> dict[str, Any]:
    current = await store.current()
    assert current is not None
    return copy.deepcopy(current.document)


async def test_given_a_fresh_database_when_seeded_then_version_1_is_the_files_section_by_seed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    versions = ConfigVersions(sessions)
    assert await versions.current() is None
    first = await versions.seed(SEED)
    assert (first.version, first.author, first.summary) == (1, "seed", "first version")
    assert first.settings == SEED
    # A second start finds version 1 and stores nothing more, even from other settings.
    other = SEED.model_copy(update={"pause_reasons": ("lunch",)})
    again = await versions.seed(other)
    assert again.version == 1
    assert again.settings == SEED
    assert await versions.count() == 1


async def test_given_a_changed_ring_timeout_when_saved_then_a_new_version_names_author_and_diff(
    store: ConfigVersions,
) -> None:
    document = await _document(store)
    document["queues"][1]["ring_timeout_seconds"] = 25
    saved = await store.save(document, "admin", "billing rings longer")
    assert saved.version == 2
    assert (saved.author, saved.comment) == ("admin", "billing rings longer")
    assert saved.summary == "queues[billing].ring_timeout_seconds: 15 -> 25"
    current = await store.current()
    assert current is not None
    assert current.version == 2
    assert current.settings.queues[1].ring_timeout_seconds == 25
    listed = await store.list()
    assert [(v.version, v.author) for v in listed] == [(2, "admin"), (1, "seed")]


async def test_given_bad_values_when_saved_then_every_bad_key_is_named_and_nothing_is_stored(
    store: ConfigVersions,
) -> None:
    document = await _document(store)
    document["queues"][1]["ring_timeout_seconds"] = 0
    document["agents"][0]["skills"] = {"billing": 9}
    document["agents"][0]["queues"] = ["general", "sales"]
    with pytest.raises(ConfigInvalid) as refused:
        await store.save(document, "admin")
    keys = [problem.key for problem in refused.value.problems]
    assert "queues[1].ring_timeout_seconds" in keys
    assert "agents[0].skills.billing" in keys
    assert "queues[1].ring_timeout_seconds: Input should be greater than 0 (got 0)" in str(
        refused.value
    )
    assert await store.count() == 1


async def test_given_an_unknown_queue_reference_when_saved_then_the_problem_says_which(
    store: ConfigVersions,
) -> None:
    document = await _document(store)
    document["agents"][0]["queues"] = ["general", "sales"]
    document["colour"] = "blue"
    with pytest.raises(ConfigInvalid) as refused:
        await store.save(document, "admin")
    text = str(refused.value)
    assert "colour: Extra inputs are not permitted" in text
    assert await store.count() == 1


async def test_given_an_unchanged_document_when_saved_then_no_version_is_added(
    store: ConfigVersions,
) -> None:
    same = await store.save(await _document(store), "admin", "nothing really")
    assert same.version == 1
    assert await store.count() == 1


async def test_given_added_and_removed_entries_when_diffed_then_they_are_named_by_their_name(
    store: ConfigVersions,
) -> None:
    document = await _document(store)
    document["queues"].append({"name": "sales"})
    document["agents"] = []
    document["pause_reasons"] = ["lunch"]
    await store.save(document, "admin")
    changes = [str(change) for change in await store.diff(1, 2)]
    assert changes == [
        "queues[sales] added",
        "agents[agent1] removed",
        'pause_reasons removed: "break"',
        'pause_reasons removed: "training"',
        'pause_reasons removed: "meeting"',
        'pause_reasons removed: "other"',
    ]
    back = [str(change) for change in await store.diff(2, 1)]
    assert "queues[sales] removed" in back
    assert "agents[agent1] added" in back


async def test_given_three_versions_when_rolled_back_to_1_then_a_new_version_equals_version_1(
    store: ConfigVersions,
) -> None:
    document = await _document(store)
    document["queues"][0]["wrap_up_seconds"] = 45
    await store.save(document, "admin")
    document["queues"][0]["strategy"] = "fewest_calls"
    await store.save(document, "admin")
    rolled = await store.rollback(1, "sup-admin", "too busy")
    assert rolled.version == 4
    assert rolled.document == (await store.get(1)).document
    assert rolled.comment == "rollback to version 1: too busy"
    assert {str(c) for c in rolled.changes} == {
        "queues[general].wrap_up_seconds: 45 -> 10",
        'queues[general].strategy: "fewest_calls" -> "longest_idle"',
    }
    # History is kept whole: versions 2 and 3 are still there as they were.
    assert [v.version for v in await store.list()] == [4, 3, 2, 1]
    assert (await store.get(3)).settings.queues[0].strategy == "fewest_calls"


async def test_given_an_unknown_version_when_asked_then_it_is_not_found(
    store: ConfigVersions,
) -> None:
    with pytest.raises(VersionNotFound, match="no configuration version 9"):
        await store.get(9)
    with pytest.raises(VersionNotFound):
        await store.rollback(9, "admin")


async def test_given_a_change_based_on_an_old_version_when_saved_then_it_is_refused(
    store: ConfigVersions,
) -> None:
    document = await _document(store)
    document["queues"][0]["wrap_up_seconds"] = 45
    await store.save(document, "admin", base_version=1)
    document["queues"][0]["wrap_up_seconds"] = 50
    with pytest.raises(ConfigConflict, match="version 2 is current now, not version 1"):
        await store.save(document, "other-admin", base_version=1)
    assert await store.count() == 2


async def test_given_an_apply_step_that_refuses_when_saved_then_no_version_is_left(
    store: ConfigVersions,
) -> None:
    document = await _document(store)
    document["queues"][0]["wrap_up_seconds"] = 45
    seen: list[int] = []

    async def refuse(version: Any) -> None:
        seen.append(version.version)
        raise RuntimeError("the center cannot take this now")

    with pytest.raises(RuntimeError, match="cannot take this"):
        await store.save(document, "admin", apply=refuse)
    assert seen == [2]
    assert await store.count() == 1

    async def accept(version: Any) -> None:
        seen.append(version.version)

    saved = await store.save(document, "admin", apply=accept)
    assert (saved.version, seen) == (2, [2, 2])
