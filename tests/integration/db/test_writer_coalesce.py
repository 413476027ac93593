"""The batched writer folds a batch's writes: one insert of events, one write per call."""

from __future__ import annotations

from datetime import UTC, datetime

from callcenter.db import AppendEvents, CallEvent, SaveInteraction
from callcenter.db.interactions import InteractionData
from callcenter.db.writer import coalesce

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_appends_fold_into_one_in_order_and_saves_of_one_call_into_the_last() -> None:
    first = AppendEvents((CallEvent(AT, "enqueue", "c1"),))
    second = AppendEvents((CallEvent(AT, "offer", "c1"), CallEvent(AT, "connect", "c1")))
    queued = SaveInteraction(InteractionData("c1", AT, queue="general"))
    answered = SaveInteraction(InteractionData("c1", AT, queue="general", agent="a1"))
    other = SaveInteraction(InteractionData("c2", AT, queue="billing"))

    ops = coalesce([first, queued, second, other, answered])

    assert [type(op).__name__ for op in ops] == [
        "AppendEvents",
        "SaveInteraction",
        "SaveInteraction",
    ]
    events = ops[0]
    assert isinstance(events, AppendEvents)
    assert [e.kind for e in events.events] == ["enqueue", "offer", "connect"]
    assert ops[1] == answered
    assert ops[2] == other


def test_a_later_save_keeps_what_only_the_earlier_one_carried() -> None:
    rated = SaveInteraction(InteractionData("c1", AT, notes="called back", survey_scores={"q1": 5}))
    later = SaveInteraction(InteractionData("c1", AT, agent="a1", survey_scores={"q2": 4}))

    (merged,) = coalesce([rated, later])

    assert isinstance(merged, SaveInteraction)
    assert (merged.data.agent, merged.data.notes) == ("a1", "called back")
    assert merged.data.survey_scores == {"q1": 5, "q2": 4}
