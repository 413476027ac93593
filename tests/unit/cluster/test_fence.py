"""The fence: a single node always acts; a leader acts while its lease, renewed by
answered heartbeats and measured from when each was sent, has not run out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from callcenter.cluster.fence import Fence


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_single_node_always_acts_and_writes_no_term() -> None:
    fence = Fence()
    assert fence.may_act()
    assert fence.term is None


def test_a_standby_may_not_act_until_it_leads() -> None:
    clock = Clock()
    fence = Fence(clock=clock)
    fence.standby()
    assert not fence.may_act()
    fence.lead(3, renewed_at=clock.now, lease_s=2.0)
    assert fence.may_act()
    assert fence.term == 3


def test_a_leader_that_stalls_past_its_lease_stops_acting_by_its_own_clock() -> None:
    clock = Clock()
    fence = Fence(clock=clock, margin_s=0.25)
    fence.lead(1, renewed_at=clock.now, lease_s=2.0)
    clock.now += 1.7
    assert fence.may_act()
    clock.now += 0.1  # 1.8 s after the last heartbeat was sent: 2 s lease less the margin
    assert not fence.may_act()
    assert fence.expired()


def test_a_lost_fence_stays_lost_and_tells_each_listener_once() -> None:
    clock = Clock()
    fence = Fence(clock=clock)
    heard: list[str] = []
    fence.on_lost(heard.append)
    fence.on_lost(lambda reason: (_ for _ in ()).throw(RuntimeError("a broken listener")))
    fence.on_lost(heard.append)
    fence.lead(1, renewed_at=clock.now, lease_s=2.0)
    fence.lose("another node leads")
    fence.lose("again")
    fence.renew(clock.now)
    assert heard == ["another node leads", "another node leads"]
    assert not fence.may_act()
    assert fence.lost == "another node leads"


@given(
    sends=st.lists(st.floats(min_value=0.0, max_value=0.9), min_size=1, max_size=30),
    answer_delay=st.floats(min_value=0.0, max_value=5.0),
)
def test_the_lease_never_outlasts_what_postgresql_grants(
    sends: list[float], answer_delay: float
) -> None:
    """PostgreSQL ends the session `lease_s` after the last statement it finished, which
    is never before the heartbeat was sent: the fence must expire first, whatever the
    heartbeats' timing and however late their answers came."""
    clock = Clock()
    lease = 2.0
    fence = Fence(clock=clock, margin_s=0.25)
    fence.lead(1, renewed_at=clock.now, lease_s=lease)
    last_finished = clock.now
    for gap in sends:
        clock.now += gap
        sent = clock.now
        clock.now += answer_delay  # the answer arrives (the statement finished before)
        if fence.expired():
            break
        last_finished = max(last_finished, sent)
        fence.renew(sent)
    server_ends_session_at = last_finished + lease
    assert fence.expires_at < server_ends_session_at
