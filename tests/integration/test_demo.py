"""`callcenter demo` (the README's first command): the whole system, driven by the simulator."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import aiohttp


async def test_the_demo_serves_the_pages_and_the_simulator_drives_calls(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CALLCENTER_WEB__PORT": "0",
        "CALLCENTER_FASTAGI__PORT": "0",
        "CALLCENTER_SERVICE__LOG_FORMAT": "json",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter", "demo", "--calls-per-minute", "120",
        cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        banner = ""
        async with asyncio.timeout(60):
            while "Press Ctrl-C" not in banner:
                line = (await proc.stderr.readline()).decode()
                assert line, f"demo exited early: {banner}"
                if not line.startswith("{"):
                    banner += line
        url = re.search(r"agent desktop\s+(http://\S+)/agent", banner)
        assert url is not None, banner
        base = url.group(1)
        assert "agent1   password agent1-demo" in banner
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            async with http.get(f"{base}/agent") as page:
                assert page.status == 200
                assert "<html" in (await page.text()).lower()
            login = {"username": "sup1", "password": "sup1-demo"}
            async with http.post(f"{base}/api/login", json=login) as response:
                assert response.status == 200
            offered = 0
            async with asyncio.timeout(60):
                while offered == 0:  # callers get through the IVR into the queues
                    await asyncio.sleep(1)
                    async with http.get(f"{base}/api/live/queues") as response:
                        offered = sum(q["offered"] for q in json.loads(await response.text()))
            async with http.get(f"{base}/api/live/agents") as response:
                states = {a["agent_id"]: a["state"] for a in await response.json()}
        assert states["agent1"] == "logged_out"  # the person's agent waits for them
        assert sum(state != "logged_out" for state in states.values()) >= 4  # the bots work
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    assert (tmp_path / "var" / "demo.db").is_file()
