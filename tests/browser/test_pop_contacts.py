"""The pop's history lists every contact: calls of every ending, callbacks and each attempt
(an interaction of its own, shown once, with the notes its agent wrote), and each automated
follow-up call with its ticket and result."""

import datetime as dt

from callcenter.db import InteractionData
from cti.followups import FollowUpMode, FollowUpRule
from tests.browser.helpers import assert_no_js_errors, chromium, expect, go_ready, login, screenshot
from tests.web_site import CALLER


async def test_given_a_customer_called_back_twice_when_they_call_then_the_pop_lists_it_all(site):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    await site.backend.context.interactions.save(
        InteractionData(
            uniqueid="1732270000.1",
            arrived_at=now - dt.timedelta(hours=3),
            caller_number=CALLER,
            customer_id=site.customer_id,
            ivr_path=("welcome", "menu"),
            ended_at=now - dt.timedelta(hours=3) + dt.timedelta(seconds=20),
            outcome="abandoned_in_ivr",
        )
    )
    callbacks = site.backend.context.callbacks
    request = await callbacks.request(
        number=CALLER,
        window_start=now - dt.timedelta(hours=2),
        window_end=now + dt.timedelta(hours=2),
        now=now - dt.timedelta(hours=2),
        queue="general",
        customer_id=site.customer_id,
    )
    for hours, result in ((1.5, "busy"), (1.0, "no-answer")):
        await callbacks.record_attempt(
            request.id,
            reached=False,
            now=now - dt.timedelta(hours=hours),
            agent="agent2",
            result=result,
        )
    await site.backend.context.interactions.annotate(
        f"cb-{request.id}-1", notes="line busy, left no message"
    )
    # Half an hour ago an automated follow-up call about a resolved ticket: 1 pressed.
    tickets = site.backend.context.tickets
    tickets.use_followups(lambda category: FollowUpRule(FollowUpMode.AUTOMATED, delay_hours=0))
    ticket = await tickets.open(
        customer_id=site.customer_id, category="complaint", subject="late", now=now
    )
    await tickets.move(ticket.id, "resolved", now=now - dt.timedelta(hours=1))
    [call] = await tickets.claim_due(now - dt.timedelta(minutes=30))
    answered = now - dt.timedelta(minutes=29)
    await tickets.answer_followup(
        call.id, True, now=answered, actor="ivr", call_answered_at=answered
    )

    async with chromium() as browser:
        page = await login(browser, site.base_url, site.agent)
        await go_ready(page)
        await site.queue_call()
        await expect(page.locator("#pop-name")).to_have_text("Erika Mustermann")

        rows = page.locator("#history tbody tr")
        # Newest first: the follow-up call, the two attempts, the request, then the call
        # that ended in the IVR.
        await expect(rows).to_have_count(5)
        await expect(rows.nth(0)).to_contain_text(
            f"Follow-up call 1 (ticket #{ticket.id}): Satisfied"
        )
        attempts = rows.nth(1), rows.nth(2)
        await expect(attempts[0]).to_contain_text("Callback attempt 2: No-answer")
        await expect(attempts[0]).to_contain_text("Ben Koch")
        await expect(attempts[1]).to_contain_text("Callback attempt 1: Busy")
        await expect(attempts[1]).to_contain_text("line busy, left no message")
        await expect(rows.nth(3)).to_contain_text("Callback request: Pending")
        await expect(rows.nth(4)).to_contain_text("Abandoned in IVR")
        await screenshot(page, "agent-pop-every-contact")
        assert_no_js_errors(page)
