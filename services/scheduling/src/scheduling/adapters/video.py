"""Video meetings for appointments: the `VideoMeetings` interface and its two providers.

- `ZoomMeetings` speaks Zoom's REST API (v2) as a Server-to-Server OAuth app: an access token
  from `POST {oauth_base}/oauth/token` (grant `account_credentials`, HTTP Basic client id and
  secret), kept until shortly before it expires and fetched anew once when Zoom answers 401;
  meetings are created for the app's owner (`POST /v2/users/me/meetings`, a scheduled meeting),
  moved with `PATCH /v2/meetings/{id}` and removed with `DELETE /v2/meetings/{id}`.
- `SandboxMeetings` makes deterministic meetings locally, with no network: local runs and tests.

Both fail the same way: `VideoUnavailable` when the provider cannot do it now (unreachable,
timed out, rate-limited past patience, 5xx after bounded retries, or refused). Its message names
the provider and the HTTP status and Zoom's error code, never a credential, a token or Zoom's own
message (which can quote a user's email address).

Idempotency: Zoom's API has no idempotency key, so creating a meeting twice makes two meetings.
The caller records the meeting id with the appointment and creates a meeting only when none is
recorded; after a failure it creates again on the next delivery. `ZoomMeetings.create` therefore
retries only when Zoom cannot have acted (429, 5xx, no connection); a create that timed out while
waiting for Zoom's answer is not repeated here, and if the later attempt makes a second meeting,
the first is an orphan nobody is sent the link of. `update` and `cancel` are safe to repeat, and
`cancel` of a meeting Zoom no longer has succeeds.

Zoom's `start_url` (our `host_url`) carries a host token that Zoom documents as valid for two
hours after it is issued; the specialist can always start the meeting by signing in to Zoom
and opening the join link.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import httpx
from pydantic import SecretStr

from scheduling.domain.video import MeetingRequest, VideoMeeting
from scheduling.settings import Settings

__all__ = ["MeetingNotFound", "MeetingRequest", "RetryPolicy", "SandboxMeetings", "VideoMeeting", "VideoMeetings",
           "VideoUnavailable", "ZoomMeetings", "video_meetings_from"]

log = logging.getLogger(__name__)


class VideoUnavailable(Exception):
    """The provider could not create, move or cancel the meeting now; try again later."""


class MeetingNotFound(VideoUnavailable):
    """`update` of a meeting the provider does not have (deleted, or never its own): the caller
    may create a new one."""


class VideoMeetings(Protocol):
    def create(self, request: MeetingRequest) -> VideoMeeting: ...

    def update(self, meeting_id: str, request: MeetingRequest) -> VideoMeeting: ...

    def cancel(self, meeting_id: str) -> None: ...


def video_meetings_from(settings: Settings) -> VideoMeetings:
    """The provider VIDEO_PROVIDER names. Zoom needs its three credentials; a missing one is a
    ValueError naming it, so the worker stops at start rather than at the first paid booking."""
    if settings.video_provider == "sandbox":
        return SandboxMeetings(settings.video_sandbox_base_url)
    secret = settings.zoom_client_secret.get_secret_value() if settings.zoom_client_secret else ""
    missing = [name for name, value in (("ZOOM_ACCOUNT_ID", settings.zoom_account_id),
                                        ("ZOOM_CLIENT_ID", settings.zoom_client_id),
                                        ("ZOOM_CLIENT_SECRET", secret)) if not value]
    if missing:
        raise ValueError(f"VIDEO_PROVIDER=zoom needs {', '.join(missing)}")
    return ZoomMeetings(account_id=settings.zoom_account_id, client_id=settings.zoom_client_id,
                        client_secret=settings.zoom_client_secret, api_base=settings.zoom_api_base,
                        oauth_base=settings.zoom_oauth_base)


# --- sandbox -------------------------------------------------------------------------------------


class SandboxMeetings:
    """Meetings that exist only as links under `base_url`. The id follows from the appointment,
    so creating again for the same appointment gives the same meeting, as a recorded id would."""

    provider: Final = "sandbox"

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url.rstrip("/")

    def create(self, request: MeetingRequest) -> VideoMeeting:
        return self._meeting(f"sbx-{request.appointment_id.hex}")

    def update(self, meeting_id: str, request: MeetingRequest) -> VideoMeeting:
        if not meeting_id.startswith("sbx-"):
            raise MeetingNotFound(f"{meeting_id!r} is not a sandbox meeting")
        return self._meeting(meeting_id)

    def cancel(self, meeting_id: str) -> None:
        """Nothing to remove: a sandbox meeting is only its links."""

    def _meeting(self, meeting_id: str) -> VideoMeeting:
        return VideoMeeting(provider=self.provider, meeting_id=meeting_id,
                            join_url=f"{self._base_url}/j/{meeting_id}",
                            host_url=f"{self._base_url}/s/{meeting_id}")


# --- Zoom ----------------------------------------------------------------------------------------

# What a clinic's consultation needs: the patient waits in the waiting room until the specialist
# admits them, nobody meets before the host, nothing is recorded, no registration.
CLINIC_MEETING_SETTINGS: Final[dict[str, Any]] = {
    "waiting_room": True,
    "join_before_host": False,
    "host_video": True,
    "participant_video": True,
    "mute_upon_entry": False,
    "approval_type": 2,  # no registration required
    "auto_recording": "none",
}
SCHEDULED_MEETING: Final = 2  # Zoom's meeting type for a meeting at a fixed time
# Renew a token this long before Zoom says it expires (tokens live an hour), so a request never
# leaves with a token that expires on the way.
TOKEN_RENEWAL_MARGIN_SECONDS: Final = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying a request Zoom cannot have acted on (429, 5xx, no connection)."""

    attempts: int = 3  # in all, the first one included
    first_backoff_seconds: float = 0.5  # doubled after each failure
    max_wait_seconds: float = 5.0  # a longer Retry-After is not waited for: VideoUnavailable at once

    def backoff(self, failures: int) -> float:
        return min(self.first_backoff_seconds * 2 ** (failures - 1), self.max_wait_seconds)


@dataclass(frozen=True, repr=False)
class _Token:
    value: str
    renew_at: float  # on the monotonic clock


class ZoomMeetings:
    """Zoom's REST API with Server-to-Server OAuth. Thread-safe: the worker's consumer lanes
    share one instance, its connection pool and its token."""

    provider: Final = "zoom"

    def __init__(self, *, account_id: str, client_id: str, client_secret: SecretStr | str,
                 api_base: str = "https://api.zoom.us", oauth_base: str = "https://zoom.us",
                 timeout_seconds: float = 10.0, retry: RetryPolicy = RetryPolicy(),
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self._account_id = account_id
        self._client_id = client_id
        self._client_secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        self._api_base = api_base.rstrip("/")
        self._oauth_base = oauth_base.rstrip("/")
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._http = httpx.Client(timeout=httpx.Timeout(timeout_seconds), follow_redirects=False)
        self._token: _Token | None = None
        self._token_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ZoomMeetings(api_base={self._api_base!r})"

    def close(self) -> None:
        self._http.close()

    # -- the interface --

    def create(self, request: MeetingRequest) -> VideoMeeting:
        response = self._api("POST", "/v2/users/me/meetings", json=_meeting_body(request), repeatable=False)
        if response.status_code != 201:
            raise _refused(response, "create the meeting")
        meeting = self._meeting(response)
        log.info("zoom meeting created", extra={"appointment_id": str(request.appointment_id)})
        return meeting

    def update(self, meeting_id: str, request: MeetingRequest) -> VideoMeeting:
        if not _is_zoom_id(meeting_id):
            raise MeetingNotFound("not a Zoom meeting id")
        response = self._api("PATCH", f"/v2/meetings/{meeting_id}", json=_meeting_body(request))
        if response.status_code == 404:
            raise MeetingNotFound("zoom has no such meeting (HTTP 404)")
        if response.status_code != 204:
            raise _refused(response, "update the meeting")
        # Zoom answers a PATCH with no body: the links come from the meeting itself.
        response = self._api("GET", f"/v2/meetings/{meeting_id}")
        if response.status_code != 200:
            raise _refused(response, "read the meeting")
        log.info("zoom meeting moved", extra={"appointment_id": str(request.appointment_id)})
        return self._meeting(response)

    def cancel(self, meeting_id: str) -> None:
        if not _is_zoom_id(meeting_id):
            return  # never a Zoom meeting, so there is nothing at Zoom to remove
        response = self._api("DELETE", f"/v2/meetings/{meeting_id}")
        # 404: already gone, which is what cancelling wants.
        if response.status_code not in (204, 404):
            raise _refused(response, "delete the meeting")

    # -- OAuth --

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token is None or self._clock() >= self._token.renew_at:
                self._token = self._new_token()
            return self._token.value

    def _forget_token(self, value: str) -> None:
        with self._token_lock:
            # Another lane may already have replaced it; keep that one.
            if self._token is not None and self._token.value == value:
                self._token = None

    def _new_token(self) -> _Token:
        asked_at = self._clock()
        # The account id goes in the form body rather than the query string Zoom's guide shows
        # (Zoom takes both): URLs end up in access logs, bodies do not.
        response = self._send("POST", f"{self._oauth_base}/oauth/token", repeatable=True,
                              data={"grant_type": "account_credentials", "account_id": self._account_id},
                              auth=(self._client_id, self._client_secret.get_secret_value()))
        if response.status_code != 200:
            raise _refused(response, "issue an access token")
        body = _json(response)
        value, expires_in = body.get("access_token"), body.get("expires_in")
        if not isinstance(value, str) or not value or not isinstance(expires_in, int | float) or expires_in <= 0:
            raise VideoUnavailable("zoom's token answer lacks access_token or expires_in")
        lifetime = max(expires_in - TOKEN_RENEWAL_MARGIN_SECONDS, expires_in / 2)
        return _Token(value, asked_at + lifetime)

    # -- HTTP --

    def _api(self, method: str, path: str, *, json: dict[str, Any] | None = None,
             repeatable: bool = True) -> httpx.Response:
        """Zoom's answer with a current token; once more with a new token after a 401 (the token
        was revoked or expired early)."""
        token = self._access_token()
        response = self._send(method, self._api_base + path, repeatable=repeatable, json=json,
                              headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 401:
            self._forget_token(token)
            token = self._access_token()
            response = self._send(method, self._api_base + path, repeatable=repeatable, json=json,
                                  headers={"Authorization": f"Bearer {token}"})
        return response

    def _send(self, method: str, url: str, *, repeatable: bool, **options: Any) -> httpx.Response:
        """The first answer that is neither 429 nor 5xx, within the retry policy. A request that
        may have reached Zoom and not been answered is repeated only when `repeatable`."""
        failure = ""
        for attempt in range(1, self._retry.attempts + 1):
            try:
                response = self._http.request(method, url, **options)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                failure, wait = type(error).__name__, self._retry.backoff(attempt)
            except httpx.TransportError as error:
                if not repeatable:
                    raise VideoUnavailable(f"zoom did not answer ({type(error).__name__})") from None
                failure, wait = type(error).__name__, self._retry.backoff(attempt)
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                failure = f"HTTP {response.status_code}"
                wait = _retry_after(response)
                if wait is None:
                    wait = self._retry.backoff(attempt)
                elif wait > self._retry.max_wait_seconds:
                    raise VideoUnavailable(f"zoom asks to wait {wait:.0f} s ({failure})")
            if attempt < self._retry.attempts:
                log.warning("zoom %s failed (%s); trying again in %.1f s", method, failure, wait)
                self._sleep(wait)
        raise VideoUnavailable(f"zoom is unavailable ({failure} after {self._retry.attempts} attempts)")

    def _meeting(self, response: httpx.Response) -> VideoMeeting:
        body = _json(response)
        meeting_id, join_url, start_url = body.get("id"), body.get("join_url"), body.get("start_url")
        if not isinstance(meeting_id, int) or not isinstance(join_url, str) or not isinstance(start_url, str):
            raise VideoUnavailable("zoom's meeting lacks id, join_url or start_url")
        return VideoMeeting(provider=self.provider, meeting_id=str(meeting_id), join_url=join_url, host_url=start_url)


def _meeting_body(request: MeetingRequest) -> dict[str, Any]:
    return {
        "topic": request.short_topic,
        "type": SCHEDULED_MEETING,
        # UTC with a Z: Zoom reads it as GMT and shows it in `timezone`.
        "start_time": request.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": request.duration_minutes,
        "timezone": request.timezone,
        "agenda": f"Appointment {request.appointment_id}",
        "settings": CLINIC_MEETING_SETTINGS,
    }


def _is_zoom_id(meeting_id: str) -> bool:
    # Zoom's meeting ids are 64-bit integers; anything else must not reach a URL path.
    return meeting_id.isascii() and meeting_id.isdigit() and len(meeting_id) <= 20


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise VideoUnavailable(f"zoom's answer is not JSON (HTTP {response.status_code})") from None
    if not isinstance(body, dict):
        raise VideoUnavailable(f"zoom's answer is not a JSON object (HTTP {response.status_code})")
    return body


def _refused(response: httpx.Response, action: str) -> VideoUnavailable:
    """Zoom's status and error code; not its message, which can quote an email address."""
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    detail = f"HTTP {response.status_code}" + (f", code {code}" if isinstance(code, int) else "")
    return VideoUnavailable(f"zoom refused to {action} ({detail})")


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), or None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
