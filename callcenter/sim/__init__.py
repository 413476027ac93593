"""A PBX simulator: a stand-in for Asterisk 22 speaking real AMI and FastAGI over sockets.

Strategy: everything the simulator says is taken from the recordings of a real Asterisk in
`tests/fixtures/asterisk/` (banner, login, responses, event order and fields, the
`agi_*` environment, AGI reply lines) and held to them by `tests/protocol/test_sim_*.py`.
Behaviour comes from participants: `CallerScript` (what a caller presses, how patient
they are, how long they talk) and `AgentPhone` (answer, ring out, busy; talk time).
Time goes through an injectable `Clock`. Example::

    sim = PbxSimulator(agi_port=4573, clock=ScaledClock(speed=50))
    await sim.start()
    sim.add_phone(AgentPhone("agent1001", answer_after_s=2, talk_s=30))
    call = await sim.place_call(CallerScript("5550001", "100", steps=(Press("1"),)))
    record = await call.done
"""

from callcenter.sim.clock import Clock, RealClock, ScaledClock
from callcenter.sim.options import SimOptions
from callcenter.sim.participants import (
    AgentPhone,
    Callee,
    CallerScript,
    CallRecord,
    PhoneMode,
    PhoneRing,
    Press,
    Silence,
    Step,
)
from callcenter.sim.simulator import PbxSimulator, SimCall
from callcenter.sim.traffic import ScriptFactory, run_traffic

__all__ = [
    "AgentPhone",
    "CallRecord",
    "Callee",
    "CallerScript",
    "Clock",
    "PbxSimulator",
    "PhoneMode",
    "PhoneRing",
    "Press",
    "RealClock",
    "ScaledClock",
    "ScriptFactory",
    "Silence",
    "SimCall",
    "SimOptions",
    "Step",
    "run_traffic",
]
