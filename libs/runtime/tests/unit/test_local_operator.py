"""The local run names a platform operator to log in as, the same one on every run."""

from __future__ import annotations

import json
import stat

from clinic_runtime.devstack import local_operator


def test_the_first_run_makes_up_an_operator_and_keeps_it_private(tmp_path):
    env: dict[str, str] = {}

    shown = local_operator(tmp_path, env)

    kept = json.loads((tmp_path / "local-operator.json").read_text())
    assert env["BOOTSTRAP_OPERATOR_EMAIL"] == kept["email"]
    assert env["BOOTSTRAP_OPERATOR_PASSWORD"] == kept["password"]
    assert len(kept["password"]) >= 20
    assert kept["email"] in shown and kept["password"] in shown
    assert stat.S_IMODE((tmp_path / "local-operator.json").stat().st_mode) == 0o600


def test_later_runs_name_the_same_operator(tmp_path):
    first: dict[str, str] = {}
    later: dict[str, str] = {}

    local_operator(tmp_path, first)
    local_operator(tmp_path, later)

    assert later == first


def test_an_operator_given_in_the_environment_wins_and_its_password_is_not_shown(tmp_path):
    env = {"BOOTSTRAP_OPERATOR_EMAIL": "ops@clinic.example", "BOOTSTRAP_OPERATOR_PASSWORD": "a-long-secret-value"}

    shown = local_operator(tmp_path, env)

    assert "ops@clinic.example" in shown and "a-long-secret-value" not in shown
    assert env["BOOTSTRAP_OPERATOR_PASSWORD"] == "a-long-secret-value"
    assert not (tmp_path / "local-operator.json").exists()
