"""FastAGI: the sans-IO codec, the typed commands, and the asyncio server Asterisk calls.

Strategy: `codec` turns bytes into events and commands into bytes with no I/O (tested on
the recordings in `tests/fixtures/asterisk/agi/`); `session` gives a handler typed helpers
over one call; `server` accepts calls and routes them by script path. A handler::

    async def ivr(session: AGISession) -> None:
        await session.answer()
        choice = await session.get_data("main-menu", timeout_ms=5000, max_digits=1)
        await session.set_variable("IVR_CHOICE", choice.digits)

    server = FastAGIServer(port=4573)
    server.route("/ivr", ivr)
    await server.start()
"""

from callcenter.agi.codec import AGICodec, CodecState
from callcenter.agi.commands import (
    AGICommand,
    Answer,
    ChannelStatus,
    Exec,
    GenericCommand,
    GetData,
    GetFullVariable,
    GetVariable,
    Hangup,
    Noop,
    RecordFile,
    SayAlpha,
    SayDate,
    SayDatetime,
    SayDigits,
    SayNumber,
    SetMusic,
    SetVariable,
    StreamFile,
    Verbose,
    WaitForDigit,
)
from callcenter.agi.errors import (
    AGICommandError,
    AGIConnectionError,
    AGIError,
    AGIHangup,
    AGIPlaybackFailed,
    AGITimeoutError,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    UnsafeArgumentError,
)
from callcenter.agi.events import NEED_DATA, ConnectionClosed, Event, HangupNotice
from callcenter.agi.monitoring import (
    ServerCounters,
    SessionEnded,
    SessionEvent,
    SessionObserver,
    SessionOutcome,
    SessionStarted,
)
from callcenter.agi.request import AGIRequest
from callcenter.agi.responses import AGIResponse
from callcenter.agi.server import FastAGIServer, Handler
from callcenter.agi.session import AGISession, DigitsResult, RecordResult

__all__ = [
    "NEED_DATA",
    "AGICodec",
    "AGICommand",
    "AGICommandError",
    "AGIConnectionError",
    "AGIError",
    "AGIHangup",
    "AGIPlaybackFailed",
    "AGIRequest",
    "AGIResponse",
    "AGISession",
    "AGITimeoutError",
    "Answer",
    "ChannelStatus",
    "CodecState",
    "ConnectionClosed",
    "DigitsResult",
    "Event",
    "Exec",
    "FastAGIServer",
    "GenericCommand",
    "GetData",
    "GetFullVariable",
    "GetVariable",
    "Handler",
    "Hangup",
    "HangupNotice",
    "LocalProtocolError",
    "Noop",
    "ProtocolError",
    "RecordFile",
    "RecordResult",
    "RemoteProtocolError",
    "SayAlpha",
    "SayDate",
    "SayDatetime",
    "SayDigits",
    "SayNumber",
    "ServerCounters",
    "SessionEnded",
    "SessionEvent",
    "SessionObserver",
    "SessionOutcome",
    "SessionStarted",
    "SetMusic",
    "SetVariable",
    "StreamFile",
    "UnsafeArgumentError",
    "Verbose",
    "WaitForDigit",
]
