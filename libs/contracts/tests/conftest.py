"""Shared fixtures of the contract tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

# (revision, text) pairs of one file, oldest first.
FileVersions = list[tuple[str, str]]


def _git(*args: str, cwd: Path) -> str:
    # Hooks export GIT_DIR and friends; they would point git at another repository than `cwd`'s.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    completed = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return completed.stdout


def _has_commits(root: Path) -> bool:
    # `git log` fails outright in a repository whose branch has no commit yet.
    try:
        _git("rev-parse", "--verify", "--quiet", "HEAD", cwd=root)
    except subprocess.CalledProcessError:
        return False
    return True


@pytest.fixture(scope="session")
def file_versions() -> Callable[[Path], FileVersions]:
    """Every committed version of a file, oldest first, followed by the working-tree version.

    A file that is new and uncommitted has just its working-tree version: nothing to compare.
    """

    def versions(path: Path) -> FileVersions:
        try:
            root = Path(_git("rev-parse", "--show-toplevel", cwd=path.parent).strip())
        except (OSError, subprocess.CalledProcessError):
            pytest.skip("not inside a git work tree")
        relative = path.resolve().relative_to(root.resolve()).as_posix()
        # Only commits that added or modified the file: one that deleted it has no version to show.
        commits = []
        if _has_commits(root):
            commits = _git("log", "--format=%H", "--diff-filter=AM", "--", relative, cwd=root).split()
        committed = [(sha[:12], _git("show", f"{sha}:{relative}", cwd=root)) for sha in reversed(commits)]
        return [*committed, ("working tree", path.read_text(encoding="utf-8"))]

    return versions
