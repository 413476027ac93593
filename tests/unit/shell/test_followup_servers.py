"""Several Asterisk servers: an automated follow-up call leaves through the default server's
trunk (the first of `asterisk.servers`), whatever order the AMI links were made in, and
nothing is claimed while that server's link is down (no call is used up for nothing).

Small fakes: AMI links that record the actions sent, tickets that hand out one due call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from callcenter.ami.actions import Action
from callcenter.app.settings import AMIServerSettings, TelephonySettings
from callcenter.db.tickets import DueFollowUp
from callcenter.pbx.followup_calls import FollowUpCalls
from callcenter.pbx.servers import AsteriskServers

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PBX1, PBX2 = (AMIServerSettings(name=name, username="cc") for name in ("pbx1", "pbx2"))


@dataclass
class Link:
    server: AMIServerSettings
    connected: bool = True
    sent: list[Action] = field(default_factory=list)

    async def send_action(self, action: Action) -> None:
        self.sent.append(action)


@dataclass
class Tickets:
    due: list[DueFollowUp] = field(default_factory=lambda: [DueFollowUp(7, 3, 1, "+4930123456", 1)])
    claims: int = 0

    def clock(self) -> datetime:
        return NOW

    async def release_stale(self, before: datetime, *, now: datetime) -> list[int]:
        return []

    async def claim_due(self, now: datetime) -> list[DueFollowUp]:
        self.claims += 1
        claimed, self.due = self.due, []
        return claimed


def _calls(tickets: Tickets, *links: Link) -> FollowUpCalls:
    servers = AsteriskServers([PBX1, PBX2], list(links))
    runner: Any = None  # the answered call's flow is not reached here
    return FollowUpCalls(tickets, runner, TelephonySettings(), servers)


async def test_given_two_servers_when_a_followup_is_due_then_it_is_dialled_on_the_default() -> None:
    pbx1, pbx2 = Link(PBX1), Link(PBX2)
    calls = _calls(Tickets(), pbx2, pbx1)  # the links in another order than configured

    assert await calls.dial_due() == 1

    assert pbx2.sent == []
    [originate] = pbx1.sent
    assert originate.get("Channel") == "PJSIP/+4930123456@trunk"
    assert originate.get("Context") == "followup"


async def test_given_the_default_servers_link_is_down_then_nothing_is_claimed_or_dialled() -> None:
    pbx1, pbx2 = Link(PBX1, connected=False), Link(PBX2)
    tickets = Tickets()
    calls = _calls(tickets, pbx1, pbx2)

    assert await calls.dial_due() == 0

    assert (tickets.claims, pbx1.sent, pbx2.sent) == (0, [], [])
    assert len(tickets.due) == 1  # still due: dialled once the link is back
    pbx1.connected = True
    assert await calls.dial_due() == 1
    assert len(pbx1.sent) == 1


async def test_given_the_default_server_has_no_link_then_nothing_is_claimed() -> None:
    tickets = Tickets()
    calls = _calls(tickets, Link(PBX2))  # pbx1 has no secret, so no AMI client

    assert await calls.dial_due() == 0

    assert tickets.claims == 0
