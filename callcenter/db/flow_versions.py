"""The IVR flows as data, versioned: each upload of a flow's YAML text is a version.

Strategy: one row per version of one flow (`flow_versions`): the text exactly as
uploaded (comments and layout kept, so an export gives back what was written), its
author, time and comment, and a unified diff against the flow's version before. The
newest version of each flow is the active one, the one the IVR runs; activating an older
version ("rollback") stores a new version equal to it, so history is never rewritten.
This store does not judge a flow: the caller checks the whole set of flows first
(`callcenter.ivr.catalog`), and only then stores. Several flows changed together are
stored in one transaction (all or none). The (flow, version) pair is unique, so two
uploads of one flow at the same moment cannot both become version N
(`FlowConflict`).
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import FlowVersion as FlowVersionRow

SEED_AUTHOR = "seed"
"""The author of version 1 of each flow, stored from the flow files on a fresh database."""

MAX_AUTHOR = 64
MAX_COMMENT = 2_000
MAX_TEXT = 1_000_000
"""The longest flow text stored (characters): the shipped flows are a few kilobytes."""
FLOW_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
"""A flow's name: the stem of its file (`main_hotline` for `main_hotline.yaml`)."""


class FlowNotFound(LookupError):
    """No such flow, or no such version of it."""


class FlowConflict(Exception):
    """The upload was based on a version of the flow that is no longer active (someone
    else stored one meanwhile); nothing was stored."""


def check_flow_name(name: str) -> str:
    """`name` if it can name a flow (letters, digits, `_`, `-`; 64 at most), else
    ValueError saying so."""
    if not FLOW_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} cannot name a flow: use 1-64 letters, digits, '_' or '-' "
            "(the name of its file without .yaml)"
        )
    return name


def text_diff(flow: str, old: str, new: str, old_version: int, new_version: int) -> str:
    """The unified diff of a flow's text between two versions (empty when equal)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"{flow} version {old_version}",
        tofile=f"{flow} version {new_version}",
        n=2,
    )
    return "".join(line if line.endswith("\n") else f"{line}\n" for line in lines)


@dataclass(frozen=True, slots=True)
class StoredFlow:
    """One stored version of one flow."""

    flow: str
    version: int
    created_at: datetime
    author: str
    comment: str
    text: str
    diff: str
    """The unified diff against the version before (empty for version 1)."""

    @property
    def summary(self) -> str:
        """The diff in words: `first version`, `3 lines added, 1 removed`, `no change`."""
        if self.version == 1:
            return "first version"
        body = [line for line in self.diff.splitlines() if not line.startswith(("---", "+++"))]
        added = sum(1 for line in body if line.startswith("+"))
        removed = sum(1 for line in body if line.startswith("-"))
        if not added and not removed:
            return "no change"
        return f"{_lines(added)} added, {removed} removed"


def _lines(count: int) -> str:
    return f"{count} line{'s' if count != 1 else ''}"


def _stored(row: FlowVersionRow) -> StoredFlow:
    return StoredFlow(
        flow=row.flow,
        version=row.version,
        created_at=row.created_at,
        author=row.author,
        comment=row.comment,
        text=row.text,
        diff=row.diff,
    )


def _check_input(author: str, comment: str, texts: Mapping[str, str]) -> None:
    if not author or len(author) > MAX_AUTHOR:
        raise ValueError(f"an author is 1-{MAX_AUTHOR} characters")
    if len(comment) > MAX_COMMENT:
        raise ValueError(f"a comment is at most {MAX_COMMENT} characters")
    for name, text in texts.items():
        check_flow_name(name)
        if len(text) > MAX_TEXT:
            raise ValueError(f"flow {name!r}: a flow is at most {MAX_TEXT} characters")


class FlowVersions:
    """Stores, lists and rolls back versions of the IVR flows."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Reads and writes through `sessions`."""
        self._sessions = sessions

    async def active(self) -> dict[str, StoredFlow]:
        """The active (newest) version of every stored flow, by flow name, sorted."""
        async with self._sessions() as session:
            newest = (
                select(FlowVersionRow.flow, func.max(FlowVersionRow.version).label("version"))
                .group_by(FlowVersionRow.flow)
                .subquery()
            )
            rows = await session.scalars(
                select(FlowVersionRow)
                .join(
                    newest,
                    (FlowVersionRow.flow == newest.c.flow)
                    & (FlowVersionRow.version == newest.c.version),
                )
                .order_by(FlowVersionRow.flow)
            )
            return {row.flow: _stored(row) for row in rows}

    async def get(self, flow: str, version: int | None = None) -> StoredFlow:
        """Version `version` of `flow` (default: the active one); `FlowNotFound` if none."""
        async with self._sessions() as session:
            query = select(FlowVersionRow).where(FlowVersionRow.flow == flow)
            if version is not None:
                query = query.where(FlowVersionRow.version == version)
            row = await session.scalar(query.order_by(FlowVersionRow.version.desc()).limit(1))
            if row is None:
                what = f"no version {version} of flow {flow!r}" if version else f"no flow {flow!r}"
                raise FlowNotFound(what)
            return _stored(row)

    async def history(self, flow: str, limit: int = 50) -> list[StoredFlow]:
        """The newest `limit` versions of `flow`, newest first (`FlowNotFound` if none)."""
        async with self._sessions() as session:
            rows = list(
                await session.scalars(
                    select(FlowVersionRow)
                    .where(FlowVersionRow.flow == flow)
                    .order_by(FlowVersionRow.version.desc())
                    .limit(limit)
                )
            )
        if not rows:
            raise FlowNotFound(f"no flow {flow!r}")
        return [_stored(row) for row in rows]

    async def count(self) -> int:
        """How many versions are stored, of all flows."""
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count(FlowVersionRow.id))) or 0)

    async def seed(self, texts: Mapping[str, str]) -> dict[str, StoredFlow]:
        """The active versions; on a database that holds no flow, `texts` (the flow files)
        stored first as version 1 of each flow by `seed`."""
        if await self.count() == 0:
            # Another process seeding the same moment: its versions are the ones.
            with contextlib.suppress(FlowConflict):
                await self.save(texts, SEED_AUTHOR, "from the flow files")
        return await self.active()

    async def save(
        self,
        texts: Mapping[str, str],
        author: str,
        comment: str = "",
        *,
        base_versions: Mapping[str, int] | None = None,
    ) -> list[StoredFlow]:
        """Store each flow of `texts` (name -> YAML text) as its next version, all in one
        transaction; the versions stored, by name. A text equal to the flow's active one
        stores nothing for that flow. With `base_versions`, a flow whose active version is
        not the one named (0: the flow must not exist yet) refuses the lot
        (`FlowConflict`). ValueError for a bad name, author, comment or an oversized text.
        """
        _check_input(author, comment, texts)
        stored: list[StoredFlow] = []
        now = datetime.now(UTC)
        async with self._sessions() as session:
            try:
                async with session.begin():
                    for name in sorted(texts):
                        text = texts[name]
                        previous = await session.scalar(
                            select(FlowVersionRow)
                            .where(FlowVersionRow.flow == name)
                            .order_by(FlowVersionRow.version.desc())
                            .limit(1)
                        )
                        latest = 0 if previous is None else previous.version
                        base = None if base_versions is None else base_versions.get(name)
                        if base is not None and base != latest:
                            raise FlowConflict(
                                f"flow {name!r}: version {latest} is active now, not version "
                                f"{base}: someone else changed the flow; look at their change "
                                "and try again"
                            )
                        if previous is not None and previous.text == text:
                            continue
                        old = "" if previous is None else previous.text
                        row = FlowVersionRow(
                            flow=name,
                            version=latest + 1,
                            created_at=now,
                            author=author,
                            comment=comment,
                            text=text,
                            diff=""
                            if previous is None
                            else text_diff(name, old, text, latest, latest + 1),
                        )
                        session.add(row)
                        await session.flush()
                        stored.append(_stored(row))
            except IntegrityError:
                raise FlowConflict(
                    "another change of the flow was stored at the same moment; look at it "
                    "and try again"
                ) from None
        return stored

    async def activate(self, flow: str, version: int, author: str, comment: str = "") -> StoredFlow:
        """Make version `version` of `flow` the active one again: stored as a new version
        equal to it (history is kept whole). The active version itself is returned as is.
        The caller checks the old text against today's other flows first."""
        old = await self.get(flow, version)
        note = f"rollback to version {version}" + (f": {comment}" if comment else "")
        saved = await self.save({flow: old.text}, author, note)
        return saved[0] if saved else await self.get(flow)
