"""The configuration that is data, versioned: the center's document
(`callcenter.app.center_config.CenterConfig`: the ACD's queues, agents, skills, pause
reasons and routing knobs, and the dialled numbers, calendars, dispositions, ticket
categories, supervisors' queues and alert thresholds).

Strategy: every change is a new row of `config_versions` holding the whole document (the
validated settings dumped as JSON, defaults included, so a default that moves in a later
release does not move a running center) and the diff against the version before it.
History is never rewritten: a rollback stores a new version equal to an older one.
A document is validated with the very models the settings file is read with, and every
problem is named by its key path (`queues[1].ring_timeout_seconds: ...`); nothing is
stored unless the whole document is valid. `save` and `rollback` take an `apply` step run
inside the storing transaction, after the new row is written and before it is committed:
the live center applies the change there, and a change it refuses leaves no version
behind. The version number is the row's key, so two changes saved at the same moment
cannot both become version N (the second is refused with `ConfigConflict`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from acd import AcdSettings
from callcenter.app.center_config import CenterConfig, missing_sections
from callcenter.db.models import ConfigVersion

SEED_AUTHOR = "seed"
"""The author of version 1, stored from the settings file on a fresh database."""

MAX_AUTHOR = 64
MAX_COMMENT = 2_000
SUMMARY_CHANGES = 3
"""Changes named in a one-line summary before "and N more"."""

Loc = tuple[int | str, ...]


def key_path(loc: Loc, prefix: str = "") -> str:
    """`("queues", 1, "ring_timeout_seconds")` as `queues[1].ring_timeout_seconds`; with
    `prefix` (`acd`) in front. The document itself (a problem of the whole) is the prefix,
    or `(document)` without one."""
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One reason a document is refused: where (its key path) and what is wrong."""

    loc: Loc
    message: str

    @property
    def key(self) -> str:
        """The key path in the document, e.g. `queues[1].ring_timeout_seconds`."""
        return key_path(self.loc)

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class ConfigInvalid(ValueError):
    """A document the models refuse; `problems` names every bad key (nothing was stored)."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        """One line per problem in the message."""
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class VersionNotFound(LookupError):
    """No configuration version has the number asked for."""


class ConfigConflict(Exception):
    """The change was based on a version that is no longer current (someone else stored
    one meanwhile); nothing was stored."""


def validate_document(document: Any) -> CenterConfig:
    """The configuration `document` describes; `ConfigInvalid` naming every bad key."""
    if not isinstance(document, Mapping):
        raise ConfigInvalid([ConfigProblem((), "the configuration must be a mapping")])
    try:
        return CenterConfig.model_validate(dict(document))
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            message = str(err["msg"]).removeprefix("Value error, ")
            value = err.get("input")
            if value is not None and not isinstance(value, dict | list | tuple):
                message += f" (got {value!r})"
            problems.append(_located(tuple(err["loc"]), message))
        raise ConfigInvalid(problems) from None


_KEYED_MESSAGE = re.compile(r"(?P<key>[a-z_]+(?:\.[A-Za-z0-9_-]+)*): (?P<message>.+)", re.DOTALL)


def _located(loc: Loc, message: str) -> ConfigProblem:
    # A check of the whole document (a queue named in `supervisors` that does not exist)
    # names its key at the start of the message: the problem is put there, so a form can
    # show it next to the field.
    match = _KEYED_MESSAGE.fullmatch(message) if not loc else None
    if match is None or match["key"].split(".")[0] not in CenterConfig.model_fields:
        return ConfigProblem(loc, message)
    return ConfigProblem(tuple(match["key"].split(".")), match["message"])


def validate_acd(document: Any) -> AcdSettings:
    """The ACD's part of the configuration `document` describes (`validate_document`)."""
    return validate_document(document).acd


def as_document(settings: CenterConfig | AcdSettings) -> dict[str, Any]:
    """The stored form of `settings`: plain JSON, every key present (defaults included).
    ACD settings alone get the center's other sections at their defaults."""
    center = (
        settings
        if isinstance(settings, CenterConfig)
        else CenterConfig.model_validate(settings.model_dump())
    )
    document: dict[str, Any] = center.model_dump(mode="json")
    return document


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two documents, at a readable key path (list entries that
    have an `id` or a `name` are named by it: `queues[billing].wrap_up_seconds`)."""

    op: Literal["added", "removed", "changed"]
    path: str
    old: Any = None
    new: Any = None

    def __str__(self) -> str:
        if self.op == "changed":
            return f"{self.path}: {_shown(self.old)} -> {_shown(self.new)}"
        # A plain value added or removed (a dialled number's flow) is worth naming; a
        # whole queue or agent is named by its path.
        value = self.new if self.op == "added" else self.old
        if isinstance(value, str | int | float | bool):
            return f"{self.path} {self.op}: {_shown(value)}"
        return f"{self.path} {self.op}"

    def as_json(self) -> dict[str, Any]:
        """The stored form."""
        return {"op": self.op, "path": self.path, "old": self.old, "new": self.new}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        """Read a stored change back."""
        return cls(data["op"], data["path"], data.get("old"), data.get("new"))


def _shown(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, separators=(", ", ": "))


def _plain(value: Any) -> Any:
    # 25.0 reads as 25: the models store every duration as a float.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _entry_key(item: Any) -> str | None:
    if isinstance(item, Mapping):
        for field in ("id", "name"):
            if isinstance(item.get(field), str):
                return str(item[field])
    return None


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    """A list of mappings each named by a distinct `name`/`id` (or an empty list), by
    that name; else None."""
    keys = [_entry_key(item) for item in items]
    if None in keys or len(set(keys)) != len(keys):
        return None
    return {str(key): item for key, item in zip(keys, items, strict=True)}


def _distinct_values(items: list[Any]) -> bool:
    return all(isinstance(item, str | int | float) for item in items) and len(set(items)) == len(
        items
    )


def diff_documents(old: Any, new: Any, path: str = "") -> list[Change]:
    """What changed from `old` to `new`, key by key, in document order."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return _diff_entries(
            {str(k): v for k, v in old.items()},
            {str(k): v for k, v in new.items()},
            lambda key: f"{path}.{key}" if path else key,
        )
    if isinstance(old, list) and isinstance(new, list) and old != new:
        old_named, new_named = _keyed(old), _keyed(new)
        if old_named is not None and new_named is not None:
            return _diff_entries(old_named, new_named, lambda name: f"{path}[{name}]")
        if _distinct_values(old) and _distinct_values(new) and set(old) != set(new):
            # A list of names (dispositions, holidays, a queue's agents): what came and
            # went reads better than the whole list twice.
            return [Change("removed", path, old=item) for item in old if item not in new] + [
                Change("added", path, new=item) for item in new if item not in old
            ]
        if old and new and all(isinstance(item, Mapping) for item in [*old, *new]):
            return _diff_entries(
                {str(i): v for i, v in enumerate(old)},
                {str(i): v for i, v in enumerate(new)},
                lambda index: f"{path}[{index}]",
            )
    if old != new:
        return [Change("changed", path, old, new)]
    return []


def _diff_entries(
    old: dict[str, Any], new: dict[str, Any], where: Callable[[str], str]
) -> list[Change]:
    changes: list[Change] = []
    for key in [*old, *(k for k in new if k not in old)]:
        if key not in new:
            changes.append(Change("removed", where(key), old=old[key]))
        elif key not in old:
            changes.append(Change("added", where(key), new=new[key]))
        else:
            changes += diff_documents(old[key], new[key], where(key))
    return changes


def summarize(changes: list[Change], *, first: bool = False) -> str:
    """A one-line account of `changes`: the first few, and how many more."""
    if first:
        return "first version"
    if not changes:
        return "no change"
    shown = "; ".join(str(change) for change in changes[:SUMMARY_CHANGES])
    more = len(changes) - SUMMARY_CHANGES
    return f"{shown}; and {more} more" if more > 0 else shown


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One stored version of the configuration."""

    version: int
    created_at: datetime
    author: str
    comment: str
    document: dict[str, Any]
    changes: list[Change]
    """What changed against the version before it (empty for version 1)."""

    @property
    def settings(self) -> AcdSettings:
        """The ACD's part of the document (validated again: it was valid when stored)."""
        return validate_acd(self.document)

    @property
    def center(self) -> CenterConfig:
        """The whole document as the center's configuration."""
        return validate_document(self.document)

    @property
    def summary(self) -> str:
        """The diff against the version before, in one line."""
        return summarize(self.changes, first=self.version == 1)


Apply = Callable[[StoredVersion], Awaitable[None]]
"""A step run after the new version is written, before it is committed; raising undoes it."""


def _stored(row: ConfigVersion) -> StoredVersion:
    return StoredVersion(
        version=row.id,
        created_at=row.created_at,
        author=row.author,
        comment=row.comment,
        document=row.document,
        changes=[Change.from_json(item) for item in row.diff],
    )


def _check_author(author: str, comment: str) -> None:
    if not author or len(author) > MAX_AUTHOR:
        raise ValueError(f"an author is 1-{MAX_AUTHOR} characters")
    if len(comment) > MAX_COMMENT:
        raise ValueError(f"a comment is at most {MAX_COMMENT} characters")


class ConfigVersions:
    """Stores, lists, compares and rolls back versions of the configuration."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Reads and writes through `sessions`."""
        self._sessions = sessions

    async def current(self) -> StoredVersion | None:
        """The newest version; None before the first is stored."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(ConfigVersion).order_by(ConfigVersion.id.desc()).limit(1)
            )
            return None if row is None else _stored(row)

    async def get(self, version: int) -> StoredVersion:
        """Version `version`; `VersionNotFound` if there is none."""
        async with self._sessions() as session:
            row = await session.get(ConfigVersion, version)
            if row is None:
                raise VersionNotFound(f"no configuration version {version}")
            return _stored(row)

    async def diff(self, old: int, new: int) -> list[Change]:
        """What changed from version `old` to version `new` (either may be the older)."""
        before, after = await self.get(old), await self.get(new)
        return diff_documents(before.document, after.document)

    async def seed(self, settings: CenterConfig | AcdSettings) -> StoredVersion:
        """The current version; on a database that holds none, `settings` stored first as
        version 1 by `seed` (the settings file's sections on a fresh database)."""
        current = await self.current()
        if current is not None:
            return current
        try:
            return await self._store(as_document(settings), SEED_AUTHOR, "from the settings file")
        except ConfigConflict:
            # Another process seeded the same moment: its version 1 is the one.
            return await self.get(1)

    async def save(
        self,
        document: Any,
        author: str,
        comment: str = "",
        *,
        base_version: int | None = None,
        apply: Apply | None = None,
    ) -> StoredVersion:
        """Validate `document` and store it as the next version; the version stored.

        `ConfigInvalid` names every bad key and stores nothing. A document equal to the
        current one stores nothing and returns the current version. A center section the
        document leaves out (`CENTER_KEYS`: a client or file that knows only the ACD's
        keys) keeps its value in the current version. With `base_version`,
        the change is refused (`ConfigConflict`) unless that version is still current.
        `apply` runs before the commit; if it raises, nothing is stored and it propagates.
        """
        _check_author(author, comment)
        settings = validate_document(await self._completed(document))
        return await self._store(
            as_document(settings), author, comment, base_version=base_version, apply=apply
        )

    async def rollback(
        self, to_version: int, author: str, comment: str = "", *, apply: Apply | None = None
    ) -> StoredVersion:
        """Store a new version equal to version `to_version` (history is kept whole).

        The old document is validated again with today's models (`ConfigInvalid` if it no
        longer passes). `apply` as for `save`.
        """
        old = await self.get(to_version)
        note = f"rollback to version {to_version}" + (f": {comment}" if comment else "")
        _check_author(author, note)
        settings = validate_document(await self._completed(old.document))
        return await self._store(as_document(settings), author, note, apply=apply)

    async def _completed(self, document: Any) -> Any:
        """`document` with the center sections it lacks taken from the current version."""
        if not isinstance(document, Mapping):
            return document
        missing = missing_sections(document)
        current = await self.current() if missing else None
        if current is None:
            return document
        kept = {key: current.document[key] for key in missing if key in current.document}
        return {**kept, **document}

    async def _store(
        self,
        document: dict[str, Any],
        author: str,
        comment: str,
        *,
        base_version: int | None = None,
        apply: Apply | None = None,
    ) -> StoredVersion:
        async with self._sessions() as session:
            try:
                async with session.begin():
                    previous = await session.scalar(
                        select(ConfigVersion).order_by(ConfigVersion.id.desc()).limit(1)
                    )
                    latest = 0 if previous is None else previous.id
                    if base_version is not None and base_version != latest:
                        raise ConfigConflict(
                            f"version {latest} is current now, not version {base_version}: "
                            "someone else changed the configuration; look at their change "
                            "and try again"
                        )
                    if previous is not None and previous.document == document:
                        return _stored(previous)
                    changes = (
                        [] if previous is None else diff_documents(previous.document, document)
                    )
                    row = ConfigVersion(
                        id=latest + 1,
                        created_at=datetime.now(UTC),
                        author=author,
                        comment=comment,
                        document=document,
                        diff=[change.as_json() for change in changes],
                    )
                    session.add(row)
                    await session.flush()
                    stored = _stored(row)
                    if apply is not None:
                        await apply(stored)
            except IntegrityError:
                raise ConfigConflict(
                    "another change was stored at the same moment; look at it and try again"
                ) from None
        return stored

    async def count(self) -> int:
        """How many versions are stored."""
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count(ConfigVersion.id))) or 0)

    # Kept last: inside the class body, the name `list` hides the builtin below it.
    async def list(self, limit: int = 50) -> list[StoredVersion]:
        """The newest `limit` versions, newest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ConfigVersion).order_by(ConfigVersion.id.desc()).limit(limit)
            )
            return [_stored(row) for row in rows]
