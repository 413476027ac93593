"""Wiring of the PBX side: FastAGI scripts, the executor and the AMI facts, in one place.

Strategy: `build_telephony` is called by the service once the live center exists; it
creates the IVR runner (customer lookups from the database, order status from the order
book, estimated waits from the live ACD), routes the FastAGI scripts `ivr` and `survey`,
adds the executor as a listener of the ACD host and follows every AMI client's events.
Several Asterisk servers (`pbx.servers`): each call is on the server its FastAGI request
came from, and everything done for it goes out on that server's AMI client; a server
whose link is down while callers there wait raises a wallboard alert.
The web's supervisor actions reach Asterisk through the executor (`spy`). `PbxHealth`
(the alert when Asterisk cannot ring the agents) is shown on the wallboards and in
/metrics.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass

from acd import AcdError
from callcenter.agi import FastAGIServer
from callcenter.ami import AMIClient
from callcenter.app.settings import Settings
from callcenter.app.tasks import TaskSupervisor
from callcenter.db import (
    BatchedWriter,
    CallbackRepository,
    CustomerRepository,
    InteractionRepository,
)
from callcenter.doctor.fastagi import DOCTOR_SCRIPT, answer_doctor
from callcenter.ivr.loader import FlowLibrary
from callcenter.ivr.runner import IvrRunner
from callcenter.live import CallInfo, LiveCenter
from callcenter.pbx.agi_routes import CallRoutes
from callcenter.pbx.ami_facts import AmiFacts
from callcenter.pbx.calls import PbxCalls
from callcenter.pbx.executor import PbxExecutor
from callcenter.pbx.health import PbxHealth
from callcenter.pbx.lost_sessions import LostSessions, ami_channel_exists
from callcenter.pbx.orders import OrderBook
from callcenter.pbx.outcomes import OfferOutcomes, ami_device_state
from callcenter.pbx.servers import AsteriskServers, ServerAlerts
from callcenter.pbx.standby_agi import LeaderLink

ALERT_AFTER = 3
"""PBX failures in a row (whichever agents they were for) that raise the wallboard's alert:
one is a phone's bad luck, three across the floor is Asterisk."""


class LiveWaits:
    """`WaitEstimates` from the live ACD (the IVR's callback offer uses it)."""

    def __init__(self, center: LiveCenter) -> None:
        """Read the estimates of `center`'s ACD."""
        self._center = center
        self.link: LeaderLink | None = None
        """A cluster's node: while it stands by, the estimates are the leader's."""

    def estimated_wait(self, queue: str) -> float | Awaitable[float | None] | None:
        """Seconds a caller queued now in `queue` would wait; None when unknown (asked of
        the leader on a standby, whose own ACD does not run)."""
        link = self.link
        if link is not None and link.standby():
            return link.estimated_wait(queue)
        host = self._center.host
        try:
            return host.acd.queue_stats(queue, host.now()).estimated_wait
        except AcdError:
            return None


@dataclass(slots=True)
class Telephony:
    """The PBX side's parts, for the service to start and stop."""

    calls: PbxCalls
    routes: CallRoutes
    executor: PbxExecutor
    facts: AmiFacts
    outcomes: OfferOutcomes
    lost: LostSessions
    """Waiting callers whose holding FastAGI session ended without a hang-up."""
    runner: IvrRunner
    """Runs the IVR flows (its calendars follow the center's configuration)."""
    servers: AsteriskServers
    """The Asterisk servers, which one each call is on, and their AMI clients."""
    waits: LiveWaits | None = None
    """The estimated waits the IVR reads (a cluster's standby asks the leader's)."""

    @property
    def health(self) -> PbxHealth:
        """Whether Asterisk places the calls offered (the alert, the counters)."""
        return self.outcomes.health

    async def close(self) -> None:
        """Stop following Asterisk and the actions in flight."""
        await self.facts.close()
        await self.executor.close()
        await self.outcomes.close()
        await self.lost.close()


def build_telephony(
    settings: Settings,
    center: LiveCenter,
    *,
    flows: FlowLibrary,
    agi: FastAGIServer,
    clients: list[AMIClient],
    writer: BatchedWriter,
    customers: CustomerRepository,
    callbacks: CallbackRepository,
    interactions: InteractionRepository,
    supervisor: TaskSupervisor | None = None,
) -> Telephony:
    """Route the FastAGI scripts, listen to the ACD and follow the AMI clients (each in a
    task of `supervisor`, the service's)."""
    calls = PbxCalls()
    waits = LiveWaits(center)
    runner = IvrRunner(
        flows,
        customers,
        OrderBook(settings.ivr.orders_file),
        waits=waits,
        voicemail_dir=settings.telephony.voicemail_dir,
        region=settings.cti.default_region,
    )
    servers = AsteriskServers(settings.asterisk.servers, clients)
    center.agents.default_server = servers.default

    def caller_client(call_id: str) -> AMIClient | None:
        call = calls.get(call_id)
        return servers.client(call.server if call is not None else None)

    def agent_server(agent_id: str) -> str | None:
        return servers.agent_server(agent_id, center.host.settings)

    def phone_client(endpoint: str) -> AMIClient | None:
        # The server of the agent whose phone this is, in the configuration in force.
        acd = center.host.settings
        for agent in acd.agents:
            if settings.telephony.endpoint(agent.id, acd) == endpoint:
                return servers.client(agent.server)
        return servers.client(None)

    # Is a caller whose holding session was lost still there? Asked of the caller's server.
    lost = LostSessions(center.host, calls, ami_channel_exists(caller_client), writer=writer)

    # The context (pop) of a call taken over after a restart: by the AMI resync, or by a
    # FastAGI session that brings the waiting caller back (CallRoutes).
    async def restore(call_id: str) -> CallInfo | None:
        record = await interactions.record(call_id)
        if record is None:
            return None
        return CallInfo(
            call_id=call_id,
            caller_number=record.caller_number,
            dialled_number=record.dialled_number,
            arrived_at=record.arrived_at.timestamp(),
            queue=record.queue or "",
            ivr_path=tuple(record.ivr_path),
            ivr_answers=dict(record.ivr_data),
            customer_id=record.customer_id,
            customer_name=record.customer_name,
        )

    routes = CallRoutes(
        center,
        calls,
        runner,
        telephony=settings.telephony,
        writer=writer,
        callbacks=callbacks,
        customers=customers,
        lost=lost,
        restore=restore,
        servers=servers,
    )
    agi.route("ivr", routes.ivr)
    for script in settings.ivr.scripts:
        agi.route(script, routes.survey)

    health = PbxHealth(center.host.now, alert_after=ALERT_AFTER)
    agi.route(DOCTOR_SCRIPT, answer_doctor)  # `callcenter doctor` checks who answers
    outcomes = OfferOutcomes(
        center.host, calls, health, device_state=ami_device_state(phone_client)
    )
    # Offers go out on the caller's server, callbacks on the agent's (`pbx.servers`).
    executor = PbxExecutor(
        center,
        calls,
        settings.telephony,
        servers.client,
        outcomes=outcomes,
        agent_server=agent_server,
    )
    center.host.add_listener(executor)
    center.wallboard.add_alert_source(health.alerts)
    center.wallboard.add_alert_source(ServerAlerts(servers, center.host).alerts)

    facts = AmiFacts(
        center,
        calls,
        # The phone of the configuration in force, as the executor rings it.
        endpoint=lambda agent_id: settings.telephony.endpoint(agent_id, center.host.settings),
        outcomes=outcomes,
        restore=restore,
        cancel_leg=executor.cancel_leg,
        supervisor=supervisor,
        default_server=servers.default,
        survey_context=settings.telephony.survey_context,
    )
    for client in clients:
        facts.attach(client)
    return Telephony(calls, routes, executor, facts, outcomes, lost, runner, servers, waits)
