"""The live call center: the task owning the ACD core, and what follows its commands.

`LiveCenter` bundles the `AcdHost` (the one task applying every fact and request to the
core), the `CallRegistry` of call contexts, the screen `PopService`, the event-log and
interaction `Recorder`, the agent desktops' `AgentFeed` and the `WallboardFeed`.
"""

from callcenter.live.agent_feed import AgentFeed
from callcenter.live.calls import CallInfo, CallRegistry
from callcenter.live.center import LiveCenter
from callcenter.live.fanout import Mailbox
from callcenter.live.host import AcdHost, CommandListener
from callcenter.live.pops import PopService
from callcenter.live.recorder import Recorder
from callcenter.live.views import JSON
from callcenter.live.wallboard import Scope, WallboardFeed

__all__ = [
    "JSON",
    "AcdHost",
    "AgentFeed",
    "CallInfo",
    "CallRegistry",
    "CommandListener",
    "LiveCenter",
    "Mailbox",
    "PopService",
    "Recorder",
    "Scope",
    "WallboardFeed",
]
