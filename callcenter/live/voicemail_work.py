"""Voicemail work after a restart: the desk's pop for a message the replay put back in line.

Strategy: the PBX side registers a message's context (caller, customer) as it queues the
work item `vm-<call id>`; the registry lives in memory, so after a restart the replayed
line holds work items with no context, and the desk would offer "unknown caller". The
inbox has what the pop needs: each work item still in the ACD gets its context again from
its message before the service takes calls.
"""

from __future__ import annotations

import structlog

from callcenter.db.voicemails import VoicemailNotFound, VoicemailRepository
from callcenter.live.calls import CallInfo
from callcenter.live.center import LiveCenter

log = structlog.get_logger(__name__)

PREFIX = "vm-"
"""A message's work item is known to the ACD as `vm-<the call's uniqueid>`."""


async def restore_contexts(center: LiveCenter, inbox: VoicemailRepository) -> int:
    """Register again the context of every voicemail work item in the ACD; how many."""
    host = center.host
    core, now = host.acd, host.now()
    held = [v.call_id for q in core.settings.queues for v in core.waiting_calls(q.name, now)]
    held += [a.call_id for a in core.agent_views(now) if a.call_id is not None]
    restored = 0
    for entry in dict.fromkeys(held):
        if not entry.startswith(PREFIX) or center.calls.get(entry) is not None:
            continue
        try:
            message = await inbox.by_call(entry.removeprefix(PREFIX))
        except VoicemailNotFound:
            log.warning("voicemail.work_without_message", call_id=entry)
            continue
        center.calls.add(
            CallInfo(
                entry,
                message.caller_number,
                None,
                message.recorded_at.timestamp(),
                message.queue,
                ivr_answers={"voicemail_of": message.call_id},
                customer_id=message.customer_id,
                customer_name=message.customer_name,
            )
        )
        restored += 1
    if restored:
        log.info("voicemail.work_resumed", messages=restored)
    return restored
