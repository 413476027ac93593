"""AMI actions: what the product sends to Asterisk, and their exact encoding.

Strategy: an action is `Action: <Name>` CRLF, then `Key: Value` CRLF lines (keys may
repeat, e.g. several `Variable:` lines on an Originate), then an empty line, as the
`.sent.txt` recordings in `tests/fixtures/asterisk/ami/` show. A value containing CR or LF
would end the header early and let text become a second header or action, so it is refused
with a `LocalProtocolError`; so are empty keys and keys with a colon or whitespace. The
builders below cover the actions the product uses; `Action` carries any other.

Originate and Redirect go further (defence in depth: the callers check their numbers
already). Their values end up in the dialplan, whose argument parser gives meaning to
more than CR and LF: a `,` in the Exten becomes `${EXTEN}` in `Dial(PJSIP/${EXTEN}@trunk,60)`
and adds Dial options (a `U()` gosub), a `&` adds a destination. So an `Exten` is letters,
digits, `+`, `*` and `#` only; a `Variable` is `NAME=value`, where Asterisk splits the
header at `,` into several variables: the name is a plain variable name and the value has
no `,`, quote, backslash, bracket, `$`, `&`, `|` or `;`; an application's `Data` may hold
`,` (it separates the application's arguments, which the product composes) but no quote,
backslash, brace, `$`, `&`, `|`, `;` or control character.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from callcenter.ami.errors import LocalProtocolError

_SECRET_KEYS = frozenset({"Secret", "Key"})
_FORBIDDEN_IN_VALUE = ("\r", "\n", "\x00")
_EXTEN = re.compile(r"[0-9A-Za-z+*#]{1,80}")
_LABEL = re.compile(r"[0-9A-Za-z_-]{1,80}")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")
_CONTROL = frozenset(chr(c) for c in (*range(32), 127))
_NOT_IN_VARIABLE = _CONTROL | frozenset(",\"'\\()[]{}$&|;`")
_NOT_IN_DATA = _CONTROL | frozenset("\"'\\{}$&|;`")


@dataclass(frozen=True, slots=True)
class Action:
    """One AMI action. `fields` are the headers after `Action:`/`ActionID:`, in order."""

    name: str
    fields: tuple[tuple[str, str], ...] = ()
    action_id: str | None = None

    def with_id(self, action_id: str) -> Action:
        """A copy carrying `action_id` (the client assigns one to every action)."""
        return Action(self.name, self.fields, action_id)

    def get(self, key: str) -> str | None:
        """The value of header `key`, if the action has it."""
        for k, v in self.fields:
            if k == key:
                return v
        return None

    def __repr__(self) -> str:
        # Never let a Secret or an MD5 key reach a log line through repr().
        shown = tuple((k, "***" if k in _SECRET_KEYS else v) for k, v in self.fields)
        return f"Action(name={self.name!r}, fields={shown!r}, action_id={self.action_id!r})"


def _check_key(key: str) -> None:
    if not key or any(c in key for c in ":\r\n\x00 \t"):
        raise LocalProtocolError(f"AMI header name {key!r} is empty or contains ':' or spaces")


def _check_value(key: str, value: str) -> None:
    if any(c in value for c in _FORBIDDEN_IN_VALUE):
        raise LocalProtocolError(
            f"AMI header {key!r}: value contains CR, LF or NUL, which would inject a header"
        )


def encode_action(action: Action) -> bytes:
    """The exact bytes of `action`, or `LocalProtocolError` if it cannot be carried."""
    _check_key(action.name)
    lines = [f"Action: {action.name}"]
    if action.action_id is not None:
        _check_value("ActionID", action.action_id)
        lines.append(f"ActionID: {action.action_id}")
    for key, value in action.fields:
        _check_key(key)
        _check_value(key, value)
        lines.append(f"{key}: {value}")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("utf-8")


def _check_exten(action: str, exten: str) -> None:
    if _EXTEN.fullmatch(exten) is None:
        raise LocalProtocolError(
            f"{action} Exten: {_first_bad(exten, _EXTEN)}; an extension is 1-80 letters, "
            "digits, '+', '*' or '#' (a ',' or '&' would reach the dialplan's Dial)"
        )


def _first_bad(value: str, allowed: re.Pattern[str]) -> str:
    """Where `value` breaks the rule, without repeating it (it may be a caller's number)."""
    if not value or len(value) > 80:
        return f"{len(value)} characters"
    for position, char in enumerate(value, start=1):
        if allowed.fullmatch(char) is None:
            return f"character {position} ({_shown(char)}) is not allowed"
    return "not allowed"


def _shown(char: str) -> str:
    return repr(char) if char.isascii() and char.isprintable() else f"U+{ord(char):04X}"


def _check_chars(what: str, value: str, forbidden: frozenset[str]) -> None:
    for position, char in enumerate(value, start=1):
        if char in forbidden:
            raise LocalProtocolError(
                f"{what}: character {position} ({_shown(char)}) could change the dialplan's "
                "arguments"
            )


def _pairs(**headers: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in headers.items() if v is not None)


def login(username: str, secret: str, events: bool | str = True) -> Action:
    """Plain-text login. `events` is True/False or an event mask such as "call,system"."""
    mask = "on" if events is True else "off" if events is False else events
    return Action("Login", (("Username", username), ("Secret", secret), ("Events", mask)))


def challenge() -> Action:
    """Ask for an MD5 challenge (first step of a login that keeps the secret off the wire)."""
    return Action("Challenge", (("AuthType", "MD5"),))


def login_md5(username: str, secret: str, challenge_text: str, events: bool | str = True) -> Action:
    """MD5 login: `Key` = md5(challenge + secret), as recorded in s12-ami-misc-md5."""
    key = hashlib.md5((challenge_text + secret).encode(), usedforsecurity=False).hexdigest()
    mask = "on" if events is True else "off" if events is False else events
    return Action(
        "Login", (("AuthType", "MD5"), ("Username", username), ("Key", key), ("Events", mask))
    )


def logoff() -> Action:
    """End the session politely (Asterisk answers `Response: Goodbye`)."""
    return Action("Logoff")


def ping() -> Action:
    """Keep-alive; Asterisk answers `Ping: Pong` with a timestamp."""
    return Action("Ping")


def core_show_channels() -> Action:
    """List every channel (a list action); used to resync after a reconnect."""
    return Action("CoreShowChannels")


def core_settings() -> Action:
    """The server's core settings: its versions and `SystemName` (asterisk.conf)."""
    return Action("CoreSettings")


def status(channel: str | None = None) -> Action:
    """Channel status, of one channel or all (a list action)."""
    return Action("Status", _pairs(Channel=channel))


def command(cli: str) -> Action:
    """Run a CLI command; the reply carries one `Output:` line per line of text."""
    return Action("Command", (("Command", cli),))


def getvar(variable: str, channel: str | None = None) -> Action:
    """Read a channel variable (or a global one when `channel` is None)."""
    return Action("Getvar", _pairs(Channel=channel, Variable=variable))


def setvar(variable: str, value: str, channel: str | None = None) -> Action:
    """Set a channel variable (or a global one when `channel` is None)."""
    return Action("Setvar", _pairs(Channel=channel, Variable=variable, Value=value))


def hangup(channel: str, cause: int | None = None) -> Action:
    """Hang a channel up, optionally with a Q.850 cause."""
    return Action("Hangup", _pairs(Channel=channel, Cause=None if cause is None else str(cause)))


def redirect(channel: str, context: str, exten: str, priority: int | str = 1) -> Action:
    """Send a channel to another place in the dialplan (`exten` as for `originate`);
    `priority` a number or a priority label of that extension (`n(label)`)."""
    _check_exten("Redirect", exten)
    if isinstance(priority, str) and _LABEL.fullmatch(priority) is None:
        raise LocalProtocolError(
            f"Redirect Priority: {_first_bad(priority, _LABEL)}; a label is 1-80 letters, "
            "digits, '_' or '-'"
        )
    return Action(
        "Redirect",
        (("Channel", channel), ("Context", context), ("Exten", exten), ("Priority", str(priority))),
    )


def originate(
    channel: str,
    *,
    context: str | None = None,
    exten: str | None = None,
    priority: int | None = None,
    application: str | None = None,
    data: str | None = None,
    timeout_ms: int | None = None,
    caller_id: str | None = None,
    variables: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    channel_id: str | None = None,
    other_channel_id: str | None = None,
    run_async: bool = True,
) -> Action:
    """Originate a call to `channel`, into a dialplan place or an application.

    The product offers a call to an agent with `application="Bridge"` and
    `data=<caller channel>` (see s5); variables travel as repeated `Variable: K=V` headers.
    An `exten`, `data` or variable that could change the dialplan's arguments is refused
    with a `LocalProtocolError` (module docstring).
    """
    if (application is None) == (context is None and exten is None):
        raise LocalProtocolError("Originate needs either context/exten or application")
    if exten is not None:
        _check_exten("Originate", exten)
    if data is not None:
        _check_chars("Originate Data", data, _NOT_IN_DATA)
    pairs = list(
        _pairs(
            Channel=channel,
            Context=context,
            Exten=exten,
            Priority=None if priority is None else str(priority),
            Application=application,
            Data=data,
            CallerID=caller_id,
            Timeout=None if timeout_ms is None else str(timeout_ms),
            ChannelId=channel_id,
            OtherChannelId=other_channel_id,
        )
    )
    items = variables.items() if isinstance(variables, Mapping) else variables
    for name, value in items:
        if _VARIABLE_NAME.fullmatch(name) is None:
            raise LocalProtocolError(
                f"Originate variable name {name!r}: letters, digits and '_' only "
                "(at most 80, not starting with a digit)"
            )
        _check_chars(f"Originate variable {name}", value, _NOT_IN_VARIABLE)
        pairs.append(("Variable", f"{name}={value}"))
    if run_async:
        pairs.append(("Async", "true"))
    return Action("Originate", tuple(pairs))


def bridge(channel1: str, channel2: str, tone: bool = False) -> Action:
    """Bridge two existing channels (s5b)."""
    return Action(
        "Bridge",
        (("Channel1", channel1), ("Channel2", channel2), ("Tone", "yes" if tone else "no")),
    )


def events(mask: str) -> Action:
    """Change the event mask of this session ("on", "off", "call,system", ...)."""
    return Action("Events", (("EventMask", mask),))


def filter_events(names: Iterable[str]) -> Action:
    """Add a whitelist filter: this session gets only the events named (s12 recording).

    The filter is Asterisk's regular expression on the whole event, `Event: (A|B)`
    followed by the space class, so that `Hangup` does not let `HangupRequest` through.
    Event names are letters and digits; anything else is a `LocalProtocolError`.
    """
    wanted = sorted(set(names))
    bad = [name for name in wanted if not name.isascii() or not name.isalnum()]
    if not wanted or bad:
        raise LocalProtocolError(f"event names to filter must be letters and digits: {bad}")
    pattern = f"Event: ({'|'.join(wanted)})[[:space:]]"
    return Action("Filter", (("Operation", "Add"), ("Filter", pattern)))


def user_event(name: str, **headers: str) -> Action:
    """Raise a UserEvent carrying `headers` (Asterisk echoes them in the event)."""
    return Action("UserEvent", (("UserEvent", name), *headers.items()))
