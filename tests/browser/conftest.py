"""The browser tests' backend: the real service parts (SQLite, ACD host, web) on a free port.

`site` is `tests.web_site.Site`: `site.base_url`, the logins `site.agent`, `site.supervisor`,
`site.admin`, and the helpers that play the IVR and Asterisk (`queue_call`, `answer`,
`hang_up`, `seed_history`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.web_site import Site, open_site


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with open_site(tmp_path) as running:
        yield running
