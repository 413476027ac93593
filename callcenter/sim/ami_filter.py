"""AMI event filters per session, as Asterisk 22 applies them (`Action: Filter`).

Strategy: the s12 recordings fix the answers: `Operation: Add` with a good filter is
`Success`, a regular expression that does not compile is `Filter did not compile.  Check
the syntax of the filter given.`, any other operation (even `Remove`) is `Unknown
operation`. A legacy filter is a regular expression searched in the whole event text,
`!` in front making it an exclusion; `MatchCriteria` (`action(include|exclude)`,
`name(Event)`, `header(Name)`, `method(exact|starts_with|ends_with|contains|regex|none)`)
is the advanced form. With no filters every event passes; with inclusions only, an event
must match one; with exclusions only, it must match none; with both, it must match an
inclusion and no exclusion. Asterisk's expressions are POSIX: the bracket classes the
product uses (`[[:space:]]` ...) are translated to Python's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_POSIX_CLASSES = {
    "[:space:]": r"\s",
    "[:digit:]": r"\d",
    "[:alpha:]": "A-Za-z",
    "[:alnum:]": "A-Za-z0-9",
    "[:upper:]": "A-Z",
    "[:lower:]": "a-z",
}
_CRITERION = re.compile(r"(action|name|header|method)\(([^)]*)\)")
_METHODS: dict[str, Callable[[str, str], bool]] = {
    "exact": lambda value, expr: value == expr,
    "starts_with": lambda value, expr: value.startswith(expr),
    "ends_with": lambda value, expr: value.endswith(expr),
    "contains": lambda value, expr: expr in value,
}

COMPILE_ERROR = "Filter did not compile.  Check the syntax of the filter given."
UNKNOWN_OPERATION = "Unknown operation"


class FilterError(ValueError):
    """A filter Asterisk refuses; the message is Asterisk's answer."""


def _posix(expression: str) -> re.Pattern[str]:
    for posix, python in _POSIX_CLASSES.items():
        expression = expression.replace(posix, python)
    try:
        return re.compile(expression)
    except re.error:
        raise FilterError(COMPILE_ERROR) from None


@dataclass(frozen=True, slots=True)
class _Rule:
    include: bool
    name: str | None
    header: str | None
    method: str
    expression: str
    pattern: re.Pattern[str] | None

    def matches(self, name: str, headers: dict[str, str], text: str) -> bool:
        if self.name is not None and name != self.name:
            return False
        if self.header is not None:
            if self.header not in headers:
                return False
            subject = headers[self.header]
        else:
            subject = text
        if self.method == "none" or not self.expression:
            return True
        if self.pattern is not None:
            return self.pattern.search(subject) is not None
        return _METHODS[self.method](subject, self.expression)


def _rule(expression: str, criteria: str | None) -> _Rule:
    if criteria is None:
        include = not expression.startswith("!")
        expression = expression if include else expression[1:]
        return _Rule(include, None, None, "regex", expression, _posix(expression))
    found = dict(_CRITERION.findall(criteria))
    action = found.get("action", "include")
    method = found.get("method", "regex" if expression else "none")
    if action not in ("include", "exclude") or method not in (*_METHODS, "regex", "none"):
        raise FilterError(COMPILE_ERROR)
    pattern = _posix(expression) if method == "regex" and expression else None
    return _Rule(
        action == "include", found.get("name"), found.get("header"), method, expression, pattern
    )


class EventFilter:
    """The filters of one AMI session."""

    def __init__(self) -> None:
        self._include: list[_Rule] = []
        self._exclude: list[_Rule] = []

    def add(self, operation: str | None, expression: str, criteria: str | None) -> None:
        """Add a filter; `FilterError` carries Asterisk's refusal."""
        if (operation or "").lower() != "add":
            raise FilterError(UNKNOWN_OPERATION)
        rule = _rule(expression, criteria)
        (self._include if rule.include else self._exclude).append(rule)

    @property
    def active(self) -> bool:
        """Whether any filter was added."""
        return bool(self._include or self._exclude)

    def passes(self, name: str, headers: dict[str, str], text: str) -> bool:
        """Whether the event reaches the session."""
        if self._include and not any(r.matches(name, headers, text) for r in self._include):
            return False
        return not any(r.matches(name, headers, text) for r in self._exclude)
