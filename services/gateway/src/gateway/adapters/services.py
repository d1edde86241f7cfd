"""The gateway's view of the services behind it."""

from __future__ import annotations

from collections.abc import Callable

import urllib3

from gateway.adapters.upstream import base_path, service_pool


def readiness_checks(service_urls: dict[str, str], timeout: float) -> dict[str, Callable[[], tuple[bool, str]]]:
    """One check per service, asking its web process's `/readyz`."""
    return {name: (lambda pool=service_pool(url, timeout), path=base_path(url) + "/readyz": _ask(pool, path))
            for name, url in service_urls.items()}


def _ask(pool: urllib3.HTTPConnectionPool, path: str) -> tuple[bool, str]:
    try:
        response = pool.urlopen("GET", path)
        status = response.json().get("status", "unknown")
    except (urllib3.exceptions.HTTPError, ValueError) as error:
        return False, f"unreachable ({type(error).__name__})"
    return response.status == 200 and status == "ready", status
