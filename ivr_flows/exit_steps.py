"""How queue, voicemail, transfer and hang-up nodes behave on a call.

Strategy: these are where the IVR's work leaves the interpreter. A queue node ends the IVR
with EnqueueCall, carrying the collected data so the agent never asks twice; a voicemail
records and goes on (to its `failed` exit when nothing could be recorded); transfer and
hang-up end the call.
"""

from __future__ import annotations

from types import MappingProxyType

from ivr_flows.actions import EnqueueCall, Hangup, Play, RecordVoicemail, Transfer
from ivr_flows.inputs import IvrInput, RecordingDone, RecordingFailed
from ivr_flows.nodes_exits import HangupNode, QueueNode, TransferNode, VoicemailNode
from ivr_flows.steps import CallContext, End, Go, Step, Visit, Wait

ExitNode = QueueNode | VoicemailNode | TransferNode | HangupNode
"""The node types handled here."""

VOICEMAIL_FAILED_PROMPTS = ("vm-goodbye",)
"""What a caller hears when their message could not be recorded and the node has no
`failed` exit: a stock Asterisk sound, so that every deployment has it."""


def enter(node: ExitNode, visit: Visit, ctx: CallContext) -> Step:
    """Start the node."""
    match node:
        case QueueNode():
            return End("queued", (_enqueue(node, ctx.data),))
        case VoicemailNode():
            return Wait((RecordVoicemail(node.queue, node.prompts, node.max_seconds),))
        case TransferNode():
            return End("transferred", (Transfer(node.number),))
        case HangupNode():
            # The node's label names calls that achieved nothing else (no voicemail ...).
            ctx.outcome = ctx.outcome or node.outcome
            return End(None, (Hangup(),))


def resume(node: ExitNode, visit: Visit, event: IvrInput, ctx: CallContext) -> Step:
    """Take the end of a recording."""
    if isinstance(node, VoicemailNode) and isinstance(event, RecordingDone):
        ctx.data["voicemail.seconds"] = f"{max(event.seconds, 0.0):.0f}"
        ctx.outcome = "voicemail"
        return Go(node.next)
    if isinstance(node, VoicemailNode) and isinstance(event, RecordingFailed):
        ctx.outcome = "voicemail_failed"
        if node.failed is not None:
            return Go(node.failed)
        return End(None, (Play(VOICEMAIL_FAILED_PROMPTS), Hangup()))
    raise ValueError(f"{type(node).__name__} takes no {type(event).__name__}")


def _enqueue(node: QueueNode, data: dict[str, str]) -> EnqueueCall:
    skills, priority = node.routing(data)
    keys = data if node.attach is None else [key for key in node.attach if key in data]
    attached = {key: data[key] for key in keys}
    return EnqueueCall(node.queue, MappingProxyType(skills), priority, MappingProxyType(attached))
