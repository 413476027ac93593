"""`callcenter doctor` looks for the phones of the agents in force: those of the ACD
configuration stored in the database, not the settings file's (issue 16)."""

from __future__ import annotations

from pathlib import Path

from callcenter.db import ConfigVersions, make_engine, make_sessions
from callcenter.doctor.checks import diagnose
from tests.integration.test_doctor import lab, problems


async def test_given_an_agent_added_to_the_stored_configuration_then_the_doctor_checks_their_phone(
    tmp_path: Path,
) -> None:
    async with lab(tmp_path) as running:
        assert problems(await diagnose(running.settings, timeout=2)) == []
        engine = make_engine(running.settings.database.url)
        try:
            versions = ConfigVersions(make_sessions(engine))
            first = await versions.seed(running.settings.acd)
            document = first.document
            document["agents"].append({"id": "agent3", "name": "Cem", "queues": ["general"]})
            await versions.save(document, "admin", "Cem starts")
        finally:
            await engine.dispose()
        findings = await diagnose(running.settings, timeout=2)
    [phone] = problems(findings)
    assert "agent3's endpoint agent3 is not in pjsip.conf" in phone.message
