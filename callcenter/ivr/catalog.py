"""The IVR flows in force, as stored versions: checked, stored and swapped in live.

Strategy: the database holds every version of every flow (`callcenter.db.flow_versions`);
the newest of each is active and is what `FlowLibrary` runs. A change (an upload, an
activation of an older version, an import of changed files) is checked first as the
whole set of flows the IVR would then run, exactly as `callcenter flows check` checks the
files (the same messages: `<flows_dir>/<flow>.yaml:<line>: node '<id>': ...`, sub-flows
that exist and do not loop, routes naming existing flows); a refused change stores
nothing and changes nothing. An accepted one is stored, then the checked set is swapped
into the library: the next call takes it, a call already in a flow finishes on the set it
started with. One lock orders the changes, so two uploads of different flows cannot each
swap in a set that lacks the other's. On a fresh database the files of `flows_dir` seed
version 1 of each flow; afterwards a file that differs from the active version is logged
as ignored (the admin page's import stores changed files as new versions).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog

from callcenter.db.flow_versions import FlowConflict, FlowNotFound, FlowVersions, StoredFlow
from callcenter.ivr.loader import (
    FLOW_SUFFIX,
    FlowLibrary,
    FlowLoadError,
    LocatedProblem,
    parse_flow_text,
)
from ivr_flows import FlowSet, flow_tree
from ivr_flows.nodes_logic import SubflowNode

log = structlog.get_logger(__name__)

__all__ = ["FlowCatalog", "FlowConflict", "FlowLoadError", "FlowNotFound", "Tree"]


@dataclass(frozen=True, slots=True)
class Tree:
    """A version drawn as `flows check` draws a valid flow, or why it cannot be."""

    lines: list[str]
    problems: list[LocatedProblem]


def draw_tree(version: StoredFlow, path: Path) -> Tree:
    """The tree of a stored version, drawn alone (its sub-flows are named, not drawn);
    a version today's checks refuse gets its problems instead, the file named `path`."""
    try:
        flow = parse_flow_text(version.flow, str(path), version.text)
    except FlowLoadError as error:
        return Tree([], list(error.problems))
    return Tree(flow_tree(flow), [])


def read_flow_files(directory: Path) -> dict[str, str]:
    """The text of every `*.yaml` flow file of `directory`, by flow name (unreadable files
    are left out and logged)."""
    texts = {}
    for path in sorted(directory.glob(f"*{FLOW_SUFFIX}")):
        try:
            texts[path.stem] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            log.error("ivr.flow_file_unreadable", file=str(path), error=str(error))
    return texts


class FlowCatalog:
    """The stored flows and the library that runs them; every change goes through here."""

    def __init__(self, library: FlowLibrary, store: FlowVersions) -> None:
        """Runs the active versions of `store` in `library` once `start` has run."""
        self.library = library
        self.store = store
        self._lock = asyncio.Lock()
        self.named_by: dict[str, list[str]] = {}
        """Flow -> the settings outside `ivr` that name it (`telephony.followup_flow`)."""
        self.on_change: list[Callable[[], None]] = []
        """Told after new versions were stored and put in force (a cluster's leader tells
        its standbys, which run the IVR too)."""

    @property
    def flows_dir(self) -> Path:
        """The folder of the flow files (the seed, and where messages place a flow)."""
        return self.library.settings.flows_dir

    async def start(self) -> dict[str, StoredFlow]:
        """Seed the store from the files on a fresh database, then run the active versions.

        FlowLoadError when the files of a fresh database, or the stored versions, do not
        pass the checks (the service must not start on them; nothing is seeded then); the
        file differences are logged, never mixed in.
        """
        files = read_flow_files(self.flows_dir)
        async with self._lock:
            if not await self.store.active():
                # A fresh database: the files are the seed, so they must pass first.
                self.library.check(files)
            active = await self.store.seed(files)
            texts = {name: version.text for name, version in active.items()}
            flows = self.library.check(texts)
            self.library.use(flows)
        for name, text in files.items():
            stored = active.get(name)
            if stored is None:
                log.warning(
                    "ivr.file_flow_not_stored",
                    flow=name,
                    file=str(self.flows_dir / f"{name}{FLOW_SUFFIX}"),
                    hint="the IVR runs the stored flows; import the file on the flows page",
                )
            elif stored.text != text:
                log.warning(
                    "ivr.file_flow_ignored",
                    flow=name,
                    version=stored.version,
                    hint="the file differs from the active stored version, which the IVR "
                    "runs; import the file on the flows page to store it as a new version",
                )
        log.info(
            "ivr.flows_in_force",
            flows={name: version.version for name, version in active.items()},
        )
        return active

    async def upload(
        self,
        name: str,
        text: str,
        author: str,
        comment: str = "",
        *,
        base_version: int | None = None,
    ) -> StoredFlow:
        """Check `text` as flow `name` with the other active flows, store it as the flow's
        next version and run it. FlowLoadError (nothing stored, nothing changed),
        FlowConflict when `base_version` is no longer the active one (0: a new flow), and
        ValueError for a bad name, author or comment. A text equal to the active one
        stores nothing and returns the active version."""
        bases = None if base_version is None else {name: base_version}
        stored = await self._change({name: text}, author, comment, bases)
        return stored[0] if stored else await self.store.get(name)

    async def activate(self, name: str, version: int, author: str, comment: str = "") -> StoredFlow:
        """Run version `version` of flow `name` again (stored as a new version). The old
        text is checked with today's other flows: FlowLoadError if it no longer passes."""
        old = await self.store.get(name, version)
        note = f"rollback to version {version}" + (f": {comment}" if comment else "")
        stored = await self._change({name: old.text}, author, note, None)
        return stored[0] if stored else await self.store.get(name)

    async def import_files(self, author: str) -> list[StoredFlow]:
        """Store every file of `flows_dir` that differs from its flow's active version (or
        names a new flow) as a new version, checked together; the versions stored."""
        files = read_flow_files(self.flows_dir)
        return await self.import_texts(files, author, f"imported from {self.flows_dir}")

    async def import_texts(
        self,
        texts: Mapping[str, str],
        author: str,
        comment: str,
        files: Mapping[str, str] | None = None,
    ) -> list[StoredFlow]:
        """Store each flow of `texts` that differs from its active version (or is new) as
        a new version, checked with the other active flows, all or nothing; the versions
        stored. `files` names the file each text came from, for the messages."""
        active = await self.store.active()
        changed = {
            name: text
            for name, text in texts.items()
            if name not in active or active[name].text != text
        }
        if not changed:
            return []
        return await self._change(changed, author, comment, None, files)

    async def tree(self, version: StoredFlow) -> Tree:
        """The tree of a stored version, drawn alone (its sub-flows are named, not drawn)."""
        return draw_tree(version, self.flows_dir / f"{version.flow}{FLOW_SUFFIX}")

    def users_of(self, name: str) -> list[str]:
        """Who names flow `name`: the routes (`ivr.default_flow`, dialled numbers,
        scripts) and the other flows' sub-flow nodes, in words."""
        settings = self.library.settings
        users = ["ivr.default_flow"] if settings.default_flow == name else []
        users += [f"dialled number {n}" for n, f in settings.dnis.items() if f == name]
        users += [f"ivr.scripts.{s}" for s, f in settings.scripts.items() if f == name]
        users += self.named_by.get(name, [])
        for flow in self.library.flows:
            users += [
                f"flow {flow.name!r} node {node_id!r}"
                for node_id, node in flow.nodes.items()
                if flow.name != name and isinstance(node, SubflowNode) and node.flow == name
            ]
        return users

    async def _change(
        self,
        texts: Mapping[str, str],
        author: str,
        comment: str,
        bases: Mapping[str, int] | None,
        files: Mapping[str, str] | None = None,
    ) -> list[StoredFlow]:
        async with self._lock:
            active = await self.store.active()
            if bases is not None:
                for name, base in bases.items():
                    latest = active[name].version if name in active else 0
                    if base != latest:
                        raise FlowConflict(
                            f"flow {name!r}: version {latest} is active now, not version "
                            f"{base}: someone else changed the flow; look at their change "
                            "and try again"
                        )
            merged = {name: version.text for name, version in active.items()}
            merged.update(texts)
            flows: FlowSet = self.library.check(merged, files)
            stored = await self.store.save(texts, author, comment, base_versions=bases)
            self.library.use(flows)
        if stored:
            for hook in list(self.on_change):
                hook()
        for version in stored:
            log.info(
                "ivr.flow_version_active",
                flow=version.flow,
                version=version.version,
                by=author,
                summary=version.summary,
            )
        return stored
