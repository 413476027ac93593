"""The cluster tests share the throwaway PostgreSQL server of the database tests."""

from __future__ import annotations

from tests.pg import postgres

__all__ = ["postgres"]
