"""The PBX side of the live center: what the ACD decides, done on Asterisk, and back.

`Telephony.build` wires the FastAGI scripts (`CallRoutes`: the IVR, the hold loop, the
survey), the `PbxExecutor` (offers as AMI Originates, withdrawals, announcements, the way
out) and the `AmiFacts` (Asterisk's events as the ACD's facts, resync after reconnects)
around one `PbxCalls` table.
"""

from callcenter.pbx.agi_routes import CallRoutes
from callcenter.pbx.ami_facts import AmiFacts
from callcenter.pbx.calls import AgentLeg, PbxCall, PbxCalls
from callcenter.pbx.executor import PbxExecutor
from callcenter.pbx.orders import OrderBook
from callcenter.pbx.telephony import Telephony, build_telephony

__all__ = [
    "AgentLeg",
    "AmiFacts",
    "CallRoutes",
    "OrderBook",
    "PbxCall",
    "PbxCalls",
    "PbxExecutor",
    "Telephony",
    "build_telephony",
]
