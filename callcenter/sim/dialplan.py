"""What the simulated PBX reports about its configuration (ShowDialPlan, endpoints).

Strategy: the simulator plays the dialplan of `tests/fixtures/asterisk/lab-config/
extensions.conf` (the contexts the product relies on: `inbound` answers and runs the IVR
over FastAGI, `survey` runs the survey script after an agent hangs up), so ShowDialPlan
lists exactly those, with the FastAGI URL of this simulator's settings. Endpoints are the
phones added to the simulator plus the `caller` endpoint, in the shape of s12's
PJSIPShowEndpoints reply; an unregistered phone lists no contact and `Unavailable`, as
`caller` does there. `SimOptions.dialplan` replaces the lab dialplan (e.g. with the
product's config/asterisk/extensions.conf, for `callcenter doctor`).
"""

from __future__ import annotations

from callcenter.sim.options import SimOptions
from callcenter.sim.pbx import Pbx
from callcenter.sim.wire import Pairs


def _contexts(options: SimOptions) -> list[tuple[str, str, list[tuple[str, str]]]]:
    if options.dialplan is not None:
        return [(context, exten, list(steps)) for context, exten, steps in options.dialplan]
    base = f"agi://{options.agi_host}:{options.agi_port}"
    return [
        ("survey", "s", [
            ("NoOp", "survey for ${CHANNEL} after agent hangup, BRIDGEPEER=${BRIDGEPEER}"),
            ("AGI", f"{base}/{options.survey_script}"),
            ("NoOp", "survey done SURVEY_Q1=${SURVEY_Q1} AGISTATUS=${AGISTATUS}"),
            ("Hangup", ""),
        ]),
        ("agents", "_age[n]t100[1-5]", [("Dial", "PJSIP/${EXTEN},30"), ("Hangup", "")]),
        ("inbound", "_X.", [("Answer", ""), ("AGI", f"{base}/{options.ivr_script}"),
                            ("Hangup", "")]),
    ]  # fmt: skip


def dialplan_items(options: SimOptions, context: str | None) -> list[Pairs]:
    """ListDialplan rows (without Event/ActionID) of `context`, or of every context."""
    rows: list[Pairs] = []
    for name, exten, steps in _contexts(options):
        if context is not None and context != name:
            continue
        for priority, (app, data) in enumerate(steps, start=1):
            rows.append([
                ("Context", name), ("Extension", exten), ("Priority", str(priority)),
                ("Application", app), ("AppData", data), ("Registrar", "pbx_config"),
            ])  # fmt: skip
    return rows


def endpoint_items(pbx: Pbx) -> list[Pairs]:
    """EndpointList rows (without Event/ActionID): every phone, then `caller`."""
    rows: list[Pairs] = []
    for port, endpoint in enumerate(sorted(pbx.phones), start=5071):
        active = sum(1 for leg in pbx.legs.values() if leg.phone.endpoint == endpoint)
        registered = pbx.phones[endpoint].registered
        contact = f"{endpoint}/sip:{endpoint}@127.0.0.1:{port}," if registered else ""
        state = "Unavailable" if not registered else "In use" if active else "Not in use"
        rows.append([
            ("ObjectType", "endpoint"), ("ObjectName", endpoint), ("Transport", "transport-udp"),
            ("Aor", endpoint), ("Auths", ""), ("OutboundAuths", ""),
            ("Contacts", contact), ("DeviceState", state),
            ("ActiveChannels", str(active)),
        ])  # fmt: skip
    callers = sum(1 for _ in pbx.calls)
    rows.append([
        ("ObjectType", "endpoint"), ("ObjectName", "caller"), ("Transport", "transport-udp"),
        ("Aor", ""), ("Auths", ""), ("OutboundAuths", ""),
        ("DeviceState", "In use" if callers else "Unavailable"), ("ActiveChannels", str(callers)),
    ])  # fmt: skip
    return rows
