"""Fixtures of the real-Asterisk tests: the product's prompts and music, made once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.real_asterisk.harness import require_build
from tests.real_asterisk.prompts import build_sounds


@pytest.fixture(scope="session")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The product's prompts (`callcenter prompts build`) and music on hold, for Asterisk."""
    require_build()
    return build_sounds(tmp_path_factory.mktemp("sounds"))
