"""Fixtures of the real-Asterisk tests: the product's prompts and music, made once, and the
throwaway PostgreSQL server (tests/pg.py) the cluster tests run their nodes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg import postgres
from tests.real_asterisk.harness import require_build
from tests.real_asterisk.prompts import build_sounds

__all__ = ["postgres", "sounds"]


@pytest.fixture(scope="session")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The product's prompts (`callcenter prompts build`) and music on hold, for Asterisk."""
    require_build()
    return build_sounds(tmp_path_factory.mktemp("sounds"))
