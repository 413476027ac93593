"""config/asterisk/*.conf and the code agree: contexts, extensions, variables, AMI rights.

Expectations come from the code and the settings (callcenter.ivr.dialplan, the shipped
config/callcenter.yaml, the AMI action builders the code calls), and the classes each
AMI action and event needs from Asterisk 22 itself (the s12 ListCommands recording and
the Privilege headers of the recorded events), not from a copy kept here.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from callcenter.app.settings import Settings, load_settings
from callcenter.ivr import dialplan as contract
from callcenter.ivr.runner import IvrRunner
from callcenter.pbx import ami_facts
from tests.asterisk_conf import Section, Step, by_name, dialplan, find_exten, parse
from tests.asterisk_fixtures import fixtures_root

ROOT = Path(__file__).resolve().parents[3]
CONF = ROOT / "config" / "asterisk"
CODE = ROOT / "callcenter"
CORE_APPS = {"Answer", "Hangup", "Goto", "GotoIf", "NoOp", "Set", "Bridge", "Wait"}
APP_MODULES = {
    "AGI": "res_agi.so",
    "Dial": "app_dial.so",
    "ChanSpy": "app_chanspy.so",
    "MusicOnHold": "res_musiconhold.so",
    "Playback": "app_playback.so",
    "Gosub": "app_stack.so",
    "Return": "app_stack.so",
}
FUNCTION_MODULES = {"FILTER": "func_strings.so", "LEN": "func_strings.so", "LOCAL": "app_stack.so"}
# What [callbacks] and [outbound] test before they dial: the digits FILTER keeps of the
# number (after its leading `+`, with EXTEN:1) are as many as its characters.
DIGITS_ONLY = re.compile(
    r"\$\[\$\{LEN\(\$\{FILTER\(0123456789,\$\{EXTEN(?P<a>:1)?\}\)\}\)\} != "
    r"\$\{LEN\(\$\{EXTEN(?P<b>:1)?\}\)\}\]\?(?P<target>[a-z]+),1"
)


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(ROOT / "config" / "callcenter.yaml", require_secrets=False)


@pytest.fixture(scope="module")
def plan() -> tuple[dict[str, dict[str, list[Step]]], dict[str, list[str]]]:
    return dialplan(parse(CONF / "extensions.conf"))


@pytest.fixture(scope="module")
def endpoints() -> dict[str, Section]:
    return by_name(parse(CONF / "pjsip.conf"), "endpoint")


def _goto(step: Step, exten: str) -> tuple[str, str]:
    context, target, _ = step.data.replace("${EXTEN}", exten).split(",")
    return context, target


def _run_from(plan, context: str, number: str) -> tuple[str, list[Step]]:
    """Follow includes and Goto()s from `context` for a dialled `number`."""
    contexts, includes = plan
    for _ in range(10):
        steps = find_exten(contexts[context], number)
        if steps is None:
            for child in includes.get(context, []):
                if find_exten(contexts[child], number) is not None:
                    context, steps = child, find_exten(contexts[child], number)
                    break
        assert steps is not None, f"{number} has no extension in [{context}]"
        if steps[0].app != "Goto":
            return context, steps
        context, number = _goto(steps[0], number)
    raise AssertionError("Goto loop")


# Files Asterisk must find (or it logs an ERROR at start) but that set nothing.
NOTHING_TO_SET = {"acl.conf"}


def test_every_file_parses_and_none_keeps_a_secret() -> None:
    for path in sorted(CONF.glob("*.conf")):
        sections = parse(path)
        assert sections or path.name in NOTHING_TO_SET, path
        for section in sections:
            for key, value in section.options:
                if key in ("secret", "password"):
                    assert re.fullmatch(r"@[A-Z][A-Z0-9_]*@", value), f"{path}: {key} in clear"


def test_given_each_hotline_dnis_when_called_from_inbound_then_the_ivr_runs(
    settings: Settings, plan, endpoints: dict[str, Section]
) -> None:
    inbound = endpoints["caller"].get("context")
    assert endpoints["trunk"].get("context") == inbound
    for dnis in settings.ivr.dnis:
        context, steps = _run_from(plan, inbound, dnis)
        assert [s.app for s in steps[:2]] == ["Answer", "Gosub"], context
        assert contract.failover_script(steps[1].app, steps[1].data) == contract.IVR_SCRIPT
        hold = steps[2]
        assert hold.app == "GotoIf"
        assert f'"${{{contract.QUEUED_VARIABLE}}}" = "1"' in hold.data
        assert hold.data.endswith(f"?{contract.HOLD_CONTEXT},s,1")


def test_every_context_the_code_sends_calls_to_exists(settings: Settings, plan) -> None:
    contexts, _ = plan
    for need in contract.required_contexts(settings):
        assert need.name in contexts, need
    survey = contexts[settings.telephony.survey_context]["s"]
    # F(<survey>^s^1): priority 1 itself runs the survey through the fail-over.
    assert contract.failover_script(survey[0].app, survey[0].data) in settings.ivr.scripts
    hold = contexts[contract.HOLD_CONTEXT]["s"]
    assert Step("MusicOnHold", settings.telephony.moh_class) in hold
    # Transfers dial what the flow says; callbacks only E.164 (the backend stores no other).
    for number in ("+49305550000", "030555000", "5550100"):
        assert find_exten(contexts[contract.TRANSFER_CONTEXT], number) is not None, number
    callbacks = contexts[settings.telephony.callback_context]
    assert find_exten(callbacks, "+49305550000") is not None
    assert find_exten(callbacks, "030555000") is None


def test_the_contract_constants_are_the_ones_the_code_uses() -> None:
    runner = inspect.signature(IvrRunner).parameters["transfer_context"].default
    assert runner == contract.TRANSFER_CONTEXT
    assert f'"{contract.HOLD_CONTEXT}"' in (CODE / "sim" / "calls.py").read_text()
    used = set()
    for path in (CODE / "pbx").glob("*.py"):
        used |= set(re.findall(r'"(CC_[A-Z_]+)"', path.read_text()))
    assert used == {contract.QUEUED_VARIABLE, *contract.OFFER_VARIABLES}


def test_every_variable_the_dialplan_reads_is_set_by_the_code(plan) -> None:
    contexts, _ = plan
    read = set()
    for extens in contexts.values():
        for steps in extens.values():
            for step in steps:
                read |= set(re.findall(r"\$\{(CC_[A-Z_]+)\}", step.data))
    assert read == {
        contract.QUEUED_VARIABLE,
        contract.DONE_VARIABLE,
        contract.LEADER_VARIABLE,
        *contract.OFFER_VARIABLES,
    }


def test_the_fastagi_failover_tries_the_compose_backends_in_order_on_the_service_port(
    settings: Settings, plan
) -> None:
    contexts, _ = plan
    [globals_] = [s for s in parse(CONF / "extensions.conf") if s.name == "globals"]
    nodes = [globals_.get(name) or "" for name in contract.BACKEND_GLOBALS]
    targets = contract.backend_targets(contract.IVR_SCRIPT, nodes)
    port = settings.fastagi.port
    assert [(t.host, t.port) for t in targets] == [("backend", port), ("backend2", port)]
    steps = contexts[contract.FAILOVER_CONTEXT]["s"]
    urls = [s.data for s in steps if s.app == "AGI"]
    assert urls == [
        *(f"agi://${{{name}}}/${{ARG1}}" for name in contract.BACKEND_GLOBALS),
        "agi://${leader}/${ARG1}",  # where a standby sent the call (CC_LEADER)
    ]
    # After each node: done (the backend's CC_DONE) or on to the next; bounded rounds.
    done = f'$["${{{contract.DONE_VARIABLE}}}" = "1"]?done'
    assert [s.data for s in steps if s.app == "GotoIf"].count(done) == 3  # and the leader
    assert Step("MusicOnHold", f"{settings.telephony.moh_class},${{BACKEND_RETRY_S}}") in steps
    assert int(globals_.get("BACKEND_ROUNDS") or 0) > 1
    assert steps[-1] == Step("Return", "")


def test_a_call_a_standby_sends_on_goes_to_the_leader_named_by_that_session_only(plan) -> None:
    contexts, _ = plan
    steps = contexts[contract.FAILOVER_CONTEXT]["s"]
    leader = contract.LEADER_VARIABLE
    clear = Step("Set", f"{leader}=")
    agi = [n for n, s in enumerate(steps) if s.app == "AGI"]
    # Cleared before each round's first node and before it is followed: a value left by an
    # older session never sends a call anywhere.
    # (Each AGI is preceded by the Set of CC_AGI_NODE: test_each_fastagi_session_names_its_node.)
    assert steps[agi[0] - 2] == clear
    assert steps[agi[2] - 3] == clear  # (the NoOp that says where is in between)
    assert steps[agi[2] - 4] == Step("Set", f"LOCAL(leader)=${{{leader}}}")
    follow = f'$["${{{leader}}}" != ""]?leader'
    # After each node that is not done: its CC_LEADER, if set, is followed at once.
    for n in agi[:2]:
        assert steps[n + 2] == Step("GotoIf", follow)
    # The leader's session that ends without CC_DONE counts as a round (bounded).
    assert steps[agi[2] + 2] == Step("Goto", "wait")


def test_each_fastagi_session_names_its_node(plan) -> None:
    # The leader finds callers held on a frozen node by CC_AGI_NODE (callcenter/pbx/
    # stuck_agi.py): it must name the very address each AGI connects to.
    contexts, _ = plan
    steps = contexts[contract.FAILOVER_CONTEXT]["s"]
    agi = [n for n, s in enumerate(steps) if s.app == "AGI"]
    assert len(agi) == 3
    for n in agi:
        name, _, address = steps[n - 1].data.partition("=")
        assert (steps[n - 1].app, name) == ("Set", contract.AGI_NODE_VARIABLE), steps[n - 1]
        assert steps[n].data == f"agi://{address}/${{ARG1}}"
    [globals_] = [s for s in parse(CONF / "extensions.conf") if s.name == "globals"]
    assert globals_.get("AGIEXITONHANGUP") == "yes", "a Redirect must end a session at once"


def test_given_a_context_in_the_dialplan_then_the_code_or_a_phone_uses_it(
    settings: Settings, plan, endpoints: dict[str, Section]
) -> None:
    contexts, includes = plan
    used = {need.name for need in contract.required_contexts(settings)}
    phones = {e.get("context") for e in endpoints.values()}
    reached = set()
    for extens in contexts.values():
        for steps in extens.values():
            jumps = ("Goto", "GotoIf", "Gosub")
            reached |= {s.data.split(",")[0] for s in steps if s.app in jumps}
    reached = {r.rpartition("?")[2] for r in reached}
    unexplained = set(contexts) - used - phones - reached
    assert not unexplained, f"contexts neither used by the code nor a phone's: {unexplained}"
    # Phones reach only phone contexts by include: the backend's contexts only by Goto.
    for phone in phones:
        assert phone not in used
        assert set(includes.get(phone, [])) <= phones


def test_every_configured_phone_has_an_authenticated_endpoint(
    settings: Settings, endpoints: dict[str, Section]
) -> None:
    telephony = settings.telephony
    phones = [telephony.endpoint(a.id, settings.acd) for a in settings.acd.agents]
    phones += list(telephony.supervisor_endpoints.values())
    auths = by_name(parse(CONF / "pjsip.conf"), "auth")
    for channel in phones:
        tech, _, name = channel.partition("/")
        assert tech == "PJSIP"
        assert name in endpoints, channel
        assert endpoints[name].get("auth") in auths, channel
    assert "anonymous" not in endpoints
    for name, endpoint in endpoints.items():
        assert endpoint.get("auth") or name == "trunk", f"{name} takes calls unauthenticated"


def test_supervisor_spy_codes_use_the_configured_chanspy_options(settings: Settings, plan) -> None:
    contexts, _ = plan
    options = {
        step.data.rpartition(",")[2]
        for extens in contexts.values()
        for steps in extens.values()
        for step in steps
        if step.app == "ChanSpy"
    }
    assert options == set(settings.telephony.spy_options.values())


def test_every_application_has_its_module_loaded(plan) -> None:
    contexts, _ = plan
    modules = parse(CONF / "modules.conf")[0]
    assert modules.get("autoload") == "no"
    loaded = set(modules.get_all("load"))
    apps = {s.app for extens in contexts.values() for steps in extens.values() for s in steps}
    apps |= {"ChanSpy", "MusicOnHold", "Dial"}  # Originate / EXEC by the code
    for app in apps - CORE_APPS:
        assert APP_MODULES[app] in loaded, app
    steps = [s for extens in contexts.values() for ss in extens.values() for s in ss]
    functions = {f for s in steps for f in re.findall(r"\$\{([A-Z_]+)\(", s.data)}
    functions |= {f for s in steps if s.app == "Set" for f in re.findall(r"^([A-Z_]+)\(", s.data)}
    assert {"FILTER", "LEN"} <= functions
    for function in functions:
        assert FUNCTION_MODULES[function] in loaded, function
    assert {"pbx_config.so", "chan_pjsip.so", "res_pjsip.so"} <= loaded


def _dialled(plan, context: str, number: str) -> str | None:
    """The Dial() data Asterisk reaches for a call to `number` in `context`, None when the
    dialplan hangs up first (or has no extension for it). Plays the applications the
    contexts that dial out use: NoOp, GotoIf on DIGITS_ONLY, Goto, Dial, Hangup."""
    contexts, _ = plan
    exten = number
    steps = find_exten(contexts[context], exten)
    at = 0
    for _ in range(20):
        if steps is None:
            return None
        step = steps[at]
        data = step.data.replace("${EXTEN:1}", exten[1:]).replace("${EXTEN}", exten)
        if step.app == "NoOp":
            at += 1
        elif step.app == "GotoIf":
            guard = DIGITS_ONLY.fullmatch(step.data)
            assert guard is not None, f"[{context}] dials on an unexpected condition: {step}"
            assert guard["a"] == guard["b"], step
            checked = exten[1:] if guard["a"] else exten
            if sum(c in "0123456789" for c in checked) != len(checked):
                steps, at = contexts[context][guard["target"]], 0
            else:
                at += 1
        elif step.app == "Goto":
            # A `,` in the number would make this four arguments: the test fails here.
            context, exten, _priority = data.split(",")
            steps, at = find_exten(contexts[context], exten), 0
        elif step.app == "Dial":
            return data
        elif step.app == "Hangup":
            return None
        else:
            raise AssertionError(f"[{context}] runs {step.app}, which this test cannot play")
    raise AssertionError("Goto loop")


def test_given_clean_numbers_then_callbacks_dial_e164_with_plus_and_transfers_as_written(
    settings: Settings, plan
) -> None:
    callbacks = settings.telephony.callback_context
    assert _dialled(plan, callbacks, "+49305551234") == "PJSIP/+49305551234@trunk,60"
    assert _dialled(plan, contract.TRANSFER_CONTEXT, "030555000") == "PJSIP/030555000@trunk,60"
    assert _dialled(plan, contract.TRANSFER_CONTEXT, "+4930555") == "PJSIP/+4930555@trunk,60"
    assert _dialled(plan, callbacks, "030555000") is None  # not E.164: no extension


def test_only_the_transfer_context_dials_and_each_dial_is_behind_the_digits_check(plan) -> None:
    contexts, _ = plan
    dialling = {
        name
        for name, extens in contexts.items()
        for steps in extens.values()
        if any(s.app == "Dial" for s in steps)
    }
    assert dialling == {contract.TRANSFER_CONTEXT}
    for pattern, steps in contexts[contract.TRANSFER_CONTEXT].items():
        apps = [s.app for s in steps]
        if "Dial" in apps:
            assert DIGITS_ONLY.fullmatch(steps[0].data), pattern
            assert apps.index("GotoIf") < apps.index("Dial"), pattern


@functools.cache
def _shipped_dialplan() -> tuple[Any, str]:
    """The shipped dialplan and callback context, read once for the many examples."""
    shipped = load_settings(ROOT / "config" / "callcenter.yaml", require_secrets=False)
    return dialplan(parse(CONF / "extensions.conf")), shipped.telephony.callback_context


@example("123,U(evil)")
@example("123&PJSIP/999")
@example("+4930555,U(gosub^s^1)")
@example("+4930555&PJSIP/999@trunk")
@example("+49)30(555")
@example("+4930 555")
@example("+49+305")
@example("0305551234\n")
@given(st.text(min_size=1, max_size=24))
def test_given_any_number_when_called_back_or_transferred_then_only_digits_are_dialled(
    number: str,
) -> None:
    plan, callbacks = _shipped_dialplan()
    for context in (callbacks, contract.TRANSFER_CONTEXT):
        dialled = _dialled(plan, context, number)
        if dialled is not None:
            assert re.fullmatch(r"PJSIP/\+?[0-9]+@trunk,60", dialled), (context, number)
            assert dialled == f"PJSIP/{number}@trunk,60"


def test_music_on_hold_class_exists(settings: Settings) -> None:
    classes = {s.name for s in parse(CONF / "musiconhold.conf")}
    assert settings.telephony.moh_class in classes


# -- AMI rights -------------------------------------------------------------------------


def _builders() -> dict[str, str]:
    """Builder function in callcenter/ami/actions.py -> the action name it builds."""
    tree = ast.parse((CODE / "ami" / "actions.py").read_text())
    names = {}
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef):
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) == "Action"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    names[fn.name] = node.args[0].value
    return names


@functools.cache
def actions_sent() -> frozenset[str]:
    """Every AMI action the product's code builds (the simulator excluded)."""
    builders = _builders()
    sent = set()
    for path in CODE.rglob("*.py"):
        if "sim" in path.relative_to(CODE).parts or path.name == "actions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if func.value.id in ("ami", "actions") and func.attr in builders:
                    sent.add(builders[func.attr])
            elif getattr(func, "id", None) == "Action" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    sent.add(first.value)
    return frozenset(sent)


def action_privileges() -> dict[str, set[str]]:
    """Action -> its classes, from Asterisk 22's ListCommands answer (s12)."""
    text = (fixtures_root() / "ami" / "ami-s12-ami-misc-actions.txt").read_text()
    found = re.findall(r"^(\w+): .*\(Priv: ([^)]*)\)\r?$", text, re.MULTILINE)
    return {
        name: set() if priv == "<none>" else set(priv.split(",")) - {"all"} for name, priv in found
    }


def event_privileges() -> dict[str, set[str]]:
    """Event -> its classes, from the recorded event streams."""
    out: dict[str, set[str]] = {}
    for path in (fixtures_root() / "ami").glob("*-events.txt"):
        if "s11-load" in path.name:
            continue  # 5 MB of the same events as the other scenarios
        text = path.read_bytes().decode()
        for name, priv in re.findall(r"Event: (\w+)\r\nPrivilege: ([\w,]+)\r\n", text):
            out.setdefault(name, set()).update(set(priv.split(",")) - {"all"})
    return out


@pytest.fixture(scope="module")
def manager(settings: Settings) -> tuple[Section, Section]:
    sections = {s.name: s for s in parse(CONF / "manager.conf")}
    return sections["general"], sections[settings.asterisk.servers[0].username]


def test_the_code_sends_the_actions_we_expect() -> None:
    sent = actions_sent()
    assert {"Login", "Challenge", "Logoff", "Ping", "Originate", "Hangup"} <= sent
    assert {"CoreShowChannels", "ShowDialPlan", "PJSIPShowEndpoints"} <= sent


def test_given_the_ami_user_then_its_write_classes_cover_every_action_sent(manager) -> None:
    _, user = manager
    write = set(user.get("write").split(","))
    privileges = action_privileges()
    for action in sorted(actions_sent()):
        needed = privileges[action]
        assert not needed or needed & write, f"{action} needs one of {needed}, has {write}"
    # ...and nothing more: each class granted is needed by some action sent.
    for granted in write:
        assert any(granted in privileges[a] for a in actions_sent()), granted


def test_given_the_ami_user_then_its_read_classes_cover_every_event_followed(manager) -> None:
    _, user = manager
    read = set(user.get("read").split(","))
    privileges = event_privileges()
    for event in (*ami_facts.EVENTS, "FullyBooted"):
        assert privileges[event] & read, event
    assert "all" not in read
    assert "FullyBooted" in (CODE / "app" / "service.py").read_text()


def test_the_ami_user_accepts_only_loopback_and_the_compose_network(manager) -> None:
    _, user = manager
    assert user.get_all("deny") == ["0.0.0.0/0.0.0.0"]
    assert set(user.get_all("permit")) == {"127.0.0.1/255.255.255.255", "172.28.0.0/255.255.0.0"}


def test_the_entrypoint_fills_the_placeholders_and_refuses_missing_ones(tmp_path: Path) -> None:
    names = set()
    for path in CONF.glob("*.conf"):
        names |= set(re.findall(r"@([A-Z][A-Z0-9_]*)@", path.read_text()))
    env = {name: f"v-{name.lower()}" for name in names}
    env.update(
        PATH="/usr/bin:/bin",
        AMI_SECRET="s3cr&t|x\\y",
        CC_TEMPLATES=str(CONF),
        CC_CONFIG_DIR=str(tmp_path),
        CC_VOICEMAIL_DIR=str(tmp_path / "vm"),
        CC_ASTERISK_BIN="true",
    )
    script = str(ROOT / "deploy" / "asterisk-entrypoint.sh")
    subprocess.run(["sh", script], env=env, check=True, capture_output=True)
    manager_conf = (tmp_path / "manager.conf").read_text()
    assert "secret = s3cr&t|x\\y\n" in manager_conf
    for path in tmp_path.glob("*.conf"):
        assert not re.search(r"@[A-Z][A-Z0-9_]*@", path.read_text()), path
    missing = {k: v for k, v in env.items() if k != "AMI_SECRET"}
    done = subprocess.run(["sh", script], check=False, env=missing, capture_output=True, text=True)
    assert done.returncode == 2
    assert "AMI_SECRET is not set" in done.stderr
    bad = {**env, "AMI_SECRET": "a;b"}
    done = subprocess.run(["sh", script], check=False, env=bad, capture_output=True)
    assert done.returncode == 2


def test_given_no_trunk_host_when_rendered_then_the_trunk_is_left_out_and_its_account_optional(
    tmp_path: Path,
) -> None:
    names = set()
    for path in CONF.glob("*.conf"):
        names |= set(re.findall(r"@([A-Z][A-Z0-9_]*)@", path.read_text()))
    env = {name: f"v-{name.lower()}" for name in names if not name.startswith("TRUNK_")}
    env.update(
        PATH="/usr/bin:/bin",
        CC_TEMPLATES=str(CONF),
        CC_CONFIG_DIR=str(tmp_path),
        CC_VOICEMAIL_DIR=str(tmp_path / "vm"),
        CC_ASTERISK_BIN="true",
    )
    (tmp_path / "pjsip_trunk.conf").write_text("; a trunk rendered by an earlier start\n")
    script = str(ROOT / "deploy" / "asterisk-entrypoint.sh")
    subprocess.run(["sh", script], env=env, check=True, capture_output=True)
    assert (tmp_path / "pjsip.conf").exists()
    assert not (tmp_path / "pjsip_trunk.conf").exists()
    with_trunk = {**env, "TRUNK_HOST": "127.0.0.1:5070"}
    done = subprocess.run(["sh", script], env=with_trunk, check=False, capture_output=True)
    assert done.returncode == 2
    assert b"TRUNK_PASSWORD is not set" in done.stderr
    with_trunk.update(TRUNK_USERNAME="acme", TRUNK_PASSWORD="pw")
    subprocess.run(["sh", script], env=with_trunk, check=True, capture_output=True)
    assert "match = 127.0.0.1:5070" in (tmp_path / "pjsip_trunk.conf").read_text()
