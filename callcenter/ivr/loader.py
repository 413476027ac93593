"""Reading IVR flows from disk, with errors that name the file, the line and the node.

Strategy: the pure core (`ivr_flows`) validates data and names the node and key of each
problem; this shell reads the files, finds the line of each problem in the YAML, and
refuses the lot if any flow is broken, so a service never starts on a broken flow. YAML
itself forgives a repeated key (the later one silently wins, which would drop a node), so
repeated keys are refused here. `FlowLibrary` holds the flows a running service uses;
`reload()` swaps in a new set only when all of it is valid and keeps the old flows
otherwise. Messages look like::

    ivr_flows/flows/main_hotline.yaml:142: node 'main_menu': choices.4: 'complaint' is not
    a node of this flow
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
import yaml

from callcenter.app.settings import IVRSettings
from ivr_flows import Flow, FlowError, FlowProblem, FlowSet, parse_flow
from ivr_flows.nodes_logic import SubflowNode

log = structlog.get_logger(__name__)

FLOW_SUFFIX = ".yaml"

# libyaml reads a flow file some twenty times faster than pure Python, where it is built in.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class LocatedProblem:
    """One problem as `flows check` prints it (`text`), and its parts for a form: the
    flow, the 1-based line (None where no line applies), the node and the problem alone."""

    text: str
    flow: str | None = None
    line: int | None = None
    node: str | None = None
    problem: str = ""
    key: str = ""
    """Where in the flow, after the node: `choices.4` (or from the top: `start`)."""

    def __str__(self) -> str:
        return self.text


class FlowLoadError(Exception):
    """Flows could not be loaded; `messages` has one line per problem, file and line first,
    `problems` the same with the flow, line and node apart."""

    def __init__(
        self, messages: Sequence[str], problems: Sequence[LocatedProblem] | None = None
    ) -> None:
        self.problems = (
            tuple(problems)
            if problems is not None
            else tuple(LocatedProblem(m, problem=m) for m in messages)
        )
        self.messages = tuple(p.text for p in self.problems)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True, slots=True)
class _Source:
    label: str
    """How messages name the flow's file: its path, or where it would be (a stored flow)."""
    root: yaml.Node | None
    path: Path | None = None


def load_flow_files(paths: Sequence[Path], *, with_siblings: bool = True) -> FlowSet:
    """Load these flow files as one set; FlowLoadError lists every problem in all of them.

    With `with_siblings`, a sub-flow none of the files defines is looked for beside the file
    that calls it (`<dir>/<flow>.yaml`), so one flow can be checked on its own.
    """
    loading = _Loading()
    todo = list(paths)
    while todo:
        for path in todo:
            loading.add_file(path)
        todo = _missing_siblings(loading.flows.values(), loading.sources) if with_siblings else []
    return loading.finish()


def load_flow_texts(texts: Mapping[str, str], labels: Mapping[str, str]) -> FlowSet:
    """Load flows given as text by name (stored versions) as one set, checked exactly as
    files are; each message names the flow by `labels[name]` (the file it would be)."""
    loading = _Loading()
    for name, text in texts.items():
        loading.add_text(name, labels.get(name, f"{name}{FLOW_SUFFIX}"), text)
    return loading.finish()


def parse_flow_text(name: str, label: str, text: str) -> Flow:
    """One flow's text checked alone (its sub-flows are not looked for); FlowLoadError
    with the messages `flows check` prints, the file named `label`."""
    _, flow, problems = _parse(name, label, text, None)
    if flow is None:
        raise FlowLoadError([], problems)
    return flow


class _Loading:
    """Flows read so far, their YAML trees and their problems; `finish` checks the set."""

    def __init__(self) -> None:
        self.sources: dict[str, _Source] = {}
        self.flows: dict[str, Flow] = {}
        self.problems: list[LocatedProblem] = []

    def add_file(self, path: Path) -> None:
        if path.stem in self.sources:
            text = f"{path}: a second flow named {path.stem!r}"
            self.problems.append(LocatedProblem(text, path.stem, problem=text))
            return
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problem = f"cannot read the flow file: {error}"
            self.sources[path.stem] = _Source(str(path), None, path)
            self.problems.append(LocatedProblem(f"{path}: {problem}", path.stem, problem=problem))
            return
        self.add_text(path.stem, str(path), content, path)

    def add_text(self, name: str, label: str, text: str, path: Path | None = None) -> None:
        root, flow, problems = _parse(name, label, text, path)
        self.sources[name] = _Source(label, root, path)
        self.problems += problems
        if flow is not None:
            self.flows[name] = flow

    def finish(self) -> FlowSet:
        # Flows that call a broken one are not checked together: its file already says why.
        broken = self.sources.keys() - self.flows
        checkable = [flow for flow in self.flows.values() if not _calls_any(flow, broken)]
        flow_set: FlowSet | None = None
        try:
            flow_set = FlowSet(checkable)
        except FlowError as error:
            self.problems += _located(error.problems, self.sources)
        if self.problems or flow_set is None:
            raise FlowLoadError([], self.problems)
        return flow_set


def load_flow_dir(directory: Path) -> FlowSet:
    """Load every `*.yaml` flow of `directory` (sub-flows only from there)."""
    paths = sorted(directory.glob(f"*{FLOW_SUFFIX}"))
    if not paths:
        raise FlowLoadError([f"{directory}: no flow files (*{FLOW_SUFFIX})"])
    return load_flow_files(paths, with_siblings=False)


def check_routes(settings: IVRSettings, flows: FlowSet) -> list[str]:
    """The `ivr` settings that name a flow that is not in `flows`, one message each."""
    return [problem.text for problem in route_problems(settings, flows)]


def route_problems(settings: IVRSettings, flows: FlowSet) -> list[LocatedProblem]:
    """`check_routes` with the flow each route names apart."""
    routes = [("ivr.default_flow", settings.default_flow)]
    routes += [(f"ivr.dnis.{number}", flow) for number, flow in settings.dnis.items()]
    routes += [(f"ivr.scripts.{script}", flow) for script, flow in settings.scripts.items()]
    known = ", ".join(flows.names)
    problems = []
    for key, flow in routes:
        if flow not in flows:
            problem = f"no flow {flow!r} in {settings.flows_dir} (flows: {known})"
            problems.append(LocatedProblem(f"{key}: {problem}", flow, problem=f"{key}: {problem}"))
    return problems


class FlowLibrary:
    """The flows a running service uses, and which one answers a call.

    Built from the `ivr` settings (the files of `flows_dir`, or `flows` given); raises
    FlowLoadError when any flow is broken or a route names a missing flow. `reload()`
    keeps the current flows when the new ones are broken; `use()` swaps in a set checked
    by `check()` (stored versions). A call holds the set it started with to its end.
    """

    def __init__(self, settings: IVRSettings, flows: FlowSet | None = None) -> None:
        self.settings = settings
        self.timezone = ZoneInfo(settings.timezone)
        """The service's zone, for calendars that name none."""
        self._flows = self._load() if flows is None else flows

    @property
    def flows(self) -> FlowSet:
        """The current flows (a new object after each successful reload)."""
        return self._flows

    def reload(self) -> list[str]:
        """Load the flows again; [] when they replaced the old ones, else the problems."""
        try:
            self._flows = self._load()
        except FlowLoadError as error:
            log.error("ivr.flows_reload_failed", problems=list(error.messages))
            return list(error.messages)
        log.info("ivr.flows_reloaded", flows=list(self._flows.names))
        return []

    def check(self, texts: Mapping[str, str], files: Mapping[str, str] | None = None) -> FlowSet:
        """The flows `texts` (every flow, by name) as one set, checked exactly as `flows
        check` checks the files of `flows_dir` (messages name `<flows_dir>/<name>.yaml`,
        or the file `files` names for a flow), routes included; FlowLoadError lists every
        problem."""
        folder = self.settings.flows_dir
        labels = {name: str(folder / f"{name}{FLOW_SUFFIX}") for name in texts}
        labels.update(files or {})
        flows = load_flow_texts(texts, labels)
        problems = route_problems(self.settings, flows)
        if problems:
            raise FlowLoadError([], problems)
        return flows

    def use(self, flows: FlowSet) -> None:
        """Run `flows` from now on: each new call takes them; a call in a flow keeps the
        set it started with (its interpreter holds it)."""
        self._flows = flows

    def flow_for(self, *, script: str, dnis: str | None) -> str:
        """The flow for a call: by FastAGI script, else by dialled number, else the default."""
        by_script = self.settings.scripts.get(script)
        if by_script is not None:
            return by_script
        if dnis is not None and dnis in self.settings.dnis:
            return self.settings.dnis[dnis]
        return self.settings.default_flow

    def _load(self) -> FlowSet:
        flows = load_flow_dir(self.settings.flows_dir)
        problems = check_routes(self.settings, flows)
        if problems:
            raise FlowLoadError(problems)
        return flows


def _parse(
    name: str, label: str, text: str, path: Path | None
) -> tuple[yaml.Node | None, Flow | None, list[LocatedProblem]]:
    """Compose and validate one flow's text: (YAML tree, flow, problems)."""
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506  (a safe loader, C or Python)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{label}:{mark.line + 1}:{mark.column + 1}" if mark else label
        problem = f"not valid YAML: {getattr(error, 'problem', None) or error}"
        line = mark.line + 1 if mark else None
        return None, None, [LocatedProblem(f"{where}: {problem}", name, line, problem=problem)]
    repeated = [
        LocatedProblem(f"{label}:{line}: {message}", name, line, problem=message)
        for line, message in _repeated_keys(root)
    ]
    if repeated:
        return root, None, repeated
    try:
        return root, parse_flow(data, name), []
    except FlowError as error:
        return root, None, _located(error.problems, {name: _Source(label, root, path)})


def _located(problems: Iterable[FlowProblem], sources: dict[str, _Source]) -> list[LocatedProblem]:
    located = []
    for problem in problems:
        source = sources.get(problem.flow)
        inner = problem.loc[2:] if problem.node is not None else problem.loc
        key = ".".join(str(part) for part in inner)
        line = None if source is None else _line_of(source.root, problem.loc)
        where = f"flow {problem.flow!r}" if source is None else f"{source.label}:{line}"
        text = f"{where}: {problem.describe()}"
        located.append(LocatedProblem(text, problem.flow, line, problem.node, problem.message, key))
    return located


def _calls_any(flow: Flow, names: Iterable[str]) -> bool:
    wanted = set(names)
    return any(isinstance(n, SubflowNode) and n.flow in wanted for n in flow.nodes.values())


def _missing_siblings(flows: Iterable[Flow], sources: dict[str, _Source]) -> list[Path]:
    wanted = []
    for flow in flows:
        path = sources[flow.name].path
        if path is None:
            continue
        folder = path.parent
        for node in flow.nodes.values():
            if isinstance(node, SubflowNode) and node.flow not in sources:
                candidate = folder / f"{node.flow}{FLOW_SUFFIX}"
                if candidate.is_file() and candidate not in wanted:
                    wanted.append(candidate)
    return wanted


def _line_of(root: yaml.Node | None, loc: tuple[str | int, ...]) -> int:
    """The 1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    node = root
    line = 1 if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                return line
            key, node = match
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _repeated_keys(root: yaml.Node | None) -> list[tuple[int, str]]:
    """Keys that appear twice in one mapping: YAML would keep only the later one."""
    found = []
    todo = [root] if root is not None else []
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value in seen:
                    message = f"{key.value!r} appears twice; YAML would drop the first one"
                    found.append((key.start_mark.line + 1, message))
                seen.add(getattr(key, "value", ""))
                todo.append(value)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
    return sorted(found)
