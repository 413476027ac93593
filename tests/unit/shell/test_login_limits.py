"""The brake on password guessing and the client address it is keyed on (issue 14, item 5)."""

from __future__ import annotations

import pytest

from callcenter.db import Role
from callcenter.web.auth import LoginLimiter, Principal, SessionStore, client_address


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_given_repeated_failures_then_the_wait_doubles_up_to_the_cap() -> None:
    clock = Clock()
    limiter = LoginLimiter(5, max_delay_s=30, clock=clock)
    waits = []
    for _ in range(10):
        assert limiter.blocked("agent1", "10.0.0.9") is None
        waits.append(limiter.failed("agent1", "10.0.0.9"))
        clock.now += waits[-1]
    assert waits == [0, 0, 0, 0, 2, 4, 8, 16, 30, 30]


def test_given_a_guesser_at_one_address_then_the_user_elsewhere_and_colleagues_are_unaffected() -> (
    None
):
    clock = Clock()
    limiter = LoginLimiter(5, clock=clock)
    for _ in range(5):
        limiter.failed("agent1", "203.0.113.7")
    assert limiter.blocked("agent1", "203.0.113.7") == 2
    assert limiter.blocked("agent1", "10.0.0.9") is None  # the real user at the office
    assert limiter.blocked("agent2", "203.0.113.7") is None  # a colleague behind the same NAT
    assert limiter.blocked("AGENT1", "203.0.113.7") == 2  # case does not reset the count


def test_given_a_good_login_or_a_quiet_quarter_hour_then_the_failures_are_forgotten() -> None:
    clock = Clock()
    limiter = LoginLimiter(2, forget_s=900, clock=clock)
    limiter.failed("agent1", "10.0.0.9")
    limiter.succeeded("agent1", "10.0.0.9")
    assert limiter.failed("agent1", "10.0.0.9") == 0  # counting starts again
    clock.now += 901
    assert limiter.failed("agent1", "10.0.0.9") == 0


def test_given_a_flood_of_names_from_one_address_then_that_address_waits_out_the_minute() -> None:
    clock = Clock()
    limiter = LoginLimiter(5, flood_per_minute=10, clock=clock)
    for i in range(10):
        limiter.failed(f"user{i}", "203.0.113.7")
        clock.now += 1
    assert limiter.blocked("someone", "203.0.113.7") == pytest.approx(50)
    assert limiter.blocked("someone", "10.0.0.9") is None
    clock.now += 51
    assert limiter.blocked("someone", "203.0.113.7") is None


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("203.0.113.7", "1.2.3.4", [], "203.0.113.7"),  # no proxies trusted: header ignored
        ("203.0.113.7", "1.2.3.4", ["10.0.0.0/8"], "203.0.113.7"),  # peer is no proxy
        ("10.0.0.2", "198.51.100.4", ["10.0.0.0/8"], "198.51.100.4"),
        # A client's own X-Forwarded-For entries are to the left of what the proxy saw.
        ("10.0.0.2", "6.6.6.6, 198.51.100.4", ["10.0.0.0/8"], "198.51.100.4"),
        ("10.0.0.2", "198.51.100.4, 10.0.0.5", ["10.0.0.0/8"], "198.51.100.4"),
        ("10.0.0.2", "not-an-address", ["10.0.0.0/8"], "10.0.0.2"),
        ("10.0.0.2", None, ["10.0.0.0/8"], "10.0.0.2"),
        ("::1", "2001:db8::5", ["::1"], "2001:db8::5"),
    ],
)
def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    peer: str, forwarded: str | None, trusted: list[str], client: str
) -> None:
    assert client_address(peer, forwarded, trusted) == client


async def test_given_a_session_ends_then_its_listeners_hear_why() -> None:
    clock = Clock()
    store = SessionStore(60, clock=clock)
    heard: list[tuple[str, str, str]] = []
    store.on_end(lambda token, who, why: heard.append((token, who.username, why)))

    def principal(name: str) -> Principal:
        return Principal(username=name, role=Role.AGENT, display_name=name, queues=None)

    first = await store.create(principal("agent1"))
    second = await store.create(principal("agent1"))
    other = await store.create(principal("agent2"))
    assert await store.end_user("agent1", "you logged in again", keep=second) == 1
    await store.end(second)
    clock.now += 61
    assert await store.get(other) is None
    assert heard == [
        (first, "agent1", "you logged in again"),
        (second, "agent1", "logged out"),
        (other, "agent2", "the session expired"),
    ]
