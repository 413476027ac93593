"""The lock (requirements/constraints.txt): every dependency is pinned, and the Docker image
and CI install with it.

A dependency added to pyproject.toml without refreshing the lock (README, "Dependencies")
would be installed at whatever version PyPI has that day, so CI and the image could run
code nobody tested: these tests fail until the lock is refreshed.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[3]
LOCK = ROOT / "requirements" / "constraints.txt"
EXTRAS = ("test", "bench")


def _pins() -> dict[NormalizedName, Version]:
    pins: dict[NormalizedName, Version] = {}
    for number, raw in enumerate(LOCK.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        assert match, f"{LOCK.name}:{number}: not a 'name==version' pin: {raw!r}"
        pins[canonicalize_name(match[1])] = Version(match[2])
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    for extra in EXTRAS:
        declared += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return declared


def test_every_dependency_in_pyproject_is_pinned_in_the_lock_at_an_allowed_version() -> None:
    pins = _pins()

    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, (
            f"pyproject.toml needs {requirement} but {LOCK.name} does not pin "
            f"{requirement.name}: refresh the lock (README, 'Dependencies')"
        )
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"pyproject.toml needs {requirement} but {LOCK.name} pins "
            f"{requirement.name}=={pins[name]}: refresh the lock (README, 'Dependencies')"
        )


def test_every_package_the_install_brings_in_is_pinned_in_the_lock() -> None:
    """Dependencies of dependencies too (with their extras, e.g. sqlalchemy[asyncio]'s
    greenlet), as this Python on Linux resolves them."""
    pins = _pins()
    environment: dict[str, str] = dict(default_environment())
    expanded: set[tuple[NormalizedName, str]] = set()
    # (requirement, the extra of the package that asked for it: markers name it)
    todo = [(requirement, "") for requirement in _declared()]
    while todo:
        requirement, asked_as = todo.pop()
        if requirement.marker and not requirement.marker.evaluate(
            {**environment, "extra": asked_as}
        ):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is installed but not pinned in {LOCK.name}"
        for extra in ["", *sorted(requirement.extras)]:
            if (name, extra) in expanded:
                continue
            expanded.add((name, extra))
            requires = metadata.distribution(requirement.name).requires or []
            todo += [(Requirement(sub), extra) for sub in requires]
    seen = {name for name, _ in expanded}
    assert canonicalize_name("greenlet") in seen  # sqlalchemy[asyncio]'s, through the extra
    # The whole tree of the runtime, test and bench dependencies: a few dozen packages.
    assert len(seen) > 40


def test_the_image_and_ci_install_the_locked_versions() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    run_sh = (ROOT / "tests" / "run.sh").read_text()

    copy = dockerfile.index("COPY requirements/constraints.txt")
    install = re.search(r"pip install -c requirements/constraints\.txt \.", dockerfile)
    assert install is not None
    assert copy < install.start()
    assert re.search(
        r"pip install [^\n]*-c requirements/constraints\.txt \\\n\s+-e '\.\[test,bench\]'",
        run_sh,
    )
