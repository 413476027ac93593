"""The Asterisk Manager Interface: a sans-IO codec and an asyncio client.

`AMIReader` / `AMIProtocol` turn bytes into typed messages with no I/O; `AMIClient` keeps
one logged-in connection per Asterisk server alive and correlates actions with replies.
"""

from callcenter.ami.actions import Action, encode_action
from callcenter.ami.client import AMIClient, AMIClientOptions, AMIServer
from callcenter.ami.codec import CLOSED, NEED_DATA, AMIReader
from callcenter.ami.connection import AMIActionError
from callcenter.ami.errors import (
    AMIActionTimeout,
    AMIAuthenticationError,
    AMIConnectionLost,
    AMIError,
    AMINotConnected,
    AMIProtocolError,
    AMIResyncError,
    LocalProtocolError,
    RemoteProtocolError,
)
from callcenter.ami.messages import ActionResult, Banner, Event, Response
from callcenter.ami.protocol import AMIProtocol
from callcenter.ami.subscription import (
    ConnectionChanged,
    EventsLost,
    EventSubscription,
    OverflowPolicy,
)

__all__ = [
    "CLOSED",
    "NEED_DATA",
    "AMIActionError",
    "AMIActionTimeout",
    "AMIAuthenticationError",
    "AMIClient",
    "AMIClientOptions",
    "AMIConnectionLost",
    "AMIError",
    "AMINotConnected",
    "AMIProtocol",
    "AMIProtocolError",
    "AMIReader",
    "AMIResyncError",
    "AMIServer",
    "Action",
    "ActionResult",
    "Banner",
    "ConnectionChanged",
    "Event",
    "EventSubscription",
    "EventsLost",
    "LocalProtocolError",
    "OverflowPolicy",
    "RemoteProtocolError",
    "Response",
    "encode_action",
]
