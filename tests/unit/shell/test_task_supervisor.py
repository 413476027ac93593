"""The supervisor of the service's long-lived tasks: a crash is logged with its cause, the
task restarts after a backoff, and while it is down its state says so.

Backoffs are set to milliseconds; the tests wait for states, never for a length of time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from callcenter.app.tasks import TaskSupervisor, log_safely

FAST = {"initial_backoff_s": 0.001, "max_backoff_s": 0.004}


async def until(check: Callable[[], Any]) -> None:
    async with asyncio.timeout(5):
        while not check():  # noqa: ASYNC110  (polls the supervisor's state, as a scrape would)
            await asyncio.sleep(0.001)


async def test_given_a_task_that_crashes_then_the_cause_is_logged_and_it_runs_again() -> None:
    supervisor = TaskSupervisor(**FAST)
    runs: list[int] = []

    async def body() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise KeyError("Channel")
        await asyncio.Event().wait()

    with capture_logs() as logs:
        supervisor.start("ami-facts:pbx1", body, group="pbx1")
        await until(lambda: len(runs) == 3)
    crashes = [e for e in logs if e["event"] == "task.crashed"]
    assert [c["error"] for c in crashes] == ["KeyError: 'Channel'"] * 2
    assert all(isinstance(c["exc_info"], KeyError) for c in crashes)
    assert crashes[0]["task"] == "ami-facts:pbx1"
    [state] = supervisor.states()
    assert (state.name, state.group, state.up, state.restarts) == (
        "ami-facts:pbx1",
        "pbx1",
        True,
        2,
    )
    assert state.last_error == "KeyError: 'Channel'"
    await supervisor.stop()
    assert supervisor.states() == []


async def test_given_crashes_in_a_row_then_the_backoff_doubles_up_to_its_cap() -> None:
    supervisor = TaskSupervisor(initial_backoff_s=0.001, max_backoff_s=0.004)
    runs: list[int] = []

    async def body() -> None:
        runs.append(1)
        raise RuntimeError("bug")

    with capture_logs() as logs:
        supervisor.start("t", body)
        await until(lambda: len(runs) >= 5)
        await supervisor.stop()
    delays = [e["restart_in_s"] for e in logs if e["event"] == "task.crashed"][:5]
    assert delays == [0.001, 0.002, 0.004, 0.004, 0.004]


async def test_given_a_task_waiting_to_restart_then_it_is_down_with_its_cause() -> None:
    supervisor = TaskSupervisor(initial_backoff_s=60.0)

    async def body() -> None:
        raise ValueError("malformed")

    with capture_logs():
        supervisor.start("ami-facts:pbx1", body, group="pbx1")
        await until(supervisor.down)
    [down] = supervisor.down()
    assert (down.name, down.up, down.last_error) == (
        "ami-facts:pbx1",
        False,
        "ValueError: malformed",
    )
    await supervisor.stop()


async def test_given_a_task_that_returns_then_it_is_treated_as_a_crash_and_restarted() -> None:
    supervisor = TaskSupervisor(**FAST)
    runs: list[int] = []

    async def body() -> None:
        runs.append(1)
        if len(runs) > 1:
            await asyncio.Event().wait()

    with capture_logs() as logs:
        supervisor.start("watch", body)
        await until(lambda: len(runs) == 2)
    assert [e["error"] for e in logs if e["event"] == "task.crashed"] == ["ended on its own"]
    await supervisor.stop()


async def test_given_a_fatal_task_when_it_crashes_then_it_stays_down_on_purpose() -> None:
    supervisor = TaskSupervisor(**FAST)
    runs: list[int] = []

    async def body() -> None:
        runs.append(1)
        raise RuntimeError("cannot go on")

    with capture_logs() as logs:
        supervisor.start("once", body, restart=False)
        await until(supervisor.down)
        await asyncio.sleep(0.02)
    assert runs == [1]
    [crash] = [e for e in logs if e["event"] == "task.crashed"]
    assert crash["restart_in_s"] is None
    assert supervisor.down()[0].restarts == 0
    await supervisor.stop()


async def test_given_a_logging_call_in_except_that_raises_then_the_supervisor_restarts_the_task(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The bug of issue 14: `log.exception("...", event=...)` inside `except` raises a
    # TypeError (event is structlog's own argument) and ends the task that called it.
    log = structlog.get_logger("test")
    supervisor = TaskSupervisor(**FAST)
    queue: asyncio.Queue[str] = asyncio.Queue()
    applied: list[str] = []

    async def consumer() -> None:
        while True:
            item = await queue.get()
            try:
                if item == "bad":
                    raise KeyError("Channel")
                applied.append(item)
            except Exception:
                log.exception("pbx.event_failed", event=item)  # raises TypeError

    with capture_logs() as logs:
        supervisor.start("consumer", consumer)
        for item in ("good-1", "bad", "good-2"):
            queue.put_nowait(item)
        await until(lambda: applied == ["good-1", "good-2"])
    [crash] = [e for e in logs if e["event"] == "task.crashed"]
    assert crash["error"].startswith("TypeError")
    assert "event" in crash["error"]
    assert isinstance(crash["exc_info"].__context__, KeyError)  # the original cause, kept
    await supervisor.stop()


async def test_given_a_log_pipeline_that_raises_then_supervision_goes_on_and_stderr_has_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(message: str, **fields: Any) -> None:
        raise ValueError("the log handler is broken")

    log_safely(broken, "task.crashed", task="t")
    err = capsys.readouterr().err
    assert "task.crashed" in err
    assert "the log handler is broken" in err


async def test_given_a_cleanup_that_raises_when_stopped_then_logged_and_the_others_stop() -> None:
    supervisor = TaskSupervisor(**FAST)
    stopped: list[str] = []

    async def stubborn() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.append("stubborn")
            raise RuntimeError("cleanup failed")

    async def quiet() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.append("quiet")

    supervisor.start("a", stubborn)
    supervisor.start("b", quiet)
    await asyncio.sleep(0)
    with capture_logs() as logs:
        await supervisor.stop()
    assert sorted(stopped) == ["quiet", "stubborn"]
    [crash] = [e for e in logs if e["event"] == "task.crashed"]
    assert (crash["task"], crash["error"]) == ("a", "RuntimeError: cleanup failed")
    assert supervisor.states() == []


async def test_given_a_watched_task_that_crashes_then_logged_and_its_owner_starts_it_again() -> (
    None
):
    supervisor = TaskSupervisor(**FAST)
    started: list[asyncio.Task[None]] = []
    fail = asyncio.Event()

    async def loop() -> None:
        await fail.wait()
        fail.clear()
        raise ZeroDivisionError("a bug in the loop")

    def start() -> asyncio.Task[None]:
        started.append(asyncio.create_task(loop()))
        return started[-1]

    with capture_logs() as logs:
        supervisor.watch("acd-host", start(), start)
        fail.set()
        await until(lambda: len(started) == 2)
    [crash] = [e for e in logs if e["event"] == "task.crashed"]
    assert (crash["task"], crash["error"]) == ("acd-host", "ZeroDivisionError: a bug in the loop")
    assert isinstance(crash["exc_info"], ZeroDivisionError)
    [state] = supervisor.states()
    assert (state.up, state.restarts) == (True, 1)
    await supervisor.stop()
    started[-1].cancel()  # its owner stops it: no crash any more
    await asyncio.sleep(0.01)
    assert len([e for e in logs if e["event"] == "task.crashed"]) == 1


async def test_given_a_watched_task_without_restart_when_it_ends_then_it_stays_down() -> None:
    supervisor = TaskSupervisor(**FAST)

    async def once() -> None:
        return None

    with capture_logs():
        supervisor.watch("loop-lag", asyncio.create_task(once()))
        await until(supervisor.down)
    [down] = supervisor.down()
    assert (down.name, down.last_error) == ("loop-lag", "ended on its own")
    await supervisor.stop()
