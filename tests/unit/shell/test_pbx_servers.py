"""Which Asterisk server a FastAGI call comes from: the URL's `?server=`, else the peer
address of exactly one configured server, else the default (the first configured)."""

from __future__ import annotations

from acd import AcdSettings
from callcenter.agi.request import AGIRequest, build_request
from callcenter.app.settings import AMIServerSettings
from callcenter.pbx.servers import AsteriskServers


def _servers(*hosts: tuple[str, str]) -> AsteriskServers:
    configured = [AMIServerSettings(name=name, host=host, username="cc") for name, host in hosts]
    return AsteriskServers(configured, [])


def _request(script: str) -> AGIRequest:
    return build_request(
        [
            ("agi_network", "yes"),
            ("agi_network_script", script),
            ("agi_request", f"agi://backend:4573/{script}"),
            ("agi_channel", "PJSIP/caller-00000001"),
            ("agi_uniqueid", "1764800000.1"),
        ]
    )


async def test_given_the_url_names_a_server_when_a_call_arrives_then_it_is_on_that_server() -> None:
    servers = _servers(("pbx1", "10.0.0.1"), ("pbx2", "10.0.0.1"))

    assert await servers.server_of(_request("ivr?server=pbx2"), "10.0.0.1") == "pbx2"


async def test_given_an_unknown_name_in_the_url_when_a_call_arrives_then_its_address_decides() -> (
    None
):
    servers = _servers(("pbx1", "10.0.0.1"), ("pbx2", "10.0.0.2"))

    assert await servers.server_of(_request("ivr?server=nowhere"), "10.0.0.2") == "pbx2"


async def test_given_servers_on_their_own_machines_when_a_call_arrives_then_its_address_tells() -> (
    None
):
    servers = _servers(("pbx1", "10.0.0.1"), ("pbx2", "localhost"))

    assert await servers.server_of(_request("ivr"), "10.0.0.1") == "pbx1"
    assert await servers.server_of(_request("ivr"), "127.0.0.1") == "pbx2"


async def test_given_two_servers_on_one_address_when_the_url_names_none_then_the_default() -> None:
    servers = _servers(("pbx1", "127.0.0.1"), ("pbx2", "127.0.0.1"))

    assert await servers.server_of(_request("ivr"), "127.0.0.1") == "pbx1"


async def test_given_one_server_when_a_call_arrives_from_anywhere_then_it_is_on_it() -> None:
    servers = _servers(("pbx1", "asterisk.example"))

    assert await servers.server_of(_request("ivr"), "192.0.2.7") == "pbx1"


def test_given_an_agent_with_no_server_then_their_phone_is_on_the_default_server() -> None:
    servers = _servers(("pbx1", "10.0.0.1"), ("pbx2", "10.0.0.2"))
    acd = AcdSettings.model_validate(
        {
            "queues": [{"name": "general"}],
            "agents": [{"id": "a1"}, {"id": "a2", "server": "pbx2"}],
        }
    )

    assert [servers.agent_server(a, acd) for a in ("a1", "a2")] == ["pbx1", "pbx2"]
