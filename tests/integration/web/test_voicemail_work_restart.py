"""After a restart, a voicemail work item the replay put back in line gets its pop again."""

from __future__ import annotations

from datetime import UTC, datetime

from acd import VoicemailQueued
from callcenter.db import RecordVoicemail
from callcenter.live.voicemail_work import restore_contexts
from tests.web_site import CALLER, CUSTOMER, Site


async def test_given_work_items_without_context_then_each_gets_its_messages_caller_back(
    site: Site,
) -> None:
    center = site.center
    inbox = site.backend.context.voicemails
    assert inbox is not None
    at = datetime.now(UTC)
    site.writer.submit(RecordVoicemail("1732280000.9", "general", CALLER, site.customer_id, 4, at))
    await site.flush()
    # As the replay leaves them: in line, nothing in the call registry.
    center.host.submit(VoicemailQueued(center.host.now(), "vm-1732280000.9", "general"))
    center.host.submit(VoicemailQueued(center.host.now(), "vm-gone", "general"))
    await center.host.drain()

    assert await restore_contexts(center, inbox) == 1

    info = center.calls.get("vm-1732280000.9")
    assert info is not None
    assert (info.caller_number, info.customer_name, info.queue) == (CALLER, CUSTOMER, "general")
    assert center.calls.get("vm-gone") is None
    assert await restore_contexts(center, inbox) == 0  # already known: nothing again
