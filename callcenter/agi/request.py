"""The `agi_*` environment Asterisk sends first, as a typed request.

Strategy: the environment is `agi_<key>: <value>` lines ended by an empty line (every file
in `tests/fixtures/asterisk/agi/` opens with one). Empty values come as `agi_accountcode: `
(a space, then nothing). Asterisk writes `unknown` where caller ID or DNID is absent; those
become None. A FastAGI URL `agi://host:port/<script>?<query>` arrives as `agi_network_script`
(everything after the host's `/`, sent only when not empty) and whole as `agi_request`;
arguments of `AGI(url,a,b)` arrive as `agi_arg_1: a`, `agi_arg_2: b`. Keys we do not know
are kept in `env`, in the order received.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote, urlsplit

_ABSENT = "unknown"
_ARG_PREFIX = "agi_arg_"


@dataclass(frozen=True, slots=True)
class AGIRequest:
    """One call's FastAGI request: who is calling, where in the dialplan, which script.

    `script` is the URL path without its leading and trailing `/` (`"ivr"`), the key the
    server routes on. `arguments` are the URL query items (`a`, `k=v`, percent-decoded, in
    order) followed by the `agi_arg_N` values; `query` holds the query as key/value pairs.
    `env` maps every `agi_*` key received to its value. Caller number and name are left out
    of `repr`, so logging a request never writes a phone number.
    """

    channel: str
    uniqueid: str
    caller_number: str | None = field(repr=False)
    caller_name: str | None = field(repr=False)
    dnid: str | None
    extension: str
    context: str
    priority: int
    language: str
    script: str
    arguments: tuple[str, ...]
    query: tuple[tuple[str, str], ...] = field(repr=False)
    env: Mapping[str, str] = field(repr=False, compare=False)


def build_request(pairs: Iterable[tuple[str, str]]) -> AGIRequest:
    """Build the request from the environment's (key, value) pairs, keys with `agi_`.

    A repeated key keeps its last value. Raises ValueError when `agi_priority` is not an
    integer (the codec turns that into a RemoteProtocolError).
    """
    env = dict(pairs)
    script_path, query_text = _script_and_query(env)
    query_items = [item for item in query_text.split("&") if item]
    numbered_args = sorted(
        (int(key[len(_ARG_PREFIX) :]), value)
        for key, value in env.items()
        if key.startswith(_ARG_PREFIX) and key[len(_ARG_PREFIX) :].isdecimal()
    )
    priority_text = env.get("agi_priority", "0").strip() or "0"
    return AGIRequest(
        channel=env.get("agi_channel", ""),
        uniqueid=env.get("agi_uniqueid", ""),
        caller_number=_known(env.get("agi_callerid")),
        caller_name=_known(env.get("agi_calleridname")),
        dnid=_known(env.get("agi_dnid")),
        extension=env.get("agi_extension", ""),
        context=env.get("agi_context", ""),
        priority=int(priority_text, 10),
        language=env.get("agi_language", ""),
        script=unquote(script_path).strip("/"),
        arguments=tuple(unquote(item) for item in query_items)
        + tuple(value for _, value in numbered_args),
        query=tuple(parse_qsl(query_text, keep_blank_values=True)),
        env=MappingProxyType(env),
    )


def _known(value: str | None) -> str | None:
    """Asterisk's `unknown` (and an empty value) mean the field is absent."""
    if value is None or value in ("", _ABSENT):
        return None
    return value


def _script_and_query(env: Mapping[str, str]) -> tuple[str, str]:
    """Split the script path from its query, preferring `agi_network_script`."""
    network_script = env.get("agi_network_script")
    if network_script is not None:
        path, _, query = network_script.partition("?")
        return path, query
    request = env.get("agi_request", "")
    if "://" not in request:
        return "", ""
    # Asterisk sends no agi_network_script for `agi://host` with no path; the URL still says.
    parts = urlsplit(request)
    return parts.path, parts.query
