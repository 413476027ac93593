"""The IVR flows over the API (issue 16): uploads checked as `flows check` checks files,
kept as versions, activated and rolled back live; admins change, supervisors read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from callcenter.ivr.catalog import FlowCatalog
from callcenter.ivr.loader import FlowLoadError, load_flow_dir
from tests.flows_site import BYE, attach_flows
from tests.integration.web.conftest import User
from tests.web_site import ADMIN, AGENT, SUPERVISOR, Site

Login = Callable[[str, str], Awaitable[User]]


@pytest.fixture
async def catalog(site: Site, tmp_path: Path) -> FlowCatalog:
    return await attach_flows(site, tmp_path)


async def _text(admin: User, flow: str, version: int) -> str:
    body = await admin.json("GET", f"/api/flows/{flow}/versions/{version}")
    return str(body["text"])


def _flows_check_messages(catalog: FlowCatalog, flow: str, text: str) -> list[str]:
    """What `callcenter flows check` prints for the flows folder with `flow` edited."""
    path = catalog.flows_dir / f"{flow}.yaml"
    before = path.read_text()
    path.write_text(text)
    try:
        load_flow_dir(catalog.flows_dir)
    except FlowLoadError as error:
        return list(error.messages)
    finally:
        path.write_text(before)
    return []


async def test_given_the_shipped_flows_when_listed_then_each_is_version_1_by_seed_with_its_users(
    catalog: FlowCatalog, login: Login
) -> None:
    admin = await login(*ADMIN)
    flows = await admin.json("GET", "/api/flows")
    assert [(f["flow"], f["version"], f["author"]) for f in flows] == [
        ("after_hours", 1, "seed"),
        ("followup_call", 1, "seed"),
        ("main_hotline", 1, "seed"),
        ("post_call_survey", 1, "seed"),
    ]
    used = {f["flow"]: f["used_by"] for f in flows}
    assert "flow 'main_hotline' node 'after_hours'" in used["after_hours"]
    assert "ivr.default_flow" in used["main_hotline"]
    assert "ivr.scripts.survey" in used["post_call_survey"]
    shown = await admin.json("GET", "/api/flows/main_hotline/versions/1")
    assert shown["tree"][0].startswith("main_hotline: ")
    assert any("after_hours" in line for line in shown["tree"])
    assert shown["active"] is True


async def test_given_a_choice_to_a_missing_node_when_uploaded_then_422_names_line_and_node(
    catalog: FlowCatalog, login: Login
) -> None:
    admin = await login(*ADMIN)
    good = await _text(admin, "main_hotline", 1)
    running = catalog.library.flows
    broken = good.replace("      4: complaints\n", "      4: complaint\n", 1)

    response = await admin.call(
        "PUT", "/api/flows/main_hotline", json={"text": broken, "base_version": 1}
    )

    assert response.status == 422
    body = (await response.json())["error"]
    # The choice, and the nodes only it led to (unreachable now), each with line and node.
    detail = body["details"][0]
    assert detail["field"] == "text"
    assert (detail["node"], detail["key"]) == ("main_menu", "choices.4")
    assert detail["line"] == broken.splitlines().index("      4: complaint") + 1
    assert "'complaint' is not a node of this flow" in detail["problem"]
    assert [d["node"] for d in body["details"][1:]] == ["complaints", "complaints_queue"]
    assert all("unreachable" in d["problem"] for d in body["details"][1:])
    # The very lines `callcenter flows check` prints for that file.
    printed = _flows_check_messages(catalog, "main_hotline", broken)
    assert [d["message"] for d in body["details"]] == printed
    assert detail["message"].startswith(f"{catalog.flows_dir / 'main_hotline.yaml'}:")
    # Nothing stored, nothing changed.
    versions = await admin.json("GET", "/api/flows/main_hotline/versions")
    assert [v["version"] for v in versions] == [1]
    assert catalog.library.flows is running


async def test_given_a_sub_flow_that_does_not_exist_when_uploaded_then_the_node_is_named(
    catalog: FlowCatalog, login: Login
) -> None:
    admin = await login(*ADMIN)
    good = await _text(admin, "main_hotline", 1)
    broken = good.replace("    flow: after_hours\n", "    flow: after_hour\n", 1)

    body = (await admin.json("PUT", "/api/flows/main_hotline", 422, json={"text": broken}))["error"]

    (detail,) = body["details"]
    assert (detail["node"], detail["line"]) == (
        "after_hours",
        broken.splitlines().index("    flow: after_hour") + 1,
    )
    assert "no flow 'after_hour'" in detail["problem"]
    assert [detail["message"]] == _flows_check_messages(catalog, "main_hotline", broken)


async def test_given_bad_yaml_or_a_route_to_a_renamed_start_when_uploaded_then_each_is_refused(
    catalog: FlowCatalog, login: Login
) -> None:
    admin = await login(*ADMIN)
    body = await admin.json(
        "PUT", "/api/flows/post_call_survey", 422, json={"text": "start: [a\nnodes: {}\n"}
    )
    body = body["error"]
    (detail,) = body["details"]
    assert detail["line"] == 2
    assert "not valid YAML" in detail["problem"]
    # A new flow calling one that does not exist names its node.
    calls_nowhere = BYE.replace(
        "  bye:\n    type: hangup\n",
        "  bye:\n    type: subflow\n    flow: nowhere\n    next: end\n  end:\n    type: hangup\n",
    )
    body = await admin.json(
        "PUT", "/api/flows/new_line", 422, json={"text": calls_nowhere, "base_version": 0}
    )
    body = body["error"]
    (detail,) = body["details"]
    assert (detail["flow"], detail["node"], detail["line"]) == ("new_line", "bye", 6)
    assert (await admin.call("GET", "/api/flows/new_line/versions")).status == 404


async def test_given_a_good_upload_when_stored_then_it_is_active_at_once_and_a_stale_one_is_409(
    catalog: FlowCatalog, login: Login
) -> None:
    admin = await login(*ADMIN)
    good = await _text(admin, "main_hotline", 1)
    changed = good.replace(
        "    timeout_s: 5\n    retries: 2\n", "    timeout_s: 7\n    retries: 2\n"
    )
    assert changed != good

    stored = await admin.json(
        "PUT",
        "/api/flows/main_hotline",
        json={"text": changed, "comment": "callers need longer", "base_version": 1},
    )

    assert (stored["version"], stored["active"], stored["author"]) == (2, True, "admin")
    assert stored["comment"] == "callers need longer"
    assert stored["summary"] == "1 line added, 1 removed"
    assert "-    timeout_s: 5\n+    timeout_s: 7\n" in stored["diff"]
    assert stored["tree"][0].startswith("main_hotline: ")
    assert catalog.library.flows["main_hotline"].nodes["main_menu"].timeout_s == 7  # type: ignore[attr-defined]
    versions = await admin.json("GET", "/api/flows/main_hotline/versions")
    assert [(v["version"], v["active"]) for v in versions] == [(2, True), (1, False)]
    # An edit of version 1 made meanwhile is refused: nothing stored.
    body = await admin.json(
        "PUT", "/api/flows/main_hotline", 409, json={"text": good, "base_version": 1}
    )
    assert "version 2 is active now" in body["error"]["message"]
    assert len(await admin.json("GET", "/api/flows/main_hotline/versions")) == 2
    # A new flow starts at version 1.
    new = await admin.json("PUT", "/api/flows/goodbye", json={"text": BYE, "base_version": 0})
    assert (new["flow"], new["version"]) == ("goodbye", 1)
    assert "goodbye" in catalog.library.flows


async def test_given_version_2_active_when_version_1_is_activated_then_a_third_equals_the_first(
    catalog: FlowCatalog, login: Login
) -> None:
    admin = await login(*ADMIN)
    good = await _text(admin, "main_hotline", 1)
    changed = good.replace(
        "    timeout_s: 5\n    retries: 2\n", "    timeout_s: 7\n    retries: 2\n"
    )
    await admin.json("PUT", "/api/flows/main_hotline", json={"text": changed})

    back = await admin.json(
        "POST",
        "/api/flows/main_hotline/versions/1/activate",
        json={"comment": "too slow"},
    )

    assert (back["version"], back["active"]) == (3, True)
    assert back["comment"] == "rollback to version 1: too slow"
    assert await _text(admin, "main_hotline", 3) == good
    assert catalog.library.flows["main_hotline"].nodes["main_menu"].timeout_s == 5  # type: ignore[attr-defined]
    listed = await admin.json("GET", "/api/flows")
    assert next(f for f in listed if f["flow"] == "main_hotline")["version"] == 3
    missing = await admin.call("POST", "/api/flows/main_hotline/versions/9/activate", json={})
    assert missing.status == 404


async def test_supervisors_read_the_flows_but_only_admins_change_them(
    catalog: FlowCatalog, login: Login
) -> None:
    supervisor = await login(*SUPERVISOR)
    agent = await login(*AGENT)
    assert len(await supervisor.json("GET", "/api/flows")) == 4
    text = (await supervisor.json("GET", "/api/flows/after_hours/versions/1"))["text"]
    assert (
        await supervisor.call("PUT", "/api/flows/after_hours", json={"text": text})
    ).status == 403
    activate = await supervisor.call("POST", "/api/flows/after_hours/versions/1/activate", json={})
    assert activate.status == 403
    assert (await supervisor.call("POST", "/api/flows/import")).status == 403
    assert (await agent.call("GET", "/api/flows")).status == 403
    bad_name = await (await login(*ADMIN)).call("PUT", "/api/flows/a.b", json={"text": BYE})
    assert bad_name.status == 422


async def test_given_changed_files_when_imported_then_they_are_new_versions_and_broken_ones_refused(
    catalog: FlowCatalog, login: Login
) -> None:
    admin = await login(*ADMIN)
    survey = catalog.flows_dir / "post_call_survey.yaml"
    good = survey.read_text()
    survey.write_text(good.replace("type: survey", "type: surveyy", 1))
    body = (await admin.json("POST", "/api/flows/import", 422))["error"]
    assert body["details"][0]["flow"] == "post_call_survey"
    assert "surveyy" in body["details"][0]["problem"]
    # The admin page's former reload does the same import.
    reload = await admin.json("POST", "/api/admin/reload-flows")
    assert reload["reloaded"] is False
    assert "surveyy" in reload["problems"][0]

    survey.write_text(good + "\n# reviewed\n")
    (catalog.flows_dir / "goodbye.yaml").write_text(BYE)
    imported = await admin.json("POST", "/api/flows/import")
    assert sorted((v["flow"], v["version"]) for v in imported["stored"]) == [
        ("goodbye", 1),
        ("post_call_survey", 2),
    ]
    assert (await admin.json("POST", "/api/flows/import"))["stored"] == []
    assert await admin.json("POST", "/api/admin/reload-flows") == {"reloaded": True, "problems": []}
