"""The batched writer folds a batch's writes: one insert of events, one upsert of calls."""

from __future__ import annotations

from datetime import UTC, datetime

from callcenter.db import AppendEvents, CallEvent, SaveInteraction
from callcenter.db.interactions import InteractionData, SaveInteractions
from callcenter.db.writer import coalesce

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_appends_fold_into_one_in_order_and_saves_into_one_record_per_call() -> None:
    first = AppendEvents((CallEvent(AT, "enqueue", "c1"),))
    second = AppendEvents((CallEvent(AT, "offer", "c1"), CallEvent(AT, "connect", "c1")))
    queued = SaveInteraction(InteractionData("c1", AT, queue="general"))
    answered = SaveInteraction(InteractionData("c1", AT, queue="general", agent="a1"))
    other = SaveInteraction(InteractionData("c2", AT, queue="billing"))

    ops = coalesce([first, queued, second, other, answered])

    assert [type(op).__name__ for op in ops] == ["AppendEvents", "SaveInteractions"]
    events, saves = ops
    assert isinstance(events, AppendEvents)
    assert [e.kind for e in events.events] == ["enqueue", "offer", "connect"]
    assert isinstance(saves, SaveInteractions)
    assert saves.records == {"c1": answered.data, "c2": other.data}


def test_a_later_save_keeps_what_only_the_earlier_one_carried() -> None:
    rated = SaveInteraction(InteractionData("c1", AT, notes="called back", survey_scores={"q1": 5}))
    later = SaveInteraction(InteractionData("c1", AT, agent="a1", survey_scores={"q2": 4}))

    (merged,) = coalesce([rated, later])

    assert isinstance(merged, SaveInteractions)
    data = merged.records["c1"]
    assert (data.agent, data.notes) == ("a1", "called back")
    assert data.survey_scores == {"q1": 5, "q2": 4}
