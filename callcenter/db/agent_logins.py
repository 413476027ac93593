"""Agent logins and configured agents: a login of role agent works as the agent of its name.

Strategy: agents (their queues and skills) live in the ACD configuration (`acd.agents`,
stored as versions in the database), logins in the users table, and an agent's login is
tied to the agent whose id is its username. A login created before its agent (admin page,
`callcenter users add --role agent`) is refused by the desktop; every place that creates
one says so at once, with the same words, naming the key and the agents that exist.
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
        f"acd.agents of the ACD configuration, which the database holds (the settings file "
        f"config/callcenter.yaml only seeds a new database): the configuration page "
        f"(/config) or PUT /api/config/acd applies it at once, `callcenter config import` "
        f"at the service's next start. "
        f"Configured agents: {known}."
    )
