"""Logs: phone numbers masked, JSON when not on a terminal, context carried per task."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from callcenter.app.logsetup import configure_logging, mask_number


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+4915112345678", "+***********78"),
        ("5550001", "*****01"),
        ("0049 151 1234", "**** *** **34"),
        ("12", "12"),
        ("anonymous", "anonymous"),
    ],
)
def test_mask_number_keeps_only_the_last_two_digits(raw: str, masked: str) -> None:
    assert mask_number(raw) == masked


def test_json_log_lines_mask_caller_numbers_and_carry_bound_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")
    try:
        structlog.contextvars.bind_contextvars(uniqueid="1795340984.73")
        structlog.get_logger("test").info("call.arrived", caller_number="+4930123456", dnid=100)
        logging.getLogger("asyncio").warning("stdlib %s", "too")
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.reset_defaults()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    first, second = lines
    assert first["event"] == "call.arrived"
    assert first["caller_number"] == "+********56"
    assert first["dnid"] == "*00"
    assert first["uniqueid"] == "1795340984.73"
    assert first["level"] == "info"
    assert "timestamp" in first
    assert second["event"] == "stdlib too"
    assert second["logger"] == "asyncio"


def test_console_format_is_readable_text(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "console")
    try:
        structlog.get_logger("test").info("hello", phone="5550001")
    finally:
        structlog.reset_defaults()
    err = capsys.readouterr().err
    assert "hello" in err
    assert "5550001" not in err
    assert not err.lstrip().startswith("{")
