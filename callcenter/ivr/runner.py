"""Running an IVR flow over one FastAGI call.

Strategy: the interpreter (`ivr_flows`) decides, the runner acts. Each action becomes AGI
commands through the `AGISession` helpers, and Asterisk's answers become the next input: a
key over STREAM FILE or from WAIT FOR DIGIT, GET DATA's digits (it always ends on `#`),
silence as NoInput. Lookups go through the interfaces of `ivr_lookups`; one that fails is
logged and taken as "not found", so the caller still gets through. A hang-up (AGIHangup at
any command) ends the flow cleanly with the partial path. What the IVR hands on comes back
in the `IvrResult`; after EnqueueCall the session stays open, as the caller waits in the
queue on this same AGI session (docs/ARCHITECTURE.md, "Call lifecycle on Asterisk", step 3).

Recorded (tests/fixtures/asterisk/agi/): a channel may be up already (the survey: CHANNEL STATUS
6), so ANSWER only when it is not. A prompt Asterisk cannot play (STREAM FILE `result=-1
endpos=0`, recorded; GET DATA `result=-1` on a live channel, from res_agi.c) is skipped as if
it had played and logged once per call (`callcenter.ivr.prompts`): the flow goes on.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import structlog

from callcenter.agi import AGIHangup, AGISession
from callcenter.db.phones import try_e164
from callcenter.ivr.dialplan import DONE_VARIABLE
from callcenter.ivr.loader import FlowLibrary
from callcenter.ivr.lookups import CustomerDirectory, SelfServiceData, WaitEstimates
from callcenter.ivr.prompts import CallPrompts
from callcenter.ivr.voicemail import message_file, record_message
from ivr_flows import (
    DTMF_KEYS,
    Calendar,
    CallerHungUp,
    CallStarted,
    Collect,
    DigitsReceived,
    EnqueueCall,
    EstimateWait,
    Finished,
    Hangup,
    InputIgnored,
    IvrAction,
    IvrInput,
    IvrInterpreter,
    LookupAnswered,
    LookupCustomer,
    LookupData,
    NoInput,
    Play,
    PromptPlayed,
    RecordingDone,
    RecordingFailed,
    RecordVoicemail,
    RequestCallback,
    SayDate,
    SayDigits,
    SayNumber,
    SetLanguage,
    StoreSurvey,
    Transfer,
    WaitEstimated,
)

log = structlog.get_logger(__name__)

CHANNEL_UP = 6
"""CHANNEL STATUS of a channel that is up (answered)."""


@dataclass(frozen=True, slots=True)
class VoicemailRecorded:
    """A message a caller left: the queue it is for, Asterisk's file (no extension), length."""

    queue: str
    file: str
    seconds: float


@dataclass(frozen=True, slots=True)
class VoicemailFailed:
    """A message that could not be recorded: its queue, the file Asterisk was asked to
    write (no extension), and Asterisk's reply (`200 result=-1 (writefile)`)."""

    queue: str
    file: str
    error: str


Handoff = (
    EnqueueCall | RequestCallback | StoreSurvey | Transfer | VoicemailRecorded | VoicemailFailed
)
"""Something the IVR passed on for the rest of the service to act on."""


@dataclass(frozen=True, slots=True)
class IvrResult:
    """How a call's IVR ended: outcome, visited nodes, collected data, what it handed on,
    and when the call entered the IVR."""

    flow: str
    outcome: str
    path: tuple[str, ...]
    data: Mapping[str, str]
    hung_up: bool
    handoffs: tuple[Handoff, ...]
    started: datetime | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class IvrRunner:
    """Runs calls through the flows of a `FlowLibrary` over their AGI sessions.

    `voicemail_dir` is the folder Asterisk writes messages into, `<queue>-<uniqueid>.wav`
    (Asterisk's own path; it must exist and be writable for Asterisk: see
    `callcenter.ivr.voicemail`); a transfer dials `Local/<number>@<transfer_context>`. A
    callback is offered only to a number valid in `region` (settings `cti.default_region`)
    or with its country code: the one the callback store will take.
    """

    def __init__(
        self,
        library: FlowLibrary,
        directory: CustomerDirectory,
        self_service: SelfServiceData,
        *,
        waits: WaitEstimates | None = None,
        clock: Callable[[], datetime] = _utc_now,
        voicemail_dir: str = "/var/spool/asterisk/callcenter",
        transfer_context: str = "outbound",
        transfer_ring_s: int = 60,
        region: str = "DE",
    ) -> None:
        self._library = library
        self._directory = directory
        self._self_service = self_service
        self._waits = waits
        self._clock = clock
        self._voicemail_dir = voicemail_dir.rstrip("/")
        self._transfer_context = transfer_context
        self._transfer_ring_s = transfer_ring_s
        self._region = region
        self.calendars: Mapping[str, Calendar] = {}
        """Opening hours by name that win over the flows' own (the center's configuration
        in force); a call takes those in force as it enters the IVR."""

    def _dialable(self, number: str) -> bool:
        return try_e164(number, self._region) is not None

    async def run(
        self, session: AGISession, flow: str | None = None, *, prompts: CallPrompts | None = None
    ) -> IvrResult:
        """Run the call through `flow` (default: chosen by script and dialled number).

        `prompts` plays the call's prompts (pass the call's own to keep its log of missing
        sounds across the IVR and the wait in the queue); default: a new one.
        """
        request = session.request
        prompts = prompts or CallPrompts(session)
        name = flow or self._library.flow_for(
            script=request.script, dnis=request.dnid or request.extension
        )
        interpreter = IvrInterpreter(
            self._library.flows,
            name,
            timezone=self._library.timezone,
            dialable=self._dialable,
            calendars=self.calendars,
        )
        handoffs: list[Handoff] = []
        # One info line per call (`ivr.finished`); at 100 calls a second a second line per
        # call was 3% of the service's CPU. The start is there for debugging.
        log.debug("ivr.started", flow=name)
        started = self._clock()
        try:
            if await session.channel_status() != CHANNEL_UP:
                await session.answer()
            call = {
                "caller_number": request.caller_number or "",
                "dnis": request.dnid or "",
                "call_id": request.uniqueid,
            }
            event: IvrInput | None = CallStarted(self._clock(), call)
            while event is not None:
                event = await self._perform(interpreter.handle(event), prompts, handoffs)
        except AGIHangup:
            if interpreter.finished is None:
                last = interpreter.handle(CallerHungUp(self._clock()))
                handoffs += [action for action in last if isinstance(action, StoreSurvey)]
        end = interpreter.finished
        if end is None:
            raise RuntimeError("the IVR interpreter ended without finishing the call")
        log.info(
            "ivr.finished",
            flow=name,
            outcome=end.outcome,
            hung_up=end.hung_up,
            path=end.path,
            seconds=round((self._clock() - started).total_seconds(), 1),
        )
        return IvrResult(
            name, end.outcome, end.path, end.data, end.hung_up, tuple(handoffs), started
        )

    async def _perform(
        self, actions: list[IvrAction], prompts: CallPrompts, handoffs: list[Handoff]
    ) -> IvrInput | None:
        """Carry out the actions in order; the input that answers the last, None at the end."""
        answer: IvrInput | None = None
        for action in actions:
            if isinstance(action, Finished):
                return None
            if isinstance(action, EnqueueCall | RequestCallback | StoreSurvey | Transfer):
                handoffs.append(action)
            answer = await self._act(action, prompts, handoffs)
        if answer is None:
            # Names only: the actions' data holds the caller's number.
            kinds = ", ".join(type(action).__name__ for action in actions)
            raise RuntimeError(f"no IVR action awaits an answer among: {kinds}")
        return answer

    async def _act(
        self, action: IvrAction, prompts: CallPrompts, handoffs: list[Handoff]
    ) -> IvrInput | None:
        session = prompts.session
        match action:
            case Play():
                for prompt in action.prompts:
                    key = await prompts.stream(prompt, action.escape_digits)
                    if key is not None:
                        return DigitsReceived(self._clock(), key)
                return PromptPlayed(self._clock())
            case Collect():
                return await self._collect(prompts, action)
            case SayDigits():
                await session.say_digits(action.digits)
                return PromptPlayed(self._clock())
            case SayNumber():
                await session.say_number(action.number)
                return PromptPlayed(self._clock())
            case SayDate():
                await session.say_date(_noon_utc(action.day))
                return PromptPlayed(self._clock())
            case LookupCustomer() | LookupData():
                return await self._lookup(action)
            case EstimateWait():
                return WaitEstimated(self._clock(), await self._estimate(action.queue))
            case RecordVoicemail():
                return await self._record(prompts, action, handoffs)
            case SetLanguage():
                await session.set_variable("CHANNEL(language)", action.language)
            case Transfer():
                target = f"Local/{action.number}@{self._transfer_context}"
                # The IVR's work ends with the transfer: should this node go away while
                # the caller talks, the dialplan must not start the flow again elsewhere.
                await session.set_variable(DONE_VARIABLE, "1")
                await session.exec("Dial", target, str(self._transfer_ring_s))
            case Hangup():
                await session.hangup()
            case InputIgnored():
                log.warning("ivr.input_ignored", input=action.input_name, reason=action.reason)
        return None

    async def _collect(self, prompts: CallPrompts, action: Collect) -> IvrInput:
        timeout_ms = int(action.timeout_s * 1000)
        by_get_data = action.terminator == "#"
        keys = ""
        for prompt in action.prompts[:-1] if by_get_data else action.prompts:
            pressed = await prompts.stream(prompt, DTMF_KEYS)
            if pressed is not None:
                keys = pressed
                break
        if not keys and by_get_data:
            result = await prompts.get_data(action.prompts[-1], timeout_ms, action.max_digits)
            keys = result.digits
        else:
            # Keys typed over a prompt, or no GET DATA for this terminator: read key by key.
            while not _complete(keys, action):
                key = await prompts.session.wait_for_digit(timeout_ms)
                if key is None:
                    break
                keys += key
        if action.terminator is not None:
            keys = keys.removesuffix(action.terminator)
        return DigitsReceived(self._clock(), keys) if keys else NoInput(self._clock())

    async def _lookup(self, action: LookupCustomer | LookupData) -> LookupAnswered:
        try:
            fields = await self._fetch(action)
        except Exception:
            # The caller still gets through, down the not-found branch; the cause is logged.
            log.exception("ivr.lookup_failed", lookup=type(action).__name__)
            return LookupAnswered(self._clock(), None, failed=True)
        return LookupAnswered(self._clock(), fields)

    async def _estimate(self, queue: str) -> float | None:
        if self._waits is None:
            return None
        try:
            estimate = self._waits.estimated_wait(queue)
            if inspect.isawaitable(estimate):
                estimate = await estimate
        except Exception:
            # An unknown wait takes the flow's "not above" branch; the cause is logged.
            log.exception("ivr.estimate_failed", queue=queue)
            return None
        return estimate

    async def _fetch(self, action: LookupCustomer | LookupData) -> dict[str, str] | None:
        if isinstance(action, LookupCustomer):
            if action.by == "caller_number":
                customer = await self._directory.by_phone(action.key)
            else:
                customer = await self._directory.by_account(action.key)
            return customer.fields() if customer else None
        if action.kind == "order_status":
            order = await self._self_service.order_status(action.key)
            return order.fields() if order else None
        raise ValueError(f"no self-service data of kind {action.kind!r}")

    async def _record(
        self, prompts: CallPrompts, action: RecordVoicemail, handoffs: list[Handoff]
    ) -> IvrInput:
        session = prompts.session
        for prompt in action.prompts:
            await prompts.stream(prompt)
        file = message_file(self._voicemail_dir, action.queue, session.request.uniqueid)
        recording = await record_message(session, file, action.max_seconds)
        if recording.error is not None:
            handoffs.append(VoicemailFailed(action.queue, file, recording.error))
            return RecordingFailed(self._clock())
        handoffs.append(VoicemailRecorded(action.queue, file, recording.seconds))
        return RecordingDone(self._clock(), recording.seconds)


def _complete(keys: str, action: Collect) -> bool:
    if action.terminator is not None and keys.endswith(action.terminator):
        return True
    return len(keys) >= action.max_digits


def _noon_utc(day: date) -> int:
    # Asterisk says the date in its own zone; noon UTC is the same day from UTC-11 to +11.
    return int(datetime.combine(day, time(12), tzinfo=UTC).timestamp())
