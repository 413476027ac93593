"""The web channel: a public "call me back" form and the endpoint it posts to.

Strategy: `GET /api/public/callback/form` gives the page a signed form token and the topics
offered (queues); `POST /api/public/callback` turns a filled form into a callback request in
the same lifecycle as the IVR's (the `callbacks` table, the ACD's `CallbackRequested`, the
agent-first dialling). Neither needs a login, so neither takes a CSRF token; what protects
them is in `callcenter.web.public` and checked here in this order: the channel is enabled, a
JSON body of bounded size, the per-address limit (before anything else is read, refused
requests count too), the strict body model, the honeypot, the form token (genuine, not
stale, not filled in faster than a person can), the number (E.164 in the center's region,
in an allowed region, not premium rate), the topic, the window, the per-number limit, and
the duplicate (a number with a pending callback gets that one's answer, not a second).

When: "as soon as possible" while the topic's queue is open joins the line at once; while it
is closed (its calendar in `queue_hours`), or for a chosen window, the request is stored for
its time and `callcenter.live.callback_schedule` puts it in line then. The answer tells the
customer when to expect the call: "within about N minutes" from the queue's estimated wait,
or the day and time it is scheduled for ("tomorrow from 08:00"), in the center's time zone.
Nothing the customer typed is ever written into HTML by the server (answers are JSON; the
page sets text, never markup). Refusals are logged with the address and the number masked.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import phonenumbers
import structlog
from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from acd import AcdError
from callcenter.app.logsetup import mask_number
from callcenter.app.settings import PublicCallbackSettings
from callcenter.db import Callback, InvalidPhoneNumber
from callcenter.db.phones import to_e164
from callcenter.live.callback_schedule import enqueue_callback
from callcenter.live.calls import CallInfo
from callcenter.web.auth import client_address
from callcenter.web.context import CONTEXT
from callcenter.web.endpoint import Api, ApiRequest
from callcenter.web.errors import ApiError
from callcenter.web.public import FormTokens, PublicGuard
from ivr_flows import Calendar

log = structlog.get_logger(__name__)
api = Api()

GUARD = web.AppKey("public_guard", PublicGuard)
"""The public endpoint's counters and token key, one per application."""

HOUR = 3600.0
DAY = 86_400.0
MAX_BODY = 65_536
"""The hard cap on a body read here; `max_body_bytes` (smaller) is checked before reading."""
REFUSED_PREMIUM = {
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    phonenumbers.PhoneNumberType.SHARED_COST: "a shared-cost number",
}
"""Numbers the form never makes the center call (they would cost the center money)."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PublicCallbackIn(_In):
    """A filled "call me back" form."""

    number: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=80)
    topic: str = Field(min_length=1, max_length=64)
    when: Literal["asap", "window"] = "asap"
    window_start: AwareDatetime | None = None
    """With `when: window`: the earliest time to call (any offset; stored in UTC)."""
    window_end: AwareDatetime | None = None
    """With `when: window`: the latest time to call."""
    token: str = Field(max_length=100)
    """The form token of `GET /api/public/callback/form`."""
    website: str = Field("", max_length=200)
    """Left empty by people (the field is hidden); filled by form-filling robots."""

    @field_validator("name")
    @classmethod
    def _printable(cls, name: str) -> str:
        if not name.isprintable():
            raise ValueError("must be printable text (no control characters or line breaks)")
        return name


class TopicOut(BaseModel):
    """A topic the form offers: the queue (`id`) and what the form shows for it."""

    id: str
    label: str


class PublicFormOut(BaseModel):
    """What the page needs to show the form."""

    enabled: bool
    token: str
    topics: list[TopicOut]
    max_days_ahead: int
    timezone: str
    """The center's time zone (the answers' times are in it)."""


class PublicCallbackOut(BaseModel):
    """The answer to a filled form: when to expect the call."""

    id: int
    status: Literal["queued", "scheduled"]
    """`queued`: in line now; `scheduled`: put in line at `expected_at`."""
    expected_at: datetime
    """The earliest time the call is expected (UTC)."""
    expected: str
    """When, in words: "within about 10 minutes", "tomorrow from 08:00"."""
    message: str
    duplicate: bool = False
    """True when the number already had a pending callback: this is that one."""


def install(app: web.Application, ui: Path, settings: PublicCallbackSettings) -> None:
    """Give `app` its guard (the token key from `settings`, else random) and serve the
    form page at /callme with its own framing policy."""
    key = settings.form_secret.get_secret_value().encode() if settings.form_secret else None
    app[GUARD] = PublicGuard(FormTokens(key))
    page = ui / "callme.html"

    async def callme(request: web.Request) -> web.StreamResponse:
        public = request.app[CONTEXT].settings.web.public_callback
        ancestors = " ".join(public.frame_ancestors) or "'none'"
        return web.FileResponse(
            page,
            headers={
                "Cache-Control": "no-cache",
                # The one page other sites may frame: only the configured origins.
                "Content-Security-Policy": (
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                    f"connect-src 'self'; form-action 'self'; frame-ancestors {ancestors}"
                ),
            },
        )

    app.router.add_get("/callme", callme)


def _settings(req: ApiRequest) -> PublicCallbackSettings:
    return req.ctx.settings.web.public_callback


def _address(req: ApiRequest) -> str:
    request = req.request
    return client_address(
        request.remote, request.headers.get("X-Forwarded-For"), req.ctx.settings.web.trusted_proxies
    )


def _refuse(
    req: ApiRequest,
    status: int,
    code: str,
    message: str,
    *,
    reason: str,
    number: str | None = None,
    field: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """Log an abuse refusal (address, number masked) and make its answer."""
    log.warning(
        "web.public_callback_refused",
        reason=reason,
        address=_address(req),
        number=mask_number(number) if number else None,
    )
    details = [{"field": field, "problem": message, "in": "body"}] if field else []
    headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after is not None else None
    return ApiError(status, code, message, details, headers=headers)


async def _guard(req: ApiRequest) -> None:
    """Before the body is read: enabled, JSON, size, and the per-address limit."""
    public = _settings(req)
    if not public.enabled:
        raise ApiError(404, "not_found", "callbacks from the web are switched off")
    request = req.request
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "the body must be JSON (application/json)")
    length = request.content_length
    if length is None:
        raise ApiError(411, "length_required", "the request needs a Content-Length")
    if length > public.max_body_bytes:
        raise _refuse(
            req,
            413,
            "too_large",
            f"the body is larger than {public.max_body_bytes} bytes",
            reason="too_large",
        )
    address = _address(req)
    wait = req.request.app[GUARD].addresses.hit(
        address, req.ctx.center.host.now(), limit=public.per_address_per_hour, window_s=HOUR
    )
    if wait is not None:
        raise _refuse(
            req,
            429,
            "rate_limited",
            f"too many requests from your address; try again in {_minutes(wait)}",
            reason="address_limit",
            retry_after=wait,
        )


def _minutes(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _topics(req: ApiRequest) -> list[TopicOut]:
    public = _settings(req)
    configured = [q.name for q in req.ctx.settings.acd.queues]
    offered = [q for q in public.queues if q in configured] if public.queues else configured
    return [TopicOut(id=q, label=public.labels.get(q, q)) for q in offered]


@api.route(
    "GET",
    "/api/public/callback/form",
    roles=None,
    response=PublicFormOut,
    summary="The public callback form: a fresh form token and the topics offered (no login)",
    tag="public",
)
async def callback_form(req: ApiRequest) -> PublicFormOut:
    public = _settings(req)
    return PublicFormOut(
        enabled=public.enabled,
        token=req.request.app[GUARD].tokens.issue(req.ctx.center.host.now()),
        topics=_topics(req) if public.enabled else [],
        max_days_ahead=public.max_days_ahead,
        timezone=req.ctx.settings.ivr.timezone,
    )


def _number(req: ApiRequest, raw: str) -> str:
    public = _settings(req)
    region = req.ctx.settings.cti.default_region
    try:
        e164 = to_e164(raw, region)
    except InvalidPhoneNumber as exc:
        raise ApiError(
            422,
            "invalid_request",
            f"number: {exc}",
            [{"field": "number", "problem": str(exc), "in": "body"}],
        ) from None
    parsed = phonenumbers.parse(e164)
    allowed = public.countries or [region]
    where = phonenumbers.region_code_for_number(parsed)
    problem = None
    if where not in allowed:
        problem = f"only numbers in {', '.join(allowed)} are called back"
    elif (kind := phonenumbers.number_type(parsed)) in REFUSED_PREMIUM:
        problem = f"{REFUSED_PREMIUM[kind]} is not called back"
    if problem is not None:
        raise _refuse(
            req, 422, "invalid_request", f"number: {problem}", reason="number", field="number"
        )
    return e164


def _field(name: str, problem: str) -> ApiError:
    return ApiError(
        422,
        "invalid_request",
        f"{name}: {problem}",
        [{"field": name, "problem": problem, "in": "body"}],
    )


async def _calendar(req: ApiRequest, queue: str) -> Calendar | None:
    """The calendar opening and closing `queue` in the configuration in force, if any."""
    stored = await req.ctx.config_versions.current()
    if stored is None:
        return None
    center = stored.center
    name = center.queue_hours.get(queue)
    if name is None or name not in center.calendars:
        return None
    return center.calendars[name].calendar()


def _in_words(due: datetime, now: datetime, zone: tzinfo) -> str:
    """ "today from 14:00", "tomorrow from 08:00", "on Monday 7 December from 08:00"."""
    local, today = due.astimezone(zone), now.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return f"today from {clock}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow from {clock}"
    return f"on {local.strftime('%A')} {local.day} {local.strftime('%B')} from {clock}"


def _answer(
    req: ApiRequest, stored: Callback, now: datetime, *, duplicate: bool
) -> PublicCallbackOut:
    zone = ZoneInfo(req.ctx.settings.ivr.timezone)
    if stored.window_start > now:
        expected = _in_words(stored.window_start, now, zone)
        status: Literal["queued", "scheduled"] = "scheduled"
        at = stored.window_start
    else:
        host = req.ctx.center.host
        status, at = "queued", now
        try:
            wait = host.acd.queue_stats(stored.queue or "", host.now()).estimated_wait
        except AcdError:  # the queue went with a configuration change: no estimate
            wait = None
        if wait is None:
            expected = "as soon as an agent is free"
        else:
            expected = f"within about {_minutes(wait)}"
            at = now + timedelta(seconds=wait)
    message = f"Thank you. We will call you back {expected}."
    if duplicate:
        message = f"We already have your request: we will call you back {expected}."
    return PublicCallbackOut(
        id=stored.id,
        status=status,
        expected_at=at,
        expected=expected,
        message=message,
        duplicate=duplicate,
    )


def _check_form(req: ApiRequest, body: PublicCallbackIn, clock: float) -> None:
    """The honeypot and the form token: refused when a robot is likely."""
    public = _settings(req)
    if body.website:
        raise _refuse(
            req,
            422,
            "refused",
            "the request was refused as automated; please use the form",
            reason="honeypot",
        )
    age = req.request.app[GUARD].tokens.age(body.token, clock)
    if age is None or age > public.form_max_age_s or age < -5:
        raise _refuse(
            req,
            422,
            "form_expired",
            "the form has expired; reload the page and send it again",
            reason="token",
            field="token",
        )
    if age < public.min_fill_s:
        raise _refuse(
            req,
            429,
            "too_fast",
            "the form was sent too quickly; wait a moment and send it again",
            reason="too_fast",
            retry_after=public.min_fill_s - age,
        )


def _window(req: ApiRequest, body: PublicCallbackIn, now: datetime) -> tuple[datetime, datetime]:
    """The window asked for: now for "as soon as possible", else the chosen one (checked)."""
    public = _settings(req)
    if body.when == "asap":
        return now, now + timedelta(hours=public.window_hours)
    if body.window_start is None:
        raise _field("window_start", "a window needs its start")
    if body.window_end is None:
        raise _field("window_end", "a window needs its end")
    start, end = body.window_start.astimezone(UTC), body.window_end.astimezone(UTC)
    if end <= now:
        raise _field("window_end", "must be in the future")
    if end <= start:
        raise _field("window_end", "must be after window_start")
    if start > now + timedelta(days=public.max_days_ahead):
        raise _field("window_start", f"must be within {public.max_days_ahead} days")
    return max(start, now), end


async def _within_hours(
    req: ApiRequest, body: PublicCallbackIn, window: tuple[datetime, datetime], now: datetime
) -> tuple[datetime, datetime]:
    """The window moved to the queue's opening hours: outside them the call is due when it
    opens next ("the next working day" is the next day its calendar is open)."""
    public = _settings(req)
    start, end = window
    calendar = await _calendar(req, body.topic)
    if calendar is None:
        return window
    zone = ZoneInfo(req.ctx.settings.ivr.timezone)
    opens = calendar.next_open(start, zone, within_days=public.max_days_ahead + 7)
    if opens is None:
        raise _field("topic", "this line is not open in the coming days; please call us")
    if body.when == "asap":
        return opens, opens + timedelta(hours=public.window_hours)
    if opens >= end:
        raise _field(
            "window_start",
            f"we are closed during this window; we are open {_in_words(opens, now, zone)}",
        )
    return opens, end


def _limit_number(req: ApiRequest, number: str, clock: float) -> None:
    public = _settings(req)
    wait = req.request.app[GUARD].numbers.hit(
        number, clock, limit=public.per_number_per_day, window_s=DAY
    )
    if wait is not None:
        raise _refuse(
            req,
            429,
            "rate_limited",
            f"too many requests for this number; try again in {_minutes(wait)}",
            reason="number_limit",
            number=number,
            retry_after=wait,
        )


@api.route(
    "POST",
    "/api/public/callback",
    roles=None,
    body=PublicCallbackIn,
    response=PublicCallbackOut,
    status=201,
    summary="Ask to be called back (the web channel; no login, rate-limited, form token)",
    tag="public",
    guard=_guard,
    max_body=MAX_BODY,
)
async def request_callback(req: ApiRequest) -> web.StreamResponse | PublicCallbackOut:
    body = req.body(PublicCallbackIn)
    ctx = req.ctx
    clock = ctx.center.host.now()
    now = datetime.fromtimestamp(clock, UTC)
    _check_form(req, body, clock)
    number = _number(req, body.number)
    topics = {t.id: t.label for t in _topics(req)}
    if body.topic not in topics:
        raise _field("topic", f"not a topic offered (one of: {', '.join(topics)})")
    window = _window(req, body, now)
    _limit_number(req, number, clock)
    existing = await ctx.callbacks.pending_for(number)
    if existing is not None:
        log.info("web.public_callback_duplicate", callback=existing.id, number=mask_number(number))
        answer = _answer(req, existing, now, duplicate=True)
        return web.Response(
            status=200, body=answer.model_dump_json(), content_type="application/json"
        )
    start, end = await _within_hours(req, body, window, now)
    queue = body.topic
    customer = await ctx.customers.find_by_phone(number)
    stored = await ctx.callbacks.request(
        number=number,
        window_start=start,
        window_end=end,
        now=now,
        queue=queue,
        customer_id=customer.id if customer is not None else None,
        name=body.name,
        channel="web",
    )
    answers = {"channel": "web", "topic": topics[queue], "name": body.name}
    name = customer.name if customer is not None else body.name
    if stored.window_start > now:
        # Known now for the pop when the scheduler puts it in line.
        ctx.center.calls.add(
            CallInfo(
                f"cb-{stored.id}",
                stored.number,
                None,
                clock,
                queue,
                ivr_answers=answers,
                customer_id=stored.customer_id,
                customer_name=name,
            )
        )
    else:
        enqueue_callback(ctx.center, stored, queue=queue, answers=answers, customer_name=name)
    answer = _answer(req, stored, now, duplicate=False)
    log.info(
        "web.public_callback",
        callback=stored.id,
        queue=queue,
        status=answer.status,
        address=_address(req),
        number=mask_number(number),
    )
    return answer
