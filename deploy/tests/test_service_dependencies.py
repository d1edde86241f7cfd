"""Each image installs only what its own package declares (`uv sync --no-dev --package
clinic-<service>`, see the Dockerfiles): every third-party module a package's code imports must
come from a distribution it requires, directly or through the platform's libraries. One that is
there only because another service requires it works in the development environment, where every
package is installed, and crashes the image on start."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {  # distribution -> its source folder
    **{f"clinic-{service}": ROOT / "services" / service / "src"
       for service in ("catalog", "scheduling", "billing", "entitlements", "notifications", "gateway")},
    "clinic-runtime": ROOT / "libs" / "runtime" / "src",
    "clinic-contracts": ROOT / "libs" / "contracts" / "src",
}
# Imported only by the local run (clinic_runtime.devstack's mail sink), which has the development
# dependencies; no image runs it.
LOCAL_RUN_ONLY = {"aiosmtpd"}


def installed_with(distribution: str) -> set[str]:
    """The distributions installing `distribution` brings (itself included), extras followed."""
    found: set[str] = set()
    pending = [(canonicalize_name(distribution), frozenset())]
    while pending:
        name, extras = pending.pop()
        if (name, extras) in found:
            continue
        found.add((name, extras))
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not any(
                    requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""})):
                continue
            pending.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return {name for name, _ in found}


def imported(source: Path) -> set[str]:
    """The top-level modules the code under `source` imports (absolute imports only)."""
    modules = set()
    for path in source.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize("distribution", sorted(PACKAGES))
def test_every_module_a_package_imports_is_installed_with_it(distribution):
    source = PACKAGES[distribution]
    available = installed_with(distribution)
    # The platform's own packages are installed editable here, which packages_distributions() misses.
    providers = {**metadata.packages_distributions(),
                 **{path.name: [name] for name, folder in PACKAGES.items() for path in folder.iterdir()
                    if path.is_dir() and not path.name.startswith((".", "_"))}}

    missing = sorted(
        module for module in imported(source) - set(sys.stdlib_module_names) - LOCAL_RUN_ONLY
        if not {canonicalize_name(d) for d in providers.get(module, [])} & available)

    assert missing == [], f"{distribution} imports modules none of its requirements install"
