"""The AMI actions the product sends, answered as Asterisk 22 answers them.

Strategy: one function per action, each returning or sending exactly the recorded
responses (s4, s5, s7, s9, s12, cli): `Originate successfully queued` then the
OriginateResponse event later; `Channel Hungup` / `No such channel`; `Variable Set`;
`Redirect successful`; list actions framed by `EventList: start` ... `<Name>Complete`
with `ListItems` (CoreShowChannels, Status, ShowDialPlan, PJSIPShowEndpoints,
BridgeList), items carrying the ActionID where Asterisk puts it. Anything else gets
`Invalid/unknown command: <name>. Use Action: ListCommands to show available commands.`
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from callcenter.sim import events as ev
from callcenter.sim.channel import UNKNOWN, duration
from callcenter.sim.dialplan import dialplan_items, endpoint_items
from callcenter.sim.originate import AgentLeg, OriginateRequest, parse_caller_id
from callcenter.sim.pbx import Pbx
from callcenter.sim.trunk_originate import TrunkOriginate, trunk_number
from callcenter.sim.wire import Pairs, get, get_all


class Session(Protocol):
    """What a handler needs of the client connection that sent the action: a way to answer.

    `ami_server.AMISession` is the one. A protocol, not that class: the server imports this
    module to dispatch, and an import of the server here would close an import cycle.
    """

    def send(self, pairs: Pairs) -> None:
        """Write one message to the client."""


Handler = Callable[[Pbx, Session, Pairs, str | None], Awaitable[None]]


def resp(aid: str | None, status: str, *pairs: tuple[str, str]) -> Pairs:
    """`Response: <status>`, the ActionID when the action had one, then `pairs`."""
    out = [("Response", status)]
    if aid is not None:
        out.append(("ActionID", aid))
    return [*out, *pairs]


def error(aid: str | None, message: str) -> Pairs:
    """`Response: Error` with a `Message`."""
    return resp(aid, "Error", ("Message", message))


def _list(session: Session, aid: str | None, message: str, name: str, items: list[Pairs],
          *extra: tuple[str, str]) -> None:  # fmt: skip
    session.send(resp(aid, "Success", ("EventList", "start"), ("Message", message)))
    for item in items:
        session.send(item)
    tail = [("Event", name), *([("ActionID", aid)] if aid is not None else [])]
    session.send([*tail, ("EventList", "Complete"), ("ListItems", str(len(items))), *extra])


def _aid_item(name: str, aid: str | None, pairs: Pairs) -> Pairs:
    return [("Event", name), *([("ActionID", aid)] if aid is not None else []), *pairs]


async def ping(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """Ping -> Pong with a timestamp."""
    session.send(resp(aid, "Success", ("Ping", "Pong"), ("Timestamp", f"{pbx.clock.now():.6f}")))


async def core_settings(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """CoreSettings, as Asterisk 22 answers it (s12): the versions, the systemname."""
    session.send(
        resp(aid, "Success", ("AMIversion", "11.0.0"), ("AsteriskVersion", "22.10.1"),
             ("SystemName", pbx.options.system_name), ("CoreMaxCalls", "0"),
             ("CoreMaxLoadAvg", "0.000000"), ("CoreRunUser", ""), ("CoreRunGroup", ""),
             ("CoreMaxFilehandles", "0"), ("CoreRealTimeEnabled", "No"),
             ("CoreCDRenabled", "Yes"), ("CoreHTTPenabled", "No"),
             ("SoundsSearchCustomDir", "No"))
    )  # fmt: skip


async def core_show_channels(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """Every live channel as a CoreShowChannel item."""
    now = pbx.clock.now()
    items = [
        _aid_item("CoreShowChannel", aid, [
            *c.block(), ("Application", c.application), ("ApplicationData", c.app_data),
            ("Duration", duration(c, now)), ("BridgeId", c.bridge_id),
        ])
        for c in sorted(pbx.channels.values(), key=lambda c: c.name)
    ]  # fmt: skip
    _list(session, aid, "Channels will follow", "CoreShowChannelsComplete", items)


async def status(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """Status of one channel or all (Status items end with their ActionID)."""
    name = get(action, "Channel")
    if name and name not in pbx.channels:
        session.send(error(aid, "No such channel"))
        return
    chans = [pbx.channels[name]] if name else sorted(pbx.channels.values(), key=lambda c: c.name)
    now = pbx.clock.now()
    items = [
        [("Event", "Status"), ("Privilege", "Call"), *c.block(), ("Type", "PJSIP"),
         ("DNID", c.dnid), ("EffectiveConnectedLineNum", c.connected_num),
         ("EffectiveConnectedLineName", c.connected_name), ("TimeToHangup", "0"),
         ("BridgeID", c.bridge_id), ("Application", c.application), ("Data", c.app_data),
         ("Nativeformats", "(ulaw)"), ("Readformat", "ulaw"), ("Readtrans", ""),
         ("Writeformat", "ulaw"), ("Writetrans", ""), ("Callgroup", "0"), ("Pickupgroup", "0"),
         ("Seconds", str(int(now - c.created))), *([("ActionID", aid)] if aid else [])]
        for c in chans
    ]  # fmt: skip
    count = str(len(items))
    _list(session, aid, "Channel status will follow", "StatusComplete", items, ("Items", count))


async def getvar(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """Getvar of a channel variable or a global one (unset: an empty Value)."""
    variable = get(action, "Variable") or ""
    value = pbx.variable(variable, get(action, "Channel"))
    if value is None:
        session.send(error(aid, "No such channel"))
        return
    session.send(resp(aid, "Success", ("Variable", variable), ("Value", value)))


async def setvar(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """Setvar; emits VarSet (a global one with `Channel: none`, as s4 shows)."""
    variable, value = get(action, "Variable") or "", get(action, "Value") or ""
    name = get(action, "Channel")
    if name is None:
        pbx.globals[variable] = value
        session.send(resp(aid, "Success", ("Message", "Variable Set")))
        pbx.emit([*ev.head("VarSet", "dialplan,all"), ("Channel", "none"), ("Uniqueid", "none"),
                  ("Variable", variable), ("Value", value)])  # fmt: skip
        return
    chan = pbx.channels.get(name)
    if chan is None:
        session.send(error(aid, "No such channel"))
        return
    chan.variables[variable] = value
    session.send(resp(aid, "Success", ("Message", "Variable Set")))
    pbx.emit(ev.varset(chan, variable, value))


async def hangup(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """Hangup a channel by name or Uniqueid (Asterisk's channel lookup takes either),
    optionally with a Cause; "No such channel" before the channel exists."""
    cause = get(action, "Cause") or ""
    channel = pbx.channel(get(action, "Channel") or "")
    if channel is None:
        session.send(error(aid, "No such channel"))
        return
    session.send(resp(aid, "Success", ("Message", "Channel Hungup")))
    pbx.hangup(channel.name, by="ami", cause=int(cause) if cause.isdigit() else None)


async def redirect(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """Redirect a caller; inside an AGI it moves once the FastAGI server closes (s4)."""
    name = get(action, "Channel") or ""
    if name not in pbx.channels:
        session.send(error(aid, f"Channel does not exist: {name}"))
        return
    session.send(resp(aid, "Success", ("Message", "Redirect successful")))
    call = pbx.calls.get(name)
    if call is not None:
        priority = get(action, "Priority") or "1"
        context, exten = get(action, "Context") or "", get(action, "Exten") or "s"
        call.redirect(context, exten, int(priority) if priority.isdigit() else 1)


async def originate(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """Originate to `PJSIP/<endpoint>`; async answers at once, the outcome comes as an event."""
    dial = get(action, "Channel")
    if not dial:
        session.send(error(aid, "Channel not specified"))
        return
    timeout = get(action, "Timeout") or ""
    request = OriginateRequest(
        dial=dial,
        application=get(action, "Application"),
        data=get(action, "Data") or "",
        context=get(action, "Context") or "",
        exten=get(action, "Exten") or "",
        timeout_s=int(timeout) / 1000 if timeout.isdigit() else pbx.options.default_ring_timeout_s,
        caller_id=parse_caller_id(get(action, "CallerID")),
        variables=tuple(tuple(v.split("=", 1)) for v in get_all(action, "Variable") if "=" in v),  # type: ignore[misc]
        action_id=aid,
        channel_id=get(action, "ChannelId") or None,
    )
    tech, _, endpoint = dial.partition("/")
    phone = pbx.phones.get(endpoint) if tech.upper() == "PJSIP" else None
    is_async = (get(action, "Async") or "").lower() in ("true", "yes", "1")
    number = trunk_number(dial, pbx.options.trunk)
    if number is not None and request.application is None:
        # A customer dialled through the trunk into a context (the automated follow-up).
        call = TrunkOriginate(pbx, request, number)
        if is_async:
            session.send(resp(aid, "Success", ("Message", "Originate successfully queued")))
            pbx.spawn(call.run(), f"originate:{dial}")
            return
        await call.run()
        session.send(resp(aid, "Success", ("Message", "Originate successfully queued")))
        return
    if phone is None or not phone.registered:
        # No such endpoint, or no contact registered: chan_pjsip refuses the request, so no
        # channel and no event but the OriginateResponse (as on Asterisk 22.10.1).
        if not is_async:
            session.send(error(aid, "Originate failed"))
            return
        session.send(resp(aid, "Success", ("Message", "Originate successfully queued")))
        pbx.emit(request.response(False, 0, UNKNOWN))
        return
    leg = AgentLeg(pbx, phone, request)
    if is_async:
        session.send(resp(aid, "Success", ("Message", "Originate successfully queued")))
        pbx.spawn(leg.run(), f"originate:{dial}")
        return
    await leg.run()
    session.send(resp(aid, "Success", ("Message", "Originate successfully queued")))


async def user_event(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """UserEvent: `Event Sent`, then the event repeating every header (ActionID too)."""
    session.send(resp(aid, "Success", ("Message", "Event Sent")))
    rest = [(k, v) for k, v in action if k.lower() not in ("action", "userevent", "actionid")]
    ids = [("ActionID", aid)] if aid is not None else []
    pbx.emit([*ev.head("UserEvent", "user,all"), ("UserEvent", get(action, "UserEvent") or ""),
              *ids, *rest])  # fmt: skip


async def show_dialplan(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """ShowDialPlan of the lab dialplan (one context, or all)."""
    context = get(action, "Context")
    rows = dialplan_items(pbx.options, context)
    if context and not rows:
        session.send(error(aid, f"Did not find context {context}"))
        return
    items = [_aid_item("ListDialplan", aid, row) for row in rows]
    exts = {(dict(r)["Context"], dict(r)["Extension"]) for r in rows}
    contexts = {dict(r)["Context"] for r in rows}
    counts = (("ListExtensions", str(len(exts))), ("ListPriorities", str(len(rows))),
              ("ListContexts", str(len(contexts))))  # fmt: skip
    _list(session, aid, "DialPlan list will follow", "ShowDialPlanComplete", items, *counts)


async def pjsip_endpoints(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """PJSIPShowEndpoints: the phones added to the simulator, then `caller`."""
    items = [_aid_item("EndpointList", aid, row) for row in endpoint_items(pbx)]
    message = "A listing of Endpoints follows, presented as EndpointList events"
    _list(session, aid, message, "EndpointListComplete", items)


async def bridge_list(pbx: Pbx, session: Session, action: Pairs, aid: str | None) -> None:
    """BridgeList: every live bridge."""
    items = [_aid_item("BridgeListItem", aid, b.bridge.block()) for b in pbx.bridges.values()]
    _list(session, aid, "Bridge listing will follow", "BridgeListComplete", items)


HANDLERS: dict[str, Handler] = {
    "ping": ping,
    "coreshowchannels": core_show_channels,
    "coresettings": core_settings,
    "status": status,
    "getvar": getvar,
    "setvar": setvar,
    "hangup": hangup,
    "redirect": redirect,
    "originate": originate,
    "userevent": user_event,
    "showdialplan": show_dialplan,
    "pjsipshowendpoints": pjsip_endpoints,
    "bridgelist": bridge_list,
}


async def dispatch(pbx: Pbx, session: Session, action: Pairs) -> None:
    """Answer one action of a logged-in session."""
    name = get(action, "Action") or ""
    aid = get(action, "ActionID")
    handler = HANDLERS.get(name.lower())
    if handler is None:
        hint = "Use Action: ListCommands to show available commands."
        session.send(error(aid, f"Invalid/unknown command: {name}. {hint}"))
        return
    await handler(pbx, session, action, aid)
