"""Settings: `config/callcenter.yaml` plus environment overrides, validated.

Strategy: the YAML file is read here (the pure cores never read files) and validated by
pydantic models with `extra="forbid"`, so a misspelt key is an error, not a silent default.
Environment variables override the file: `CALLCENTER_<SECTION>__<KEY>` (e.g.
`CALLCENTER_FASTAGI__PORT=4574`). Secrets never sit in the repository: an AMI server's
secret comes from `CALLCENTER_AMI_SECRET_<NAME>` (or, discouraged, `secret:` in the file).
Every error names the file, the line, the key and the problem, e.g.
`config/callcenter.yaml:14: asterisk.servers[0].port: Input should be a valid integer`.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings import SettingsError as EnvParsingError

from acd.config import AcdSettings, QueueSettings

ENV_PREFIX = "CALLCENTER_"


class SettingsError(Exception):
    """The configuration cannot be used; the message lists every problem found."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceSettings(_Section):
    """The process itself."""

    name: str = "callcenter"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "console", "json"] = "auto"
    shutdown_grace_s: float = Field(5.0, ge=0, le=300)


class AMIServerSettings(_Section):
    """One Asterisk server's manager interface."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    host: str = "127.0.0.1"
    port: int = Field(5038, ge=1, le=65535)
    username: str = Field(min_length=1)
    secret: SecretStr | None = None
    auth: Literal["plain", "md5"] = "md5"
    events: str = "on"

    @property
    def secret_env(self) -> str:
        """The environment variable that holds this server's secret."""
        return f"{ENV_PREFIX}AMI_SECRET_{self.name.upper().replace('-', '_')}"


class AsteriskSettings(_Section):
    """The Asterisk servers this backend drives, and how the AMI clients behave."""

    servers: list[AMIServerSettings] = Field(default_factory=list)
    connect_timeout_s: float = Field(5.0, gt=0, le=120)
    action_timeout_s: float = Field(10.0, gt=0, le=300)
    ping_interval_s: float = Field(20.0, gt=0, le=3600)
    ping_timeout_s: float = Field(5.0, gt=0, le=120)
    reconnect_initial_s: float = Field(0.5, gt=0, le=60)
    reconnect_max_s: float = Field(30.0, gt=0, le=3600)

    @field_validator("servers")
    @classmethod
    def _unique_names(cls, servers: list[AMIServerSettings]) -> list[AMIServerSettings]:
        names = [s.name for s in servers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"server names must be unique, repeated: {', '.join(dupes)}")
        return servers


class FastAGISettings(_Section):
    """The FastAGI server Asterisk's dialplan connects to (`AGI(agi://host:port/ivr)`)."""

    host: str = "127.0.0.1"
    port: int = Field(4573, ge=0, le=65535)
    max_sessions: int = Field(500, ge=1, le=100_000)
    max_sessions_per_peer: int | None = Field(None, ge=1, le=100_000)
    """Calls at once from one address; None: as many as `max_sessions` (one Asterisk
    carries every call). Lower it when several Asterisk servers share this backend."""
    allowed_peers: list[str] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1", "172.28.0.0/16"]
    )
    """The addresses or networks served; others are closed at once (counted, logged).
    The default: loopback and the compose network (docker-compose.yml)."""
    env_timeout_s: float = Field(5.0, gt=0, le=300)
    """How long a new connection has to send its `agi_*` environment (Asterisk sends it at
    once)."""
    max_silent: int = Field(100, ge=1, le=100_000)
    """Connections that may wait for their environment at once; one more closes the oldest
    of them."""
    idle_timeout_s: float = Field(300.0, gt=0, le=86_400)

    @field_validator("allowed_peers")
    @classmethod
    def _networks(cls, peers: list[str]) -> list[str]:
        for peer in peers:
            try:
                ipaddress.ip_network(peer.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{peer!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
                ) from None
        return peers


_HOSTNAME = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def fastagi_address(value: str) -> str:
    """`value` as a FastAGI address the dialplan may use (`host:port`: a host name, an IPv4
    address or a bracketed IPv6 one, and a port 1-65535); ValueError naming what is wrong.

    Strict because it goes into the dialplan (`AGI(agi://${CC_LEADER}/...)`): a `,` there
    would add arguments, a `/` or `?` change the script, so nothing else passes."""
    host, colon, port = value.rpartition(":")
    if not colon or not host:
        raise ValueError(f"{value!r} is not host:port (e.g. backend:4573, 10.0.0.5:4573)")
    if not port.isascii() or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ValueError(f"{value!r}: the port must be a number from 1 to 65535")
    if host.startswith("[") and host.endswith("]"):
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValueError(f"{value!r}: {host} is not an IPv6 address") from None
        if address.is_unspecified:
            raise ValueError(f"{value!r}: {host} is no address Asterisk can reach")
        return f"[{address.compressed}]:{int(port)}"
    if not _HOSTNAME.fullmatch(host):
        raise ValueError(
            f"{value!r}: {host!r} is not a host name or IPv4 address (letters, digits, "
            "'-' and '.'; an IPv6 address in brackets)"
        )
    if _unspecified(host):
        raise ValueError(f"{value!r}: {host} is no address Asterisk can reach")
    return f"{host}:{int(port)}"


def _unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False  # a host name


def _shipped_flows() -> Path:
    # Found without importing the package: `callcenter version` stays quick.
    spec = importlib.util.find_spec("ivr_flows")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the ivr_flows package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "flows"


SHIPPED_FLOWS = _shipped_flows()
"""The flows that come with the product: main hotline, after hours, post-call survey."""

DIALLED_NUMBER = re.compile(r"[0-9*#+]{1,32}")
"""A dialled number as the dialplan hands it to FastAGI."""
FLOW_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""A flow is named by its file: lower case, digits and `_`."""
_SCRIPT = re.compile(r"[A-Za-z0-9_-]{1,64}")


def keys_as_text(value: Any) -> Any:
    """A mapping's keys as text: YAML reads `100: main_hotline` with the number 100 as key."""
    if isinstance(value, dict):
        return {str(key): item for key, item in value.items()}
    return value


class IVRSettings(_Section):
    """Which flow answers a call, where the flows are, and the zone opening hours are read in.

    A call that enters FastAGI under a script listed in `scripts` (`agi://.../survey`) runs
    that flow; any other runs the flow of its dialled number (`dnis`), else `default_flow`.
    That the named flows exist is checked when the flows are loaded.
    """

    flows_dir: Path = Field(default_factory=lambda: SHIPPED_FLOWS)
    """The directory of flow files (`*.yaml`); a relative path is read from the working
    directory."""
    timezone: str = "UTC"
    default_flow: str = "main_hotline"
    dnis: dict[str, str] = Field(default_factory=lambda: {"100": "main_hotline"})
    scripts: dict[str, str] = Field(default_factory=lambda: {"survey": "post_call_survey"})
    orders_file: Path | None = None
    """A CSV export of the order system (`order,status,date`) for the order-status menu;
    without one, every order is unknown and callers are offered an agent."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (e.g. Europe/Berlin, UTC)") from None
        return name

    @field_validator("default_flow")
    @classmethod
    def _flow_name(cls, name: str) -> str:
        if FLOW_NAME.fullmatch(name) is None:
            raise ValueError(f"{name!r} is not a flow name (the file name without .yaml)")
        return name

    _keys_as_text = field_validator("dnis", "scripts", mode="before")(keys_as_text)

    @field_validator("dnis")
    @classmethod
    def _dialled_numbers(cls, routes: dict[str, str]) -> dict[str, str]:
        return flow_routes(routes, DIALLED_NUMBER, "a dialled number")

    @field_validator("scripts")
    @classmethod
    def _script_names(cls, routes: dict[str, str]) -> dict[str, str]:
        return flow_routes(routes, _SCRIPT, "a FastAGI script name")


def flow_routes(routes: dict[str, str], key_pattern: re.Pattern[str], what: str) -> dict[str, str]:
    """`routes` (key -> flow) when every key matches `key_pattern` and every flow is a flow
    name; else ValueError naming the first bad one (`what` says what a key is)."""
    for key, flow in routes.items():
        if key_pattern.fullmatch(key) is None:
            raise ValueError(f"{key!r} is not {what}")
        if FLOW_NAME.fullmatch(flow) is None:
            raise ValueError(f"{key}: {flow!r} is not a flow name (the file name without .yaml)")
    return routes


_URL_CREDENTIALS = re.compile(r"^(?P<scheme>[^:/?#]*://)(?P<user>[^:@/]*):(?P<password>.*)@")
_DRIVERS = ("sqlite", "sqlite+aiosqlite", "postgresql", "postgresql+asyncpg", "postgres")


def mask_url(url: str) -> str:
    """`url` with its password, if any, as `***`: safe to print, log and show.

    The password runs to the *last* `@` (an unescaped `@` inside it is common), so no part
    of it is left over; a URL that cannot be parsed at all is masked the same way.
    """
    return _URL_CREDENTIALS.sub(r"\g<scheme>\g<user>:***@", url, count=1)


class DatabaseSettings(_Section):
    """Where the data lives and how the call path's writes are batched."""

    url: str = "sqlite+aiosqlite:///var/callcenter.db"
    """A SQLite file (created on first start) or `postgresql+asyncpg://user@host/db`."""
    echo: bool = False
    pool_size: int = Field(10, ge=1, le=500)
    """Connections kept for the web and the other reads, as many again at a peak (the
    batched writer and the call path's lookups have their own, `callcenter.db.reads`)."""
    batch_size: int = Field(200, ge=1, le=10_000)
    batch_interval_s: float = Field(0.25, ge=0, le=10)
    """How long a small batch waits for company before it is written. Each transaction
    has a fixed cost on the event loop (on SQLite a thread round trip per statement and
    per commit), which a center taking a few calls a second pays per call: 0.25 s makes
    about 3 transactions a second of 10 calls a second (0.05 s made 11, 1 to 2 ms of loop
    CPU more per call); a crash loses at most this much more of the log."""
    max_pending: int = Field(10_000, ge=1, le=1_000_000)

    @field_validator("url")
    @classmethod
    def _usable_url(cls, url: str) -> str:
        # Every message names the URL masked: a password must not reach a screen or a log.
        from sqlalchemy.engine import make_url  # noqa: PLC0415  (keep `version` quick)
        from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError) as exc:
            problem = "the port is not a number" if "int()" in str(exc) else "cannot be parsed"
            # Without `scheme://` nothing tells a password apart: then the value is not shown.
            shown = mask_url(url) if "://" in url else "(the value is not shown)"
            raise ValueError(f"not a database URL: {shown}, {problem}") from None
        if parsed.drivername not in _DRIVERS:
            raise ValueError(
                f"use a sqlite+aiosqlite:/// or postgresql+asyncpg:// URL, not {mask_url(url)}"
            )
        return url

    @field_serializer("url")
    def _hide_password(self, url: str) -> str:
        # `config check` prints the settings; a password in the URL must not reach a screen.
        return mask_url(url)

    @property
    def shown_url(self) -> str:
        """The URL as commands print it: the password masked."""
        return mask_url(self.url)


class CTISettings(_Section):
    """The screen pop, the optional external CRM and the promises tickets are held to."""

    default_region: str = Field("DE", pattern=r"^[A-Z]{2}$")
    """How phone numbers without a country code are read (ISO 3166 country code)."""
    history_size: int = Field(5, ge=0, le=100)
    lookup_cache_s: float = Field(60.0, ge=0, le=3600)
    """How long a customer lookup is remembered: the IVR identifies the caller as the call
    arrives, the queue and the pop ask again as the IVR ends, which takes well over 10 s
    in the shipped hotline (its menu prompt alone plays 13 s). Edits on the desktop are
    seen at once; changes by another process (an import) at most this late. 0 remembers
    nothing."""
    crm_url_template: str | None = None
    """An HTTP GET URL with `{number}` (E.164, URL-encoded), e.g. https://crm/api?tel={number}"""
    crm_timeout_s: float = Field(0.3, gt=0, le=10)
    ticket_promises_h: dict[str, float] = Field(
        default_factory=lambda: {"complaint": 48.0, "request": 72.0, "inquiry": 24.0}
    )

    @field_validator("crm_url_template")
    @classmethod
    def _template(cls, url: str | None) -> str | None:
        if url is not None and (
            not url.startswith(("http://", "https://")) or "{number}" not in url
        ):
            raise ValueError("an http(s) URL containing {number}")
        return url

    @field_validator("ticket_promises_h")
    @classmethod
    def _positive(cls, promises: dict[str, float]) -> dict[str, float]:
        bad = sorted(category for category, hours in promises.items() if hours <= 0)
        if bad:
            raise ValueError(f"promises must be positive hours: {', '.join(bad)}")
        return promises


class PublicCallbackSettings(_Section):
    """The web channel: the public "call me back" form (`/callme`, `POST /api/public/callback`).

    Nothing here needs a login; what keeps it from abuse is set here (see
    `callcenter.web.public`)."""

    enabled: bool = True
    """Off: the form says the service is unavailable and the endpoint answers 404."""
    queues: list[str] = Field(default_factory=list)
    """The queues offered as topics, in this order; empty: every queue of the
    configuration in force. A queue named here but no longer configured is not offered."""
    labels: dict[str, str] = Field(default_factory=dict)
    """What the form shows for a queue (`billing: "Invoices and payments"`); the queue's
    name otherwise."""
    countries: list[str] = Field(default_factory=list)
    """Regions (ISO 3166 alpha-2) whose numbers may be called back; empty: the center's own
    (`cti.default_region`) only, so the form cannot make the center dial abroad."""
    per_address_per_hour: int = Field(5, ge=1, le=10_000)
    """Requests from one client address in a sliding hour (refused ones count too)."""
    per_number_per_day: int = Field(3, ge=1, le=1000)
    """Requests for one number in a sliding day."""
    min_fill_s: float = Field(3.0, ge=0, le=600)
    """A form sent sooner than this after it was loaded was not filled in by a person."""
    form_max_age_s: float = Field(7200.0, ge=60, le=7 * 86_400)
    """A form older than this is refused (the page loads a fresh one)."""
    max_days_ahead: int = Field(7, ge=1, le=60)
    """How far ahead a customer may ask to be called."""
    window_hours: float = Field(4.0, gt=0, le=72)
    """How long a callback "as soon as possible" stays to be done after it is due."""
    max_body_bytes: int = Field(2048, ge=256, le=65_536)
    """A larger request body is refused (413) before it is read."""
    frame_ancestors: list[str] = Field(default_factory=list)
    """Origins allowed to show `/callme` in a frame (`https://www.example.com`); empty: no
    site may frame it (it still works as a page of its own). Every other page is never
    framed."""
    form_secret: SecretStr | None = None
    """Key of the form tokens' HMAC (env `CALLCENTER_WEB__PUBLIC_CALLBACK__FORM_SECRET`),
    needed where several processes serve the form; none: a random key per process (a form
    loaded before a restart is refused, and the page loads a fresh one)."""

    @field_validator("countries")
    @classmethod
    def _regions(cls, regions: list[str]) -> list[str]:
        for region in regions:
            if re.fullmatch(r"[A-Z]{2}", region) is None:
                raise ValueError(f"{region!r} is not a region code like DE")
        return regions

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin) is None:
                raise ValueError(
                    f"{origin!r} is not an origin like https://www.example.com (scheme and "
                    "host, no path)"
                )
        return origins


class WebSettings(_Section):
    """The agent desktop, wallboard and API: where they listen and how sessions behave."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    cookie_secure: bool = False
    """Send the session cookie over HTTPS only; turn on whenever a TLS proxy fronts the web."""
    session_idle_minutes: float = Field(480.0, gt=0, le=7 * 24 * 60)
    login_failures_per_minute: int = Field(5, ge=1, le=1000)
    """Failed logins of one user name from one address that cost nothing; each further one
    doubles the wait (429 Too Many Requests) for that name at that address only."""
    login_backoff_max_s: float = Field(300.0, ge=1, le=86_400)
    """The longest wait after repeated failed logins."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses or networks of reverse proxies whose `X-Forwarded-For` names the client
    (e.g. ["127.0.0.1", "10.0.0.0/8"]); none by default, so the header is ignored."""
    single_session: bool = True
    """A new login ends the user's earlier sessions (and closes their live screens); turn
    off where several screens share one login (a wallboard on a wall screen)."""
    supervisor_queues: dict[str, list[str]] = Field(default_factory=dict)
    """The queues each supervisor oversees; a supervisor not named here sees every queue."""
    dispositions: list[str] = Field(
        default_factory=lambda: [
            "inquiry",
            "order",
            "complaint",
            "technical",
            "billing",
            "callback-promised",
            "wrong-number",
        ],
        min_length=1,
    )
    wallboard_interval_s: float = Field(1.0, gt=0, le=60)
    """The wallboard refreshes at least this often (changes go out sooner)."""
    coalesce_ms: float = Field(50.0, ge=0, le=5000)
    """Changes within this window go out together, so a burst costs one message per screen."""
    request_timeout_s: float = Field(10.0, gt=0, le=300)
    """A connection must send a whole request's headers within this long of opening (or of
    its last answer), and then the body within as long again; else it is closed (408 for a
    body), so half-sent requests cannot pile up."""
    public_callback: PublicCallbackSettings = PublicCallbackSettings()
    """The public "call me back" form and endpoint (the web channel)."""

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"{proxy!r} is not an IP address or network") from None
        return proxies


class TelephonySettings(_Section):
    """How the ACD's decisions reach Asterisk: phones, contexts and the music on hold."""

    agent_endpoints: dict[str, str] = Field(default_factory=dict)
    """Agent id -> the channel an offer rings (e.g. PJSIP/agent1001), for agents whose
    entry in the ACD configuration names no `endpoint` (kept for settings files written
    before the phone was part of the agent); default PJSIP/<id>."""
    supervisor_endpoints: dict[str, str] = Field(default_factory=dict)
    """Supervisor user -> the phone that listens, whispers or barges (ChanSpy)."""
    caller_id: str = Field("Queue <8000>", max_length=80)
    """What an agent's phone shows for an offer (the pop shows who really calls)."""
    survey_context: str = Field("survey", pattern=r"^[A-Za-z0-9_-]*$", max_length=80)
    """Where the caller goes when the agent hangs up first (Bridge option F); "" for none."""
    callback_context: str = Field("callbacks", pattern=r"^[A-Za-z0-9_-]+$", max_length=80)
    """Agent-first callbacks: the agent's phone is originated into <context>,<number>,1."""
    callback_max_attempts: int = Field(3, ge=1, le=20)
    """Attempts at a customer (busy, no answer ...) before their callback request fails."""
    callback_retry_s: float = Field(300.0, gt=0, le=86_400)
    """After an attempt that missed the customer, the callback waits this long before it is
    in line again (the customer may have been busy a moment ago)."""
    callback_schedule_s: float = Field(15.0, gt=0, le=600)
    """How often the service looks for callbacks made for later (a chosen window, or outside
    the queue's hours) that are due, to put them in line."""
    followup_context: str = Field("followup", pattern=r"^[A-Za-z0-9_-]+$", max_length=80)
    """Automated follow-up calls: the customer, dialled through the trunk, is sent on answer
    to <context>,s,1, which runs FastAGI `followup` (config/asterisk/extensions.conf) with
    the follow-up's id in the channel variable CC_FOLLOWUP."""
    followup_flow: str = Field("followup_call", pattern=r"^[a-z][a-z0-9_]{0,63}$")
    """The IVR flow of an automated follow-up call: asks "are you satisfied?" and keeps the
    key pressed (1 yes, 2 no) as `followup.answer`."""
    trunk_endpoint: str = Field("trunk", pattern=r"^[A-Za-z0-9_.-]+$", max_length=80)
    """The PJSIP endpoint of the phone company: an automated follow-up dials
    PJSIP/<number in E.164>@<trunk_endpoint>."""
    followup_ring_s: float = Field(30.0, ge=5, le=120)
    """How long an automated follow-up call rings before it is a no-answer."""
    followup_schedule_s: float = Field(30.0, gt=0, le=600)
    """How often the service looks for automated follow-up calls that are due."""
    followup_stale_s: float = Field(900.0, ge=60, le=86_400)
    """A follow-up call claimed this long ago and never heard of again (the service
    restarted mid-call) counts as missed and is tried again by its rule."""
    moh_class: str = Field("default", pattern=r"^[A-Za-z0-9_-]+$", max_length=80)
    hold_segment_s: int = Field(10, ge=2, le=300)
    """Music on hold plays in segments this long; announcements go between them."""
    voicemail_dir: str = "/var/spool/asterisk/callcenter"
    """Asterisk's folder for messages, written as `<queue>-<uniqueid>.wav`. It must exist and
    be writable for Asterisk (RECORD FILE makes no folders); deploy/asterisk-entrypoint.sh
    makes it in the compose deployment."""
    voicemail_retention_days: int = Field(90, ge=1, le=3650)
    """Days a message is kept: older ones are deleted from `voicemail_dir` once a day (the
    inbox keeps their record, marked expired, for the reports). The backend needs write
    access to the folder for that (the compose file shares it read-write, group
    `voicemail`)."""
    spy_options: dict[str, str] = Field(
        default_factory=lambda: {"listen": "qE", "whisper": "qwE", "barge": "qBE"}
    )
    """ChanSpy options per mode (recorded in s10: q quiet, w whisper, B barge, E exit)."""

    def endpoint(self, agent_id: str, acd: AcdSettings | None = None) -> str:
        """The channel to ring for `agent_id`: the agent's `endpoint` in `acd` (the ACD
        configuration in force, so a phone changed on the admin page rings at once), else
        `agent_endpoints` of this file, else PJSIP/<id>."""
        if acd is not None:
            for agent in acd.agents:
                if agent.id == agent_id:
                    if agent.endpoint:
                        return agent.endpoint
                    break
        return self.agent_endpoints.get(agent_id, f"PJSIP/{agent_id}")


def _default_acd() -> AcdSettings:
    return AcdSettings(queues=(QueueSettings(name="general"),))


class ClusterSettings(_Section):
    """Several backend nodes on one PostgreSQL (docs: README "Several nodes"): one leads
    (holds a PostgreSQL advisory lock) and owns the ACD, the others wait to take over."""

    enabled: bool = False
    """Off: this process is the only node (SQLite or PostgreSQL). On: PostgreSQL only."""
    node: str = Field("node1", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    """This node's name, as /readyz, the metrics and the other nodes show it."""
    lease_s: float = Field(3.0, ge=1.0, le=60.0)
    """How long a leader that stops answering keeps the lock: PostgreSQL ends its lock
    session after this much silence (`idle_session_timeout`), and the leader itself stops
    acting a little sooner. A paused or cut-off leader is replaced after about this long."""
    heartbeat_s: float = Field(0.5, gt=0, le=20.0)
    """How often the leader renews its lease (a few times per `lease_s`)."""
    poll_s: float = Field(0.25, gt=0, le=10.0)
    """How often a standby tries the lock: a leader that died is replaced within this."""
    relay_timeout_s: float = Field(10.0, gt=0, le=120.0)
    """How long a standby waits for the leader to answer what it relays (a browser's API
    request, a desktop's feed, a caller the IVR queued) before it gives up with an error;
    the leader does not act on one it takes later (`callcenter.cluster.relay`)."""
    fastagi_address: str | None = None
    """This node's FastAGI as Asterisk reaches it (`host:port`, e.g. `backend:4573`): a
    standby that queued a caller sends them here while this node leads (the dialplan's
    `CC_LEADER`). None: `fastagi.host:fastagi.port` when that is a concrete address
    (`advertised_fastagi`)."""

    @field_validator("fastagi_address")
    @classmethod
    def _dialplan_safe(cls, value: str | None) -> str | None:
        return None if value is None else fastagi_address(value)

    @model_validator(mode="after")
    def _renewed_in_time(self) -> ClusterSettings:
        if self.heartbeat_s * 2 > self.lease_s:
            raise ValueError(
                f"heartbeat_s ({self.heartbeat_s}) must be at most half of lease_s "
                f"({self.lease_s}): a leader would lose its lease between two renewals"
            )
        return self


class Settings(BaseSettings):
    """Everything the service reads at start."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    service: ServiceSettings = ServiceSettings()
    asterisk: AsteriskSettings = AsteriskSettings()
    fastagi: FastAGISettings = FastAGISettings()
    ivr: IVRSettings = IVRSettings()
    database: DatabaseSettings = DatabaseSettings()
    cti: CTISettings = CTISettings()
    acd: AcdSettings = Field(default_factory=_default_acd)
    web: WebSettings = WebSettings()
    telephony: TelephonySettings = TelephonySettings()
    cluster: ClusterSettings = ClusterSettings()

    @model_validator(mode="after")
    def _cluster_on_postgresql(self) -> Settings:
        if self.cluster.enabled and not self.database.url.startswith("postgresql"):
            raise ValueError(
                "cluster.enabled needs database.url on PostgreSQL (the nodes share it and "
                "elect their leader with its advisory locks), not "
                f"{mask_url(self.database.url)}"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML file arrives as init kwargs; the environment must win over it.
        return (env_settings, init_settings)


def advertised_fastagi(settings: Settings) -> str | None:
    """Where Asterisk reaches this node's FastAGI (what a standby sends queued callers
    to): `cluster.fastagi_address`, else `fastagi.host:fastagi.port` when the host is one
    address (not a wildcard like 0.0.0.0) and the port fixed; None when neither says."""
    if settings.cluster.fastagi_address is not None:
        return settings.cluster.fastagi_address
    host, port = settings.fastagi.host, settings.fastagi.port
    if port == 0:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and address.is_unspecified:
        return None
    shown = f"[{address.compressed}]" if address is not None and address.version == 6 else host
    try:
        return fastagi_address(f"{shown}:{port}")
    except ValueError:
        return None


def line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                return key.start_mark.line + 1 if key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(path: Path, root: yaml.Node | None, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = _dotted(loc)
        env = ENV_PREFIX + "__".join(str(p) for p in loc).upper()
        source = f"{env} (environment)" if env in os.environ else f"{path}:{line_of(root, loc)}"
        value = err.get("input")
        if isinstance(value, str):
            value = mask_url(value)  # any URL with credentials (a CRM's, say)
        shown = "" if isinstance(value, dict | list) or value is None else f" (got {value!r})"
        if "secret" in key.lower() or key == "database.url":
            shown = ""  # the message of a database URL names it, masked
        lines.append(f"{source}: {key}: {err['msg']}{shown}")
    return "\n".join(lines)


def load_settings(path: Path, *, require_secrets: bool = True) -> Settings:
    """Read, validate and complete the settings in `path`; `SettingsError` on any problem.

    With `require_secrets=False` (the demo) a server without a secret is kept, secret None,
    and the service reports it instead of connecting.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the settings file: {exc.strerror}") from None
    try:
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SettingsError(f"{where}: not valid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SettingsError(f"{path}:1: the settings file must be a mapping of sections")
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise SettingsError(_describe(path, root, exc)) from None
    except EnvParsingError as exc:
        raise SettingsError(_env_problem(exc)) from None
    return _with_secrets(path, root, settings, require_secrets)


def _env_problem(exc: EnvParsingError) -> str:
    """Which environment variable could not be read, and why (a list or a mapping must be
    JSON: `CALLCENTER_ASTERISK__SERVERS='[{"name": "pbx1", ...}]'`)."""
    found = re.search(r'field "(\w+)"', str(exc))
    section = found.group(1).upper() if found else ""
    lines = []
    for name, value in sorted(os.environ.items()):
        if not name.upper().startswith(f"{ENV_PREFIX}{section}"):
            continue
        if not value.lstrip().startswith(("[", "{")):
            continue
        try:
            json.loads(value)
        except ValueError as error:
            lines.append(f"{name} (environment): not valid JSON: {error}")
    if not lines:
        lines.append(f"{ENV_PREFIX}{section}... (environment): {exc} ({exc.__cause__})")
    return "\n".join(lines)


def _with_secrets(
    path: Path, root: yaml.Node | None, settings: Settings, required: bool
) -> Settings:
    servers = []
    missing = []
    for i, configured in enumerate(settings.asterisk.servers):
        server = configured
        env_secret = os.environ.get(server.secret_env)
        if env_secret:
            server = server.model_copy(update={"secret": SecretStr(env_secret)})
        elif server.secret is None:
            line = line_of(root, ("asterisk", "servers", i))
            missing.append(
                f"{path}:{line}: asterisk.servers[{i}] ({server.name}): no AMI secret; "
                f"set {server.secret_env} in the environment"
            )
        servers.append(server)
    if missing and required:
        raise SettingsError("\n".join(missing))
    asterisk = settings.asterisk.model_copy(update={"servers": servers})
    return settings.model_copy(update={"asterisk": asterisk})
