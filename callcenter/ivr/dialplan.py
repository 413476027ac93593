"""What the product needs from Asterisk's dialplan: contexts, FastAGI scripts, variables.

Strategy: one table of the dialplan contract, in the code's own terms, so that the two
readers of it agree: `callcenter doctor` asks a running Asterisk (ShowDialPlan) whether the
contexts are there and whether their FastAGI URLs point at this service, and the tests hold
`config/asterisk/extensions.conf` to the same table. The contract (docs/ARCHITECTURE.md,
"Call lifecycle on Asterisk"): the hotline DIDs run FastAGI `ivr`; a queued caller is
marked with `CC_QUEUED=1` so the dialplan keeps them on hold in `queue-hold` if that
session ends without a hang-up; offers originate the agent into
`Bridge(<caller>,F(<survey>^s^1))`, whose context runs FastAGI `survey`; callbacks
originate the agent into the callback context with the customer's number; IVR transfers
dial `Local/<number>@outbound`; an automated follow-up call originates the customer through
the trunk into the follow-up context, which runs FastAGI `followup` (the follow-up's id in
`CC_FOLLOWUP`, read back by the backend, never used by the dialplan).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from callcenter.app.settings import Settings

IVR_SCRIPT = "ivr"
"""The FastAGI script every hotline call starts with (`agi://<backend>:<port>/ivr`)."""

HOLD_CONTEXT = "queue-hold"
"""Where the dialplan keeps a queued caller whose FastAGI session ended without a hang-up."""

TRANSFER_CONTEXT = "outbound"
"""The context IVR transfers dial through (`Local/<number>@outbound`)."""

QUEUED_VARIABLE = "CC_QUEUED"
"""Set to 1 by the IVR on the caller's channel when the call is queued."""

DONE_VARIABLE = "CC_DONE"
"""Set to 1 by the backend when it is done with a call it leaves up (the end of a flow, a
transfer dialled): the dialplan's FastAGI fail-over ([fastagi]) takes any other end of a
session, the caller still there, for a node that went away and tries the next."""

FOLLOWUP_SCRIPT = "followup"
"""The FastAGI script of an answered automated follow-up call."""

FOLLOWUP_VARIABLE = "CC_FOLLOWUP"
"""Set on an automated follow-up call's channel: the follow-up's id (digits)."""

OFFER_VARIABLES = ("CC_CALL_ID", "CC_AGENT")
"""Set on every agent leg the backend originates (offers and callbacks)."""

LEADER_VARIABLE = "CC_LEADER"
"""Set by a standby node of a cluster to the leader's FastAGI address (`host:port`) when it
hands the call over (a caller its IVR queued, a session only the leader runs): the
dialplan's fail-over ([fastagi]) runs the script there next, and clears it before use."""

AGI_NODE_VARIABLE = "CC_AGI_NODE"
"""Set by the dialplan's fail-over ([fastagi]) to the address (`host:port`) of each FastAGI
session's node before it starts: the leader reads it to find callers held on a frozen
node (`callcenter.pbx.stuck_agi`)."""

FAILOVER_CONTEXT = "fastagi"
"""The dialplan's FastAGI fail-over: `Gosub(fastagi,s,1(<script>))` runs `<script>` on the
backend nodes named by the globals `BACKEND_GLOBALS`, the first that takes the call."""

BACKEND_GLOBALS = ("BACKEND1", "BACKEND2")
"""The dialplan's globals naming the backend nodes (`host:port`), in the order tried."""

_FAILOVER_GOSUB = re.compile(rf"^\s*{FAILOVER_CONTEXT},s,1\((?P<script>[^),]*)\)\s*$")

_AGI_URL = re.compile(r"agi://(?P<host>[^/:,\s]+)(?::(?P<port>\d+))?/(?P<script>[^,?\s]*)")


@dataclass(frozen=True, slots=True)
class RequiredContext:
    """A dialplan context the backend sends calls to, and why."""

    name: str
    why: str
    scripts: frozenset[str] = frozenset()
    """FastAGI scripts its AGI() must run (one of them); empty when it runs none."""


@dataclass(frozen=True, slots=True)
class AgiTarget:
    """Where an `AGI(agi://host:port/script)` in the dialplan connects."""

    host: str
    port: int
    script: str


def required_contexts(settings: Settings) -> list[RequiredContext]:
    """The contexts the code names, with the reason each is needed."""
    telephony = settings.telephony
    needed = [
        RequiredContext(
            HOLD_CONTEXT,
            f"keeps a queued caller on hold when FastAGI ends (GotoIf ${{{QUEUED_VARIABLE}}})",
        ),
        RequiredContext(
            telephony.callback_context,
            "agent-first callbacks dial the customer from here (telephony.callback_context)",
        ),
        RequiredContext(TRANSFER_CONTEXT, "IVR transfers dial Local/<number>@outbound"),
        RequiredContext(
            telephony.followup_context,
            "automated follow-up calls ask the customer here (telephony.followup_context)",
            frozenset({FOLLOWUP_SCRIPT}),
        ),
    ]
    if telephony.survey_context:
        needed.append(
            RequiredContext(
                telephony.survey_context,
                "the caller's survey after the agent hangs up (Bridge F option)",
                frozenset(settings.ivr.scripts),
            )
        )
    return needed


DialplanRows = tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]
"""(context, extension, ((application, data), ...)) per extension, as ShowDialPlan lists."""


def contract_dialplan(settings: Settings, agi_host: str, agi_port: int) -> DialplanRows:
    """The least dialplan that keeps the contract, its FastAGI at `agi_host:agi_port`.

    What the demo's simulated Asterisk lists (ShowDialPlan), so that `callcenter doctor`
    checks the demo as it checks a real Asterisk; config/asterisk/extensions.conf is the
    full one.
    """
    base = f"agi://{agi_host}:{agi_port}"
    rows: list[tuple[str, str, tuple[tuple[str, str], ...]]] = [
        ("inbound", "_X.", (("Answer", ""), ("AGI", f"{base}/{IVR_SCRIPT}"), ("Hangup", "")))
    ]
    for need in required_contexts(settings):
        if need.scripts:  # the survey: entered at `s` (Bridge's F option)
            rows.append((need.name, "s", (("AGI", f"{base}/{min(need.scripts)}"), ("Hangup", ""))))
        else:
            rows.append((need.name, "_X.", (("NoOp", need.why), ("Hangup", ""))))
    return tuple(rows)


def failover_script(application: str, app_data: str) -> str | None:
    """The FastAGI script a `Gosub(fastagi,s,1(<script>))` runs through the fail-over;
    None for any other application."""
    if application.lower() != "gosub":
        return None
    match = _FAILOVER_GOSUB.match(app_data)
    return match["script"] if match else None


def backend_targets(script: str, nodes: list[str], default_port: int = 4573) -> list[AgiTarget]:
    """Where the fail-over runs `script`: a target per node address (`host[:port]`) in
    `nodes` (the values of `BACKEND_GLOBALS`), in order; an empty one is skipped."""
    targets = (agi_target(f"agi://{node}/{script}", default_port) for node in nodes if node)
    return [target for target in targets if target is not None]


def agi_target(app_data: str, default_port: int = 4573) -> AgiTarget | None:
    """The FastAGI target of an AGI() application's data, None if it is not FastAGI."""
    match = _AGI_URL.search(app_data)
    if match is None:
        return None
    port = int(match["port"]) if match["port"] else default_port
    return AgiTarget(match["host"], port, match["script"])
