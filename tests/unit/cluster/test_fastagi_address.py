"""The FastAGI address a cluster node advertises goes into the dialplan (`CC_LEADER`): only
`host:port` passes, and the default comes from a concrete `fastagi.host`."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from callcenter.app.settings import (
    ClusterSettings,
    FastAGISettings,
    Settings,
    advertised_fastagi,
    fastagi_address,
)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("backend:4573", "backend:4573"),
        ("backend2.callcenter.internal:4574", "backend2.callcenter.internal:4574"),
        ("10.0.0.5:4573", "10.0.0.5:4573"),
        ("[::1]:4573", "[::1]:4573"),
        ("[2001:db8:0:0::1]:4573", "[2001:db8::1]:4573"),
        ("backend:04573", "backend:4573"),
    ],
)
def test_given_a_host_and_port_then_the_address_is_kept(given: str, kept: str) -> None:
    assert fastagi_address(given) == kept


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ("backend", "not host:port"),
        (":4573", "not host:port"),
        ("backend:", "port"),
        ("backend:0", "port"),
        ("backend:65536", "port"),
        ("backend:45x3", "port"),
        ("backend:4573\n", "port"),
        ("backend:٤٥٧٣", "port"),  # digits, but not ASCII ones
        ("a,b:4573", "host name"),  # a `,` would add arguments to AGI()
        ("backend/ivr:4573", "host name"),
        ("back end:4573", "host name"),
        ("${EVIL}:4573", "host name"),
        ("-backend:4573", "host name"),
        ("::1:4573", "host name"),  # IPv6 needs brackets
        ("[::g]:4573", "IPv6"),
        ("0.0.0.0:4573", "0.0.0.0"),
        ("[::]:4573", "no address"),
        ("a" * 64 + ":4573", "host name"),  # a label is at most 63 characters
    ],
)
def test_given_anything_else_then_the_address_is_refused_naming_what_is_wrong(
    given: str, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        fastagi_address(given)


def test_given_a_bad_cluster_fastagi_address_then_the_settings_say_where() -> None:
    with pytest.raises(ValidationError, match="fastagi_address") as info:
        ClusterSettings(fastagi_address="backend:4573,x")
    assert "port" in str(info.value)


def test_given_no_address_then_a_concrete_fastagi_host_is_advertised() -> None:
    assert advertised_fastagi(Settings(fastagi=FastAGISettings(host="10.1.2.3", port=4600))) == (
        "10.1.2.3:4600"
    )
    assert advertised_fastagi(Settings(fastagi=FastAGISettings(host="::1", port=4600))) == (
        "[::1]:4600"
    )
    assert advertised_fastagi(Settings(fastagi=FastAGISettings(host="backend"))) == "backend:4573"


def test_given_a_wildcard_or_chosen_port_then_nothing_is_advertised_unless_configured() -> None:
    wildcard = FastAGISettings(host="0.0.0.0", port=4573)
    assert advertised_fastagi(Settings(fastagi=wildcard)) is None
    assert advertised_fastagi(Settings(fastagi=FastAGISettings(host="::", port=4573))) is None
    assert advertised_fastagi(Settings(fastagi=FastAGISettings(port=0))) is None
    configured = Settings(
        fastagi=wildcard, cluster=ClusterSettings(fastagi_address="backend2:4573")
    )
    assert advertised_fastagi(configured) == "backend2:4573"
