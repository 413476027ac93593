"""The customer-lookup memo: answers for a while, never one read before a change."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from callcenter.db.lookup_cache import LookupCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_found_or_not_is_remembered_for_ttl_seconds() -> None:
    clock = Clock()
    cache: LookupCache[str | None] = LookupCache(10, clock=clock)
    cache.put(("phone", "+4930111"), "Anna", cache.generation)
    cache.put(("phone", "+4930999"), None, cache.generation)  # unknown callers too
    clock.now += 9.9
    assert cache.get(("phone", "+4930111")) == (True, "Anna")
    assert cache.get(("phone", "+4930999")) == (True, None)
    clock.now += 0.1
    assert cache.get(("phone", "+4930111")) == (False, None)
    assert (cache.hits, cache.misses) == (2, 1)


def test_an_answer_read_before_a_change_is_not_remembered() -> None:
    cache: LookupCache[str] = LookupCache(10, clock=Clock())
    asked_at = cache.generation
    cache.put("k", "old", asked_at)
    cache.clear()  # a customer changed while a lookup was in flight
    cache.put("k", "stale", asked_at)
    assert cache.get("k") == (False, None)
    cache.put("k", "new", cache.generation)
    assert cache.get("k") == (True, "new")


def test_zero_ttl_remembers_nothing() -> None:
    cache: LookupCache[str] = LookupCache(0, clock=Clock())
    cache.put("k", "v", cache.generation)
    assert cache.get("k") == (False, None)
    assert len(cache) == 0


@given(st.lists(st.integers(0, 50), max_size=300), st.integers(1, 20))
def test_the_newest_answers_are_kept_and_never_more_than_the_bound(
    keys: list[int], bound: int
) -> None:
    cache: LookupCache[int] = LookupCache(10, max_entries=bound, clock=Clock())
    for key in keys:
        cache.put(key, key * 2, cache.generation)
    assert len(cache) <= bound
    newest = list(dict.fromkeys(reversed(keys)))[:bound]
    for key in newest:
        assert cache.get(key) == (True, key * 2)
