"""The gateway's view of the services behind it."""

from __future__ import annotations

from collections.abc import Callable

import requests

from gateway.adapters.upstream import service_session


def readiness_checks(service_urls: dict[str, str], timeout: float) -> dict[str, Callable[[], tuple[bool, str]]]:
    """One check per service, asking its web process's `/readyz`."""
    return {name: (lambda url=url: _ask(url, timeout)) for name, url in service_urls.items()}


def _ask(base_url: str, timeout: float) -> tuple[bool, str]:
    try:
        with service_session() as session:
            response = session.get(f"{base_url}/readyz", timeout=timeout)
        status = response.json().get("status", "unknown")
    except (requests.RequestException, ValueError) as error:
        return False, f"unreachable ({type(error).__name__})"
    return response.status_code == 200 and status == "ready", status
