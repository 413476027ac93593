"""The demo's callers and phones: a steady, realistic stream of calls on the PBX simulator.

Strategy: callers are drawn from the demo customers (most calls come from known numbers,
some from unknown ones who key in an account or skip it), choose a reason from the main
menu (order status, billing, support, complaints, operator) in realistic proportions,
wait with a patience of one to four minutes, talk for a while and mostly rate the call
afterwards. Every agent's endpoint gets a phone that rings a few seconds and answers;
agents other than the first are "bots" the demo logs in, so the wallboard moves while a
person takes calls as the first agent in the browser. A seeded RNG keeps runs alike.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from callcenter.sim import AgentPhone, CallerScript, Press, Silence

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
