"""A small reader of Asterisk's configuration files, for the deployment tests.

Reads what `config/asterisk/*.conf` uses of the format (as the lab's files in
`tests/fixtures/asterisk/lab-config/` use it on Asterisk 22): `;` comments (`\\;` is a
literal), `[section]` headers with `(!)` templates and `(parent,...)` inheritance,
`key = value` and `key => value` options, `#include` / `#tryinclude`, and in the
dialplan `exten => <exten>,<priority>,<App>(<data>)` with `same => n,...` continuations
and `include => <context>`. Extension patterns (`_X.`, `_[1-5]`, `!`) match as Asterisk
matches them (X, Z, N case-insensitively).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Section:
    """One `[name]` block: its options in order, and the templates it inherits."""

    name: str
    options: list[tuple[str, str]] = field(default_factory=list)
    templates: tuple[str, ...] = ()
    is_template: bool = False

    def get(self, key: str) -> str | None:
        """The last value of `key` (later lines win, as in Asterisk)."""
        values = self.get_all(key)
        return values[-1] if values else None

    def get_all(self, key: str) -> list[str]:
        """Every value of `key`, in order."""
        return [v for k, v in self.options if k == key]


@dataclass(frozen=True)
class Step:
    """One dialplan priority: an application and its data (`AGI(agi://...)`)."""

    app: str
    data: str


_HEADER = re.compile(r"^\[(?P<name>[^\]]+)\](?:\((?P<extra>[^)]*)\))?\s*$")


def _strip_comment(line: str) -> str:
    out = re.split(r"(?<!\\);", line, maxsplit=1)[0]
    return out.replace("\\;", ";").strip()


def parse(path: Path) -> list[Section]:
    """The sections of `path`, with its `#include`s read in place."""
    sections: list[Section] = []
    _read(path, sections)
    return sections


def _read(path: Path, sections: list[Section]) -> None:
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = _strip_comment(raw)
        if not line:
            continue
        if line.startswith(("#include", "#tryinclude")):
            target = path.parent / line.split(None, 1)[1].strip().strip('"<>')
            if target.exists() or line.startswith("#include"):
                _read(target, sections)
            continue
        header = _HEADER.match(line)
        if header:
            extra = [p.strip() for p in (header["extra"] or "").split(",") if p.strip()]
            sections.append(
                Section(
                    header["name"],
                    templates=tuple(p for p in extra if p != "!"),
                    is_template="!" in extra,
                )
            )
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{path}: not an option: {raw!r}")
        if not sections:
            raise ValueError(f"{path}: option before any section: {raw!r}")
        sections[-1].options.append((key.strip(), value.lstrip(">").strip()))


def by_name(sections: list[Section], type_: str | None = None) -> dict[str, Section]:
    """Sections by name (PJSIP: only those whose `type`, inherited too, is `type_`)."""
    templates = {s.name: s for s in sections if s.is_template}
    out = {}
    for s in sections:
        if s.is_template:
            continue
        if type_ is not None and resolved(s, templates).get("type") != type_:
            continue
        out[s.name] = resolved(s, templates)
    return out


def resolved(section: Section, templates: dict[str, Section]) -> Section:
    """`section` with its templates' options first (its own override them)."""
    options: list[tuple[str, str]] = []
    for name in section.templates:
        options += resolved(templates[name], templates).options
    return Section(section.name, options + section.options)


def dialplan(
    sections: list[Section],
) -> tuple[dict[str, dict[str, list[Step]]], dict[str, list[str]]]:
    """extensions.conf as {context: {exten: [steps by priority]}} and {context: includes}."""
    contexts: dict[str, dict[str, list[Step]]] = {}
    includes: dict[str, list[str]] = {}
    for section in sections:
        if section.name in ("general", "globals"):
            continue
        if section.name in contexts:
            raise ValueError(f"context [{section.name}] is defined twice")
        extens: dict[str, list[Step]] = {}
        current: str | None = None
        for key, value in section.options:
            if key == "include":
                includes.setdefault(section.name, []).append(value)
            elif key == "exten":
                current, _, rest = value.partition(",")
                _priority, _, app = rest.partition(",")
                extens.setdefault(current, []).append(_step(app))
            elif key == "same":
                if current is None:
                    raise ValueError(f"[{section.name}]: same => before any exten")
                extens[current].append(_step(value.partition(",")[2]))
        contexts[section.name] = extens
    return contexts, includes


def _step(text: str) -> Step:
    app, _, data = text.partition("(")
    return Step(app.strip(), data[: data.rfind(")")] if ")" in data else data)


def matches(pattern: str, number: str) -> bool:
    """Whether extension `pattern` (literal or `_` pattern) matches `number`."""
    if not pattern.startswith("_"):
        return pattern == number
    regex = ""
    chars = iter(pattern[1:])
    for char in chars:
        upper = char.upper()
        if upper == "X":
            regex += "[0-9]"
        elif upper == "Z":
            regex += "[1-9]"
        elif upper == "N":
            regex += "[2-9]"
        elif char == "[":
            body = ""
            for inner in chars:
                if inner == "]":
                    break
                body += inner
            regex += f"[{body}]"
        elif char == ".":
            regex += ".+"
        elif char == "!":
            regex += ".*"
        else:
            regex += re.escape(char)
    return re.fullmatch(regex, number) is not None


def find_exten(extens: dict[str, list[Step]], number: str) -> list[Step] | None:
    """The steps of the extension that takes `number` (literal first, then patterns)."""
    if number in extens:
        return extens[number]
    for pattern, steps in extens.items():
        if matches(pattern, number):
            return steps
    return None
