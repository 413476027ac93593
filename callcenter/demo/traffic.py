"""The demo's callers and phones: the calls of a normal day on the PBX simulator.

Strategy: callers are drawn from the demo customers (most calls come from known numbers,
some from unknown ones who key in an account or skip it), choose a reason from the main
menu (order status, billing, support, complaints, operator) in realistic proportions,
wait with a patience of one to four minutes, talk for a while and mostly rate the call
afterwards. Every agent's endpoint gets a phone that rings a few seconds and answers;
agents other than the first are "bots" the demo logs in, so the wallboard moves while a
person takes calls as the first agent in the browser. A seeded RNG keeps runs alike.

How many call is `DemoLoad`: a normal day's rate, which the five simulated agents serve
within the queues' service-level targets most of the time, with a peak now and then (a
few minutes at a multiple of the rate) that makes callers wait and the wallboard react,
and from which the floor recovers. The rate is the demo's knob (`--calls-per-minute`);
`tests/unit/acd/test_demo_load.py` runs the ACD core through hours of the default load.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from callcenter.sim import AgentPhone, CallerScript, PbxSimulator, Press, Silence

DEFAULT_CALLS_PER_MINUTE = 0.6
"""A normal day for the demo's five simulated agents (36 calls an hour, a third of their time
on calls): service levels above target most of the time, peaks included."""


@dataclass(frozen=True, slots=True)
class DemoLoad:
    """How many calls the demo places: a normal rate with a peak now and then."""

    calls_per_minute: float = DEFAULT_CALLS_PER_MINUTE
    """New calls a minute outside the peaks."""
    peak_factor: float = 2.5
    """The rate during a peak, as a multiple of the normal one (1: no peaks)."""
    peak_every_s: float = 1800.0
    """A peak begins every this many seconds ..."""
    peak_s: float = 240.0
    """... and lasts this long."""
    first_peak_s: float = 900.0
    """When the first peak begins: a newcomer sees a calm floor first."""

    def __post_init__(self) -> None:
        if self.calls_per_minute <= 0:
            raise ValueError(f"calls per minute must be positive, got {self.calls_per_minute}")
        if self.peak_factor < 1:
            raise ValueError(f"a peak cannot be quieter than normal: {self.peak_factor}")

    def in_peak(self, elapsed_s: float) -> bool:
        """Whether `elapsed_s` seconds into the demo fall in a peak."""
        since_first = elapsed_s - self.first_peak_s
        return since_first >= 0 and since_first % self.peak_every_s < self.peak_s

    def rate_per_s(self, elapsed_s: float) -> float:
        """New calls a second, `elapsed_s` seconds into the demo."""
        factor = self.peak_factor if self.in_peak(elapsed_s) else 1.0
        return self.calls_per_minute * factor / 60

    @property
    def top_rate_per_s(self) -> float:
        """The highest rate, in a peak."""
        return self.calls_per_minute * self.peak_factor / 60


def arrival_times(load: DemoLoad, duration_s: float, rng: random.Random) -> list[float]:
    """When calls arrive (seconds from the start) over `duration_s`: a Poisson stream of
    the load's rate, peaks included (Lewis-Shedler thinning of the top rate)."""
    times: list[float] = []
    top = load.top_rate_per_s
    at = rng.expovariate(top)
    while at <= duration_s:
        if rng.random() * top <= load.rate_per_s(at):
            times.append(at)
        at += rng.expovariate(top)
    return times


async def run_demo_traffic(
    sim: PbxSimulator,
    load: DemoLoad,
    script_factory: Callable[[int], CallerScript],
    *,
    duration_s: float,
    rng: random.Random | None = None,
) -> int:
    """Place the load's calls on `sim` for `duration_s` simulated seconds; how many."""
    rng = rng or random.Random()
    clock = sim.clock
    start = clock.now()
    top = load.top_rate_per_s
    placed = 0
    while True:
        gap = rng.expovariate(top)
        if clock.now() + gap - start > duration_s:
            return placed
        await clock.sleep(gap)
        if rng.random() * top <= load.rate_per_s(clock.now() - start):
            await sim.place_call(script_factory(placed))
            placed += 1


MENU = (("2", 0.35), ("3", 0.3), ("1", 0.1), ("4", 0.1), ("0", 0.15))
"""Main-menu keys (billing, support, order status, complaints, operator) and their shares."""


def agent_phones(endpoints: Sequence[str], rng: random.Random) -> list[AgentPhone]:
    """One phone per agent endpoint (`PJSIP/agent1001` -> `agent1001`)."""
    phones = []
    for endpoint in endpoints:
        name = endpoint.split("/", 1)[-1]
        phones.append(
            AgentPhone(name, answer_after_s=rng.uniform(1.5, 4.0), talk_s=rng.uniform(40, 120))
        )
    return phones


class DemoCallers:
    """Makes caller scripts: known and unknown numbers, menu choices, patience, ratings."""

    def __init__(self, known_numbers: Sequence[str], seed: int = 2026) -> None:
        """Draw known callers from `known_numbers` (E.164)."""
        self._known = list(known_numbers)
        self._rng = random.Random(seed)

    def __call__(self, index: int) -> CallerScript:
        """The script of the `index`-th caller."""
        rng = self._rng
        key = rng.choices([k for k, _ in MENU], weights=[w for _, w in MENU])[0]
        survey = tuple(str(rng.choice((3, 4, 4, 5, 5))) for _ in range(3))
        if self._known and rng.random() < 0.75:
            number = rng.choice(self._known)
            steps: tuple[Press | Silence, ...] = (Press(key, after_s=rng.uniform(1, 3)),)
        else:
            number = f"+4917{rng.randrange(10**7, 10**8)}"
            # Past the welcome, English, no account at hand (twice), then the menu.
            menu = Press(key, after_s=rng.uniform(1, 3))
            steps = (Silence(), Press("1"), Press("#"), Press("#"), menu)
        if key == "1":
            steps += (Press(f"{100100 + 7 * rng.randrange(40)}#"), Silence(), Press("0"))
        return CallerScript(
            number,
            "100",
            steps=steps,
            patience_s=rng.uniform(60, 240),
            survey_answers=(("5", *survey) if rng.random() < 0.7 else ()),
        )
