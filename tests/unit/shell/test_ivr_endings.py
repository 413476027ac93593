"""How a call that ended in the IVR is recorded: one outcome per way out, each a known one."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from callcenter.db.interactions import OUTCOMES
from callcenter.ivr.runner import Handoff, IvrResult, VoicemailFailed, VoicemailRecorded
from callcenter.pbx.agi_routes import ivr_ending
from ivr_flows import EnqueueCall, RequestCallback, Transfer

FILE = "/var/spool/asterisk/callcenter/general-1795340984.73"
ENQUEUE = EnqueueCall("billing", MappingProxyType({}), 0, MappingProxyType({}))
CALLBACK = RequestCallback("general", "5550001", False, MappingProxyType({}))


def result(outcome: str, *handoffs: Handoff, hung_up: bool = False) -> IvrResult:
    return IvrResult("main_hotline", outcome, ("check_hours",), {}, hung_up, handoffs)


@pytest.mark.parametrize(
    ("ended", "expected"),
    [
        (result("self_service"), ("self_service", None, {})),
        (result("self_service", hung_up=True), ("self_service", None, {})),
        (result("abandoned", hung_up=True), ("abandoned_in_ivr", None, {})),
        # The caller left as the call was handed to the queue: it never reached it.
        (result("queued", ENQUEUE), ("abandoned_in_ivr", None, {})),
        (result("closed"), ("closed", None, {})),
        (result("callback", CALLBACK), ("callback", "general", {})),
        (result("voicemail", VoicemailRecorded("general", FILE, 12.0), hung_up=True),
         ("voicemail", "general", {"voicemail.file": f"{FILE}.wav", "voicemail.seconds": "12"})),
        (result("voicemail_failed", VoicemailFailed("general", FILE, "200 result=-1 (writefile)")),
         ("voicemail_failed", "general",
          {"voicemail.file": f"{FILE}.wav", "voicemail.error": "200 result=-1 (writefile)"})),
        (result("transferred"), ("transferred", None, {})),
        # Where the call went is part of its record (the call detail records show it).
        (result("transferred", Transfer("+4989123456")),
         ("transferred", None, {"transfer.target": "+4989123456"})),
    ],
)  # fmt: skip
def test_each_way_out_of_the_ivr_has_its_outcome(
    ended: IvrResult, expected: tuple[str, str | None, dict[str, str]]
) -> None:
    assert ivr_ending(ended) == expected
    assert expected[0] in OUTCOMES
