"""Agent logins and configured agents: a login of role agent works as the agent of its name.

Strategy: agents (their queues and skills) live in the settings (`acd.agents`), logins in
the database, and an agent's login is tied to the agent whose id is its username. Until
agents can be edited in the browser, a login created first (admin page, `callcenter users
add --role agent`) is refused by the desktop; every place that creates one says so at once,
with the same words, naming the settings key and the agents that exist.
"""

from __future__ import annotations

from acd import AcdSettings


def unconfigured_agent(username: str, role: str, acd: AcdSettings) -> str | None:
    """Why a login cannot take calls yet (its agent is not configured), or None if it can.

    Only agent logins need an agent; supervisors and admins never do.
    """
    if role != "agent" or any(agent.id == username for agent in acd.agents):
        return None
    known = ", ".join(agent.id for agent in acd.agents) or "none yet"
    return (
        f"no agent {username!r} is configured: {username} can log in, but the desktop takes "
        f"no calls until an agent with id {username!r} (its queues and skills) is added to "
        f"acd.agents in the settings (config/callcenter.yaml) and the service restarted. "
        f"Configured agents: {known}."
    )
