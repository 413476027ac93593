"""The RTP port range carries the center's peak, and the compose file publishes all of it.

Asterisk's arithmetic (res/res_rtp_asterisk.c, `rtp_allocate_transport`): every RTP
instance (one per PJSIP channel with audio) binds an even port of `rtpstart`..`rtpend`
(a random even start, then +2), and without `rtcp_mux` its RTCP binds that port + 1. So
one channel costs two ports, the range must start even and end odd (else the top even
port's RTCP lies outside what is published), and `(rtpend - rtpstart + 1) / 2` channels
fit. A channel that gets no port fails: an inbound call is answered 488, an Originate to
an agent fails before its phone rings (both seen on Asterisk 22.10.1).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from callcenter.app.settings import Settings, load_settings
from tests.asterisk_conf import Section, parse

ROOT = Path(__file__).resolve().parents[3]
CONF = ROOT / "config" / "asterisk"
HEADROOM = 1.1
"""Channels the range must hold beyond the peak's count (calls tearing down, callers
refused above fastagi.max_sessions still hold a port for a moment)."""
AUDIO_CODECS = {"ulaw", "alaw", "g722", "gsm", "g729", "opus", "slin", "slin16", "ilbc"}


def _rtp_range() -> tuple[int, int]:
    general = next(s for s in parse(CONF / "rtp.conf") if s.name == "general")
    start, end = general.get("rtpstart"), general.get("rtpend")
    assert start is not None, "rtp.conf: [general] has no rtpstart"
    assert end is not None, "rtp.conf: [general] has no rtpend"
    return int(start), int(end)


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(ROOT / "config" / "callcenter.yaml", require_secrets=False)


@pytest.fixture(scope="module")
def asterisk_ports() -> list[str]:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return [str(p) for p in compose["services"]["asterisk"]["ports"]]


def test_every_rtp_port_has_its_rtcp_port_inside_the_range() -> None:
    start, end = _rtp_range()
    assert start % 2 == 0, f"rtpstart {start} is odd: Asterisk rounds it up"
    assert end % 2 == 1, f"rtpend {end} is even: RTCP of port {end} would use {end + 1}"
    assert 1024 < start < end <= 65535


def test_the_compose_file_publishes_exactly_the_rtp_range_one_to_one(
    asterisk_ports: list[str],
) -> None:
    start, end = _rtp_range()
    udp_ranges = [p for p in asterisk_ports if p.endswith("/udp") and "-" in p]
    assert udp_ranges == [f"{start}-{end}:{start}-{end}/udp"]
    singles = [int(m[1]) for p in asterisk_ports if (m := re.fullmatch(r"(\d+):\d+/udp", p))]
    assert not [port for port in singles if start <= port <= end], "SIP inside the RTP range"


def test_the_range_holds_every_channel_of_the_peak_with_headroom(settings: Settings) -> None:
    start, end = _rtp_range()
    channels_fitting = (end - start + 1) // 2
    telephony = settings.telephony
    # Every caller in the IVR, in line or in the survey holds a FastAGI session (so at most
    # max_sessions of them) and one channel; each agent phone adds up to two (its leg and
    # the caller's while talking, or a callback's two legs); each supervisor phone one.
    peak = (
        settings.fastagi.max_sessions
        + 2 * len({telephony.endpoint(a.id, settings.acd) for a in settings.acd.agents})
        + len(telephony.supervisor_endpoints)
    )
    assert channels_fitting >= peak * HEADROOM, (
        f"rtp.conf {start}-{end} fits {channels_fitting} channels; the peak needs {peak} "
        f"(+{HEADROOM - 1:.0%}): widen rtp.conf and docker-compose.yml together"
    )


def _endpoint_option(sections: list[Section], section: Section, key: str) -> list[str]:
    templates = {s.name: s for s in sections if s.is_template}
    values: list[str] = []
    for name in section.templates:
        if name in templates:
            values += templates[name].get_all(key)
    return values + section.get_all(key)


def test_every_endpoint_carries_audio_only_so_a_channel_takes_two_ports() -> None:
    sections = [s for f in ("pjsip.conf", "pjsip_trunk.conf") for s in parse(CONF / f)]
    endpoints = [
        s
        for s in sections
        if not s.is_template and "endpoint" in _endpoint_option(sections, s, "type")
    ]
    assert endpoints
    for endpoint in endpoints:
        allowed = {
            codec.strip()
            for line in _endpoint_option(sections, endpoint, "allow")
            for codec in line.split(",")
        }
        assert allowed, endpoint.name
        assert allowed <= AUDIO_CODECS, f"{endpoint.name}: a video codec doubles the ports"


def test_the_readme_names_the_range_in_force() -> None:
    start, end = _rtp_range()
    readme = (ROOT / "README.md").read_text()
    assert f"Media uses UDP {start}-{end}" in readme
