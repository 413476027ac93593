"""Password guessing slows the guesser only (issue 14, item 5).

The site trusts the test client's loopback peer as a proxy, so `X-Forwarded-For` stands in
for the addresses of an attacker, the real user and a colleague behind the attacker's NAT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.web_site import AGENT, AGENT2, open_site

ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


async def _login(client: TestClient[Any, Any], credentials: tuple[str, str], address: str) -> int:
    response = await client.post(
        "/api/login",
        json={"username": credentials[0], "password": credentials[1]},
        headers={"X-Forwarded-For": address},
    )
    return response.status


async def test_given_a_guesser_at_one_address_then_the_real_user_elsewhere_and_colleagues_log_in(
    tmp_path: Path,
) -> None:
    async with (
        open_site(tmp_path, serve=False, trusted_proxies=["127.0.0.1"]) as site,
        TestClient(TestServer(site.backend.app)) as client,
    ):
        for _ in range(5):
            assert await _login(client, (AGENT[0], "guess"), ATTACKER) == 401
        assert await _login(client, (AGENT[0], "guess"), ATTACKER) == 429
        assert await _login(client, AGENT, ATTACKER) == 429  # even the right one, for now
        assert await _login(client, AGENT, OFFICE) == 200  # the real user at the office
        assert await _login(client, AGENT2, ATTACKER) == 200  # a colleague behind the same NAT


async def test_given_no_trusted_proxy_then_a_made_up_x_forwarded_for_does_not_dodge_the_wait(
    tmp_path: Path,
) -> None:
    async with (
        open_site(tmp_path, serve=False) as site,
        TestClient(TestServer(site.backend.app)) as client,
    ):
        for n in range(5):
            assert await _login(client, (AGENT[0], "guess"), f"192.0.2.{n}") == 401
        assert await _login(client, (AGENT[0], "guess"), "192.0.2.99") == 429
