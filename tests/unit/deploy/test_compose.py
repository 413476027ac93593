"""docker-compose.yml, the Dockerfile and .env.example, checked as far as this machine can.

No Docker engine here: the compose file is validated against the Compose Specification's
JSON schema (shipped by check-jsonschema), and for what the schema cannot say: every
image pinned to a version, every mounted host path present in the repository, health
checks on every long-running service, the ports a softphone needs, and every variable
the file and the Asterisk templates use documented in .env.example.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _long_running(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if s.get("restart") != "no"}


def test_the_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("check_jsonschema")
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads((vendor / "compose-spec.json").read_text())
    jsonschema.validate(compose, schema)


def test_every_image_is_pinned_to_a_version(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if "image" not in service:
            assert "build" in service, name
            continue
        image = service["image"]
        repo, _, tag = image.rpartition(":")
        assert repo, f"{name}: {image} has no tag"
        assert "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest", f"{name}: {image} is not pinned"
        assert re.search(r"\d+\.\d+", tag), f"{name}: {image} is not pinned"
    assert re.search(r"^FROM python:3\.11\.\d+-slim", (ROOT / "Dockerfile").read_text(), re.M)


def test_every_mounted_host_path_exists(compose: dict[str, Any]) -> None:
    named = set(compose.get("volumes", {}))
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: {source} is missing"
            else:
                assert source in named, f"{name}: volume {source} is not declared"
    build = compose["services"]["backend"]["build"]
    assert (ROOT / build / "Dockerfile").is_file()


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in _long_running(compose).items():
        check = service.get("healthcheck")
        assert check, name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
    backend = compose["services"]["backend"]
    assert "/healthz" in " ".join(backend["healthcheck"]["test"])


def test_softphones_reach_sip_and_rtp_and_ami_stays_on_loopback(compose: dict[str, Any]) -> None:
    ports = compose["services"]["asterisk"]["ports"]
    assert "5060:5060/udp" in ports
    rtp = (ROOT / "config" / "asterisk" / "rtp.conf").read_text()
    start = re.search(r"rtpstart = (\d+)", rtp)
    end = re.search(r"rtpend = (\d+)", rtp)
    assert start
    assert end
    assert f"{start[1]}-{end[1]}:{start[1]}-{end[1]}/udp" in ports
    ami = [p for p in ports if p.endswith(":5038")]
    assert ami == ["127.0.0.1:5038:5038"]
    assert "8080:8080" in compose["services"]["backend"]["ports"]


def test_every_variable_used_is_in_env_example(compose: dict[str, Any]) -> None:
    text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.M))
    assert used <= listed, used - listed
    assert listed <= used, listed - used


def test_every_asterisk_placeholder_is_passed_to_the_container(compose: dict[str, Any]) -> None:
    placeholders = set()
    for path in (ROOT / "config" / "asterisk").glob("*.conf"):
        placeholders |= set(re.findall(r"@([A-Z][A-Z0-9_]*)@", path.read_text()))
    environment = set(compose["services"]["asterisk"]["environment"])
    assert placeholders == environment


def test_the_backend_gets_its_settings_and_secrets_from_the_environment(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from callcenter.app.settings import load_settings  # noqa: PLC0415

    env = compose["services"]["backend"]["environment"]
    for key, value in env.items():
        monkeypatch.setenv(key, str(value).replace("${POSTGRES_PASSWORD}", "pw"))
    monkeypatch.setenv("CALLCENTER_AMI_SECRET_PBX1", "s")
    settings = load_settings(ROOT / "config" / "callcenter.yaml")
    server = settings.asterisk.servers[0]
    assert (server.host, server.username) == ("asterisk", "callcenter")
    assert settings.fastagi.host == "0.0.0.0"
    assert settings.database.url.startswith("postgresql+asyncpg://callcenter:pw@db/")
    dialplan = (ROOT / "config" / "asterisk" / "extensions.conf").read_text()
    # The dialplan's first FastAGI node is the compose backend on its port ([globals]).
    assert f"\nBACKEND1 = backend:{settings.fastagi.port}\n" in dialplan
    assert "backend" in compose["services"]


def test_asterisk_on_the_compose_network_is_a_peer_the_backends_fastagi_serves(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipaddress  # noqa: PLC0415

    from callcenter.app.settings import Settings, load_settings  # noqa: PLC0415

    monkeypatch.setenv("CALLCENTER_AMI_SECRET_PBX1", "s")
    shipped = load_settings(ROOT / "config" / "callcenter.yaml").fastagi.allowed_peers
    [subnet] = [c["subnet"] for c in compose["networks"]["pbx"]["ipam"]["config"]]
    for allowed in (shipped, Settings().fastagi.allowed_peers):
        networks = [ipaddress.IPv4Network(peer) for peer in allowed if ":" not in peer]
        assert any(ipaddress.IPv4Network(subnet).subnet_of(n) for n in networks)
        assert any(ipaddress.IPv4Address("127.0.0.1") in n for n in networks)  # the demo


def test_the_prompts_are_made_into_asterisks_sounds_before_asterisk_starts(
    compose: dict[str, Any],
) -> None:
    from callcenter.cli.main import build_parser  # noqa: PLC0415
    from callcenter.cli.prompts import cmd_prompts_build  # noqa: PLC0415

    services = compose["services"]
    prompts, asterisk, backend = services["prompts"], services["asterisk"], services["backend"]
    command = prompts["command"]
    args = build_parser().parse_args(command[1:])
    mounts = dict(volume.split(":")[:2] for volume in prompts["volumes"])
    asterisk_mounts = dict(volume.split(":")[:2] for volume in asterisk["volumes"])

    # The backend's own image, with the backend's settings (so the backend's flows).
    assert prompts["build"] == backend["build"]
    assert command[0] == "callcenter"
    assert args.func is cmd_prompts_build
    config = prompts["environment"]["CALLCENTER_CONFIG"]
    assert config == backend["environment"]["CALLCENTER_CONFIG"]
    assert f"./config/callcenter.yaml:{config}:ro" in prompts["volumes"]
    # Into the volume where Asterisk looks sounds up (astdatadir/sounds/<language>/).
    assert str(args.sounds_dir) == mounts["sounds"] == asterisk_mounts["sounds"]
    assert asterisk_mounts["sounds"] == "/var/lib/asterisk/sounds"
    # After Asterisk's sound pack (kept, never overwritten), before Asterisk; once.
    assert prompts["depends_on"]["sounds"]["condition"] == "service_completed_successfully"
    assert asterisk["depends_on"]["prompts"]["condition"] == "service_completed_successfully"
    assert prompts["restart"] == "no"
    assert not args.force


def test_the_backend_image_has_the_programs_that_make_the_prompts() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()

    install = re.search(r"apt-get install -y --no-install-recommends ([^\\&\n]+)", dockerfile)

    assert install is not None
    assert {"espeak-ng", "sox"} <= set(install[1].split())
    assert dockerfile.index("espeak-ng") < dockerfile.index("USER callcenter")


def test_the_ha_profile_adds_a_standby_on_the_same_database_and_a_web_front_for_the_leader(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from callcenter.app.settings import advertised_fastagi, load_settings  # noqa: PLC0415

    services = compose["services"]
    assert services["backend2"]["profiles"] == ["ha"]
    assert services["lb"]["profiles"] == ["ha"]
    assert "profiles" not in services["backend"]  # one node runs without the profile
    nodes = {}
    for name in ("backend", "backend2"):
        env = services[name]["environment"]
        with monkeypatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, str(value).replace("${POSTGRES_PASSWORD}", "pw"))
            patch.setenv("CALLCENTER_AMI_SECRET_PBX1", "s")
            nodes[name] = load_settings(ROOT / "config" / "callcenter.yaml")
    assert all(s.cluster.enabled for s in nodes.values())
    assert [s.cluster.node for s in nodes.values()] == ["backend", "backend2"]
    assert nodes["backend"].database.url == nodes["backend2"].database.url
    # Asterisk tries backend2 when backend does not take a FastAGI call ...
    dialplan = (ROOT / "config" / "asterisk" / "extensions.conf").read_text()
    assert f"\nBACKEND2 = backend2:{nodes['backend2'].fastagi.port}\n" in dialplan
    # ... and a standby sends the callers it queued to the leader at the address the
    # leader advertises: its own compose name (the FastAGI binds 0.0.0.0, no default).
    for name, node in nodes.items():
        assert advertised_fastagi(node) == f"{name}:{node.fastagi.port}"
    # ... and the browsers reach any ready node through HAProxy (a standby relays to the
    # leader), or any live one when none is ready.
    haproxy = (ROOT / "deploy" / "haproxy.cfg").read_text()
    assert "option httpchk GET /readyz" in haproxy
    assert "option httpchk GET /healthz" in haproxy
    assert "use_backend alive if { nbsrv(ready) eq 0 }" in haproxy
    web_port = nodes["backend"].web.port
    for name in ("backend", "backend2"):
        servers = re.findall(rf"^\s*server {name} {name}:{web_port}\b", haproxy, re.M)
        assert len(servers) == 2, f"{name} in both backends"
