"""The README documents every setting the services read, and starts with the two commands."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
SERVICES = ("catalog", "scheduling", "billing", "entitlements", "notifications", "gateway")


@pytest.mark.parametrize("service", SERVICES)
def test_every_setting_of_every_service_is_documented(service):
    settings = importlib.import_module(f"{service}.settings").Settings
    missing = [name.upper() for name in settings.model_fields
               if name != "service_name" and name.upper() not in README]
    assert missing == [], f"document {missing} in the README's configuration table"


def test_the_first_screen_gives_the_run_and_test_commands():
    first_screen = "\n".join(README.splitlines()[:15])
    assert "scripts/run" in first_screen and "scripts/test" in first_screen
