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

from collections.abc import Iterable, Sequence
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


class FlowLoadError(Exception):
    """Flows could not be loaded; `messages` has one line per problem, file and line first."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = tuple(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True, slots=True)
class _Source:
    path: Path
    root: yaml.Node | None


def load_flow_files(paths: Sequence[Path], *, with_siblings: bool = True) -> FlowSet:
    """Load these flow files as one set; FlowLoadError lists every problem in all of them.

    With `with_siblings`, a sub-flow none of the files defines is looked for beside the file
    that calls it (`<dir>/<flow>.yaml`), so one flow can be checked on its own.
    """
    sources: dict[str, _Source] = {}
    flows: dict[str, Flow] = {}
    messages: list[str] = []
    todo = list(paths)
    while todo:
        for path in todo:
            name = path.stem
            if name in sources:
                messages.append(f"{path}: a second flow named {name!r}")
                continue
            root, flow, problems = _read(path)
            sources[name] = _Source(path, root)
            messages += problems
            if flow is not None:
                flows[name] = flow
        todo = _missing_siblings(flows.values(), sources) if with_siblings else []
    # Flows that call a broken one are not checked together: its file already says why.
    checkable = [flow for flow in flows.values() if not _calls_any(flow, sources.keys() - flows)]
    flow_set: FlowSet | None = None
    try:
        flow_set = FlowSet(checkable)
    except FlowError as error:
        messages += _located(error.problems, sources)
    if messages or flow_set is None:
        raise FlowLoadError(messages)
    return flow_set


def load_flow_dir(directory: Path) -> FlowSet:
    """Load every `*.yaml` flow of `directory` (sub-flows only from there)."""
    paths = sorted(directory.glob(f"*{FLOW_SUFFIX}"))
    if not paths:
        raise FlowLoadError([f"{directory}: no flow files (*{FLOW_SUFFIX})"])
    return load_flow_files(paths, with_siblings=False)


def check_routes(settings: IVRSettings, flows: FlowSet) -> list[str]:
    """The `ivr` settings that name a flow that is not in `flows`, one message each."""
    routes = [("ivr.default_flow", settings.default_flow)]
    routes += [(f"ivr.dnis.{number}", flow) for number, flow in settings.dnis.items()]
    routes += [(f"ivr.scripts.{script}", flow) for script, flow in settings.scripts.items()]
    known = ", ".join(flows.names)
    return [
        f"{key}: no flow {flow!r} in {settings.flows_dir} (flows: {known})"
        for key, flow in routes
        if flow not in flows
    ]


class FlowLibrary:
    """The flows a running service uses, and which one answers a call.

    Built from the `ivr` settings; raises FlowLoadError when any flow is broken or a route
    names a missing flow. `reload()` keeps the current flows when the new ones are broken.
    """

    def __init__(self, settings: IVRSettings) -> None:
        self.settings = settings
        self.timezone = ZoneInfo(settings.timezone)
        """The service's zone, for calendars that name none."""
        self._flows = self._load()

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


def _read(path: Path) -> tuple[yaml.Node | None, Flow | None, list[str]]:
    """Read, compose and validate one file: (YAML tree, flow, problems)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, None, [f"{path}: cannot read the flow file: {error}"]
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506  (a safe loader, C or Python)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or str(error)
        return None, None, [f"{where}: not valid YAML: {problem}"]
    repeated = [f"{path}:{line}: {message}" for line, message in _repeated_keys(root)]
    if repeated:
        return root, None, repeated
    try:
        return root, parse_flow(data, path.stem), []
    except FlowError as error:
        return root, None, _located(error.problems, {path.stem: _Source(path, root)})


def _located(problems: Iterable[FlowProblem], sources: dict[str, _Source]) -> list[str]:
    messages = []
    for problem in problems:
        source = sources.get(problem.flow)
        if source is None:
            messages.append(f"flow {problem.flow!r}: {problem.describe()}")
        else:
            line = _line_of(source.root, problem.loc)
            messages.append(f"{source.path}:{line}: {problem.describe()}")
    return messages


def _calls_any(flow: Flow, names: Iterable[str]) -> bool:
    wanted = set(names)
    return any(isinstance(n, SubflowNode) and n.flow in wanted for n in flow.nodes.values())


def _missing_siblings(flows: Iterable[Flow], sources: dict[str, _Source]) -> list[Path]:
    wanted = []
    for flow in flows:
        folder = sources[flow.name].path.parent
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
