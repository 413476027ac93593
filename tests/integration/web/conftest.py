"""Fixtures of the API tests: a real backend (SQLite, ACD host) and logged-in test clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.web_site import Site, open_site


@dataclass
class User:
    """A test client logged in as one user; `call` sends the CSRF token on changes."""

    client: TestClient[Any, Any]
    csrf: str

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf} if method != "GET" else {}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def json(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        body = await response.json()
        assert response.status == status, body
        return body


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with open_site(tmp_path, serve=False) as running:
        yield running


@pytest.fixture
async def login(site: Site) -> AsyncIterator[Callable[[str, str], Awaitable[User]]]:
    clients: list[TestClient[Any, Any]] = []

    async def as_user(username: str, password: str) -> User:
        client: TestClient[Any, Any] = TestClient(TestServer(site.backend.app))
        await client.start_server()
        clients.append(client)
        response = await client.post(
            "/api/login", json={"username": username, "password": password}
        )
        body = await response.json()
        assert response.status == 200, body
        return User(client, body["csrf_token"])

    yield as_user
    for client in clients:
        await client.close()
