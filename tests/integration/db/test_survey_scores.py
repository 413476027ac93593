"""A caller's survey answers land on their call's record, whatever else the batch holds."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db import BatchedWriter, InteractionRepository, SaveInteraction
from callcenter.db.interactions import (
    AddSurveyScores,
    AddSurveysScores,
    InteractionData,
    SetOutcome,
)
from callcenter.db.writer import coalesce

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 22, 9, 5, tzinfo=UTC)


def answered(uniqueid: str, **extra: object) -> SaveInteraction:
    return SaveInteraction(
        InteractionData(uniqueid, AT, queue="general", agent="agent1", outcome="answered", **extra)  # type: ignore[arg-type]
    )


async def test_given_an_answered_call_when_the_caller_rates_it_then_the_scores_join_the_record(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = BatchedWriter(sessions, interval_s=0)
    writer.submit(answered("c1", notes="wants a call back"))
    writer.submit(answered("c2"))
    await writer.flush(timeout=5)
    writer.submit(AddSurveyScores("c1", {"satisfaction": 4}, LATER))
    writer.submit(AddSurveyScores("c2", {"satisfaction": 2, "resolved": 1}, LATER))
    writer.submit(AddSurveyScores("c1", {"resolved": 5, "recommend": 3}, LATER))
    await writer.close(timeout=5)

    calls = InteractionRepository(sessions)
    first, second = await calls.get("c1"), await calls.get("c2")
    assert first is not None
    assert second is not None
    assert first.survey_scores == {"satisfaction": 4, "resolved": 5, "recommend": 3}
    assert (first.outcome, first.agent, first.notes) == ("answered", "agent1", "wants a call back")
    assert second.survey_scores == {"satisfaction": 2, "resolved": 1}


async def test_given_stored_scores_when_a_question_is_answered_again_then_the_new_score_wins(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = BatchedWriter(sessions, interval_s=0)
    writer.submit(answered("c1"))
    writer.submit(AddSurveyScores("c1", {"satisfaction": 1, "resolved": 2}, LATER))
    await writer.flush(timeout=5)
    writer.submit(AddSurveyScores("c1", {"satisfaction": 5}, LATER))
    await writer.close(timeout=5)

    record = await InteractionRepository(sessions).get("c1")
    assert record is not None
    assert record.survey_scores == {"satisfaction": 5, "resolved": 2}


async def test_given_a_call_never_recorded_when_it_is_rated_then_a_record_keeps_the_answers(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = BatchedWriter(sessions, interval_s=0)
    writer.submit(AddSurveyScores("lost", {"satisfaction": 3}, LATER))
    await writer.close(timeout=5)

    record = await InteractionRepository(sessions).get("lost")
    assert record is not None
    assert (record.arrived_at, record.survey_scores) == (LATER, {"satisfaction": 3})


async def test_given_the_call_saved_again_after_its_survey_in_one_batch_then_the_scores_stay(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = BatchedWriter(sessions, interval_s=0.05)
    writer.submit(answered("c1"))
    writer.submit(AddSurveyScores("c1", {"satisfaction": 5}, LATER))
    writer.submit(answered("c1", ended_at=LATER))
    await writer.close(timeout=5)

    record = await InteractionRepository(sessions).get("c1")
    assert record is not None
    assert (record.ended_at, record.survey_scores) == (LATER, {"satisfaction": 5})


def test_the_surveys_of_a_batch_fold_into_one_write_per_call() -> None:
    ops = coalesce(
        [
            AddSurveyScores("c1", {"satisfaction": 4}, AT),
            answered("c2"),
            AddSurveyScores("c2", {"satisfaction": 1}, AT),
            AddSurveyScores("c1", {"resolved": 5}, LATER),
        ]
    )

    assert [type(op).__name__ for op in ops] == ["AddSurveysScores", "SaveInteraction"]
    surveys = ops[0]
    assert isinstance(surveys, AddSurveysScores)
    assert {k: (v.scores, v.at) for k, v in surveys.answers.items()} == {
        "c1": ({"satisfaction": 4, "resolved": 5}, AT),
        "c2": ({"satisfaction": 1}, AT),
    }


async def test_given_other_writes_of_the_call_in_the_same_batch_then_every_answer_is_kept(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writer = BatchedWriter(sessions, interval_s=0)
    writer.submit(answered("c1"))
    await writer.flush(timeout=5)
    writer = BatchedWriter(sessions, interval_s=0.05)
    writer.submit(SetOutcome("c1", "voicemail", {"voicemail.file": "/v/c1.wav"}, LATER))
    writer.submit(AddSurveyScores("c1", {"satisfaction": 4}, LATER))
    writer.submit(
        SaveInteraction(
            InteractionData("c1", AT, outcome="voicemail", survey_scores={"resolved": 2})
        )
    )
    await writer.close(timeout=5)

    record = await InteractionRepository(sessions).get("c1")
    assert record is not None
    assert record.outcome == "voicemail"
    assert record.survey_scores == {"satisfaction": 4, "resolved": 2}
