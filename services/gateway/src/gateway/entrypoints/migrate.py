"""Brings gateway's database to the newest schema."""

from __future__ import annotations

from pathlib import Path

from clinic_runtime.migrations import upgrade
from gateway.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def main() -> None:
    upgrade(MIGRATIONS, Settings().resolved_database_url())
