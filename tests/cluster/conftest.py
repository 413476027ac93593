"""The cluster tests run their nodes on the throwaway PostgreSQL server (tests/pg.py)."""

from __future__ import annotations

from tests.pg import postgres

__all__ = ["postgres"]
