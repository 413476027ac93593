"""The public form's guards on their own: sliding limits with bounded memory, signed tokens."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from callcenter.app.settings import PublicCallbackSettings
from callcenter.web.public import FormTokens, SlidingLimit

HOUR = 3600.0


def test_a_key_is_refused_after_its_limit_until_the_oldest_hit_leaves_the_window() -> None:
    limit = SlidingLimit()
    for at in (0.0, 10.0, 20.0):
        assert limit.hit("198.51.100.1", at, limit=3, window_s=HOUR) is None

    assert limit.hit("198.51.100.1", 30.0, limit=3, window_s=HOUR) == pytest.approx(HOUR - 30)
    assert limit.hit("198.51.100.2", 30.0, limit=3, window_s=HOUR) is None
    assert limit.hit("198.51.100.1", HOUR + 1, limit=3, window_s=HOUR) is None


def test_a_flood_of_fresh_keys_keeps_memory_bounded_forgetting_the_oldest() -> None:
    limit = SlidingLimit(max_keys=100)
    for n in range(10_000):
        limit.hit(f"2001:db8::{n:x}", 0.0, limit=1, window_s=HOUR)

    assert len(limit) == 100
    # A key still remembered is still limited.
    assert limit.hit("2001:db8::270f", 1.0, limit=1, window_s=HOUR) is not None


def test_a_token_tells_its_age_and_a_changed_or_foreign_one_is_not_ours() -> None:
    tokens = FormTokens(b"k" * 32)
    token = tokens.issue(1000.0)
    issued, mac = token.split(".")

    assert tokens.age(token, 1004.5) == pytest.approx(4.5)
    assert tokens.age(f"{int(issued) - 60_000}.{mac}", 1004.5) is None  # backdated
    assert FormTokens(b"x" * 32).age(token, 1004.5) is None  # another key
    assert tokens.age("garbage", 1004.5) is None


def test_settings_refuse_a_framing_origin_with_a_path_and_a_bad_region() -> None:
    with pytest.raises(ValidationError, match=r"not an origin like https://www\.example\.com"):
        PublicCallbackSettings(frame_ancestors=["https://shop.example.com/page"])
    with pytest.raises(ValidationError, match="not a region code like DE"):
        PublicCallbackSettings(countries=["Germany"])
