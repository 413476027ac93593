"""Why an Originate to an agent's phone failed: the agent's side, or the PBX's.

Strategy: Asterisk tells it three ways, each partial (main/pbx.c, main/dial.c,
res/res_pjsip.c of Asterisk 22, and what Asterisk 22.10.1 did with SIPp phones):

* the OriginateResponse `Reason` (pbx.c `pbx_dial_reason`): 3 the phone rang out, 5 busy,
  8 congestion, 1 hung up; 0 for everything else. A 486 Busy, a 603 Decline, a 488, a 503
  and a channel that never got an RTP port all answer 0, so 0 alone says nothing;
* the agent leg's `Hangup`: its Q.850 `Cause` (a SIP answer mapped by res_pjsip's
  `ast_sip_hangup_sip2cause`: 486 -> 17, 603 -> 21, 480 -> 19, 408 -> 18, 488 -> 58,
  503 -> 34, 404 -> 1) and its state: hung up still Down with cause 0, the phone never
  rang (no RTP port for the INVITE's offer, or chan_pjsip could not send it);
* no channel at all (no `Newchannel`, no `Hangup`): chan_pjsip refused the request, as for
  an endpoint with no registered contact; the endpoint's `DEVICE_STATE` tells the two apart:
  UNAVAILABLE or INVALID is the phone's absence, anything else the PBX.

An Originate action refused (`Response: Error`) or never sent (no link to Asterisk) is the
PBX's failure too. The agent's side (`Blame.NO_ANSWER`, `Blame.DECLINED`) keeps the old
consequences (ring-no-answer or rejected: the agent pauses); the PBX's (`Blame.PBX`) pauses
nobody. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Blame(StrEnum):
    """Whose failure it was, which decides the fact the ACD hears."""

    NO_ANSWER = "no-answer"
    """The phone rang and nobody answered: ring-no-answer (`OfferTimedOut`)."""
    DECLINED = "declined"
    """The phone was busy, declined, or is not there: rejected (`OfferRejected`)."""
    PBX = "pbx"
    """The PBX could not place the call: nobody is paused (`OfferFailed`)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Who failed, what failed (`kind`, a short word for metrics) and how, for people."""

    blame: Blame
    kind: str
    cause: str

    @property
    def pbx(self) -> bool:
        """Whether the PBX, not the agent, failed."""
        return self.blame is Blame.PBX


DOWN = 0
"""Asterisk's channel state of a channel that never rang (`ChannelState: 0`)."""

_AGENT_CAUSES: dict[int, tuple[Blame, str, str]] = {
    1: (Blame.DECLINED, "away", "the phone does not know the number (cause 1)"),
    16: (Blame.DECLINED, "declined", "the phone ended the call unanswered (cause 16)"),
    17: (Blame.DECLINED, "busy", "the phone is busy (cause 17)"),
    18: (Blame.NO_ANSWER, "no-answer", "the phone did not respond (cause 18)"),
    19: (Blame.NO_ANSWER, "no-answer", "nobody answered (cause 19)"),
    20: (Blame.DECLINED, "away", "the phone is not registered (cause 20)"),
    21: (Blame.DECLINED, "declined", "the phone declined the call (cause 21)"),
    22: (Blame.DECLINED, "away", "the phone's number has changed (cause 22)"),
    31: (Blame.DECLINED, "declined", "the phone ended the call unanswered (cause 31)"),
}
_PBX_KINDS: dict[int, str] = {
    34: "congestion",
    42: "congestion",
    44: "congestion",
    47: "congestion",
    2: "network",
    3: "network",
    27: "network",
    38: "network",
    41: "network",
    102: "network",
    57: "media",
    58: "media",
    65: "media",
    66: "media",
    88: "media",
}
_REASONS: dict[int, tuple[Blame, str, str]] = {
    3: (Blame.NO_ANSWER, "no-answer", "nobody answered before the ring timeout (reason 3)"),
    5: (Blame.DECLINED, "busy", "the phone is busy (reason 5)"),
    8: (Blame.PBX, "congestion", "the PBX reports congestion (reason 8)"),
    1: (Blame.PBX, "other", "the PBX hung the call up before it was placed (reason 1)"),
}


def from_reason(reason: int | None) -> Verdict | None:
    """The verdict an OriginateResponse `Reason` gives on its own; None for 0 (or none):
    the leg's Hangup, or its absence, must say more."""
    known = _REASONS.get(reason) if reason is not None else None
    return None if known is None else Verdict(*known)


def from_hangup(cause: int | None, state: int | None) -> Verdict:
    """The verdict of an agent leg that hung up before it was answered (not by us)."""
    if cause in _AGENT_CAUSES:
        return Verdict(*_AGENT_CAUSES[cause])
    if not cause:
        if state == DOWN:
            return Verdict(
                Blame.PBX,
                "not-placed",
                "the phone never rang: Asterisk could not place the call (cause 0; "
                "no free RTP port?)",
            )
        return Verdict(Blame.PBX, "other", "the ring was ended on Asterisk (cause 0)")
    kind = _PBX_KINDS.get(cause, "other")
    return Verdict(Blame.PBX, kind, f"the call could not be placed: {kind} (cause {cause})")


def from_missing_channel(device_state: str | None) -> Verdict:
    """The verdict of a failed Originate that never made a channel, given the endpoint's
    `DEVICE_STATE` (None when it could not be read)."""
    if device_state in ("UNAVAILABLE", "INVALID"):
        return Verdict(
            Blame.DECLINED, "away", f"the phone is not registered (device {device_state})"
        )
    seen = device_state or "unknown"
    return Verdict(
        Blame.PBX, "not-placed", f"Asterisk made no channel for the phone (device {seen})"
    )


def refused(message: str) -> Verdict:
    """The Originate action was refused, or never reached Asterisk."""
    return Verdict(Blame.PBX, "refused", message)
