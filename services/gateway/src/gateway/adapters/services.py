"""The gateway's view of the services behind it."""

from __future__ import annotations

from collections.abc import Callable

import urllib3

from gateway.adapters.upstream import service_pool


def readiness_checks(service_urls: dict[str, str], timeout: float) -> dict[str, Callable[[], tuple[bool, str]]]:
    """One check per service, asking its web process's `/readyz`."""
    return {name: (lambda pool=service_pool(url, timeout), path=_readyz(url): _ask(pool, path))
            for name, url in service_urls.items()}


def _readyz(base_url: str) -> str:
    return (urllib3.util.parse_url(base_url).path or "").rstrip("/") + "/readyz"


def _ask(pool: urllib3.HTTPConnectionPool, path: str) -> tuple[bool, str]:
    try:
        response = pool.urlopen("GET", path)
        status = response.json().get("status", "unknown")
    except (urllib3.exceptions.HTTPError, ValueError) as error:
        return False, f"unreachable ({type(error).__name__})"
    return response.status == 200 and status == "ready", status
