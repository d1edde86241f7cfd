"""Settings of the scheduling service; see clinic_runtime.settings for the shared fields."""

from typing import Literal

from pydantic import Field, SecretStr

from clinic_runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = Field(default="scheduling", description="Name used in logs, metrics, traces and event sources.")
    http_port: int = Field(default=8002, description="Port of the web process (gunicorn).")
    worker_port: int = Field(default=9002, description="Port of the worker's health and metrics endpoint.")
    # -- video meetings (see README: Video meetings); only the worker creates meetings --
    video_provider: Literal["sandbox", "zoom"] = Field(
        default="sandbox",
        description="Who makes the video meetings of paid appointments: sandbox (local links, no network) or zoom "
        "(Zoom's REST API; needs ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, or the worker stops at start).")
    video_sandbox_base_url: str = Field(
        default="https://video.sandbox.invalid",
        description="Where the sandbox's join and host links start (VIDEO_PROVIDER=sandbox).")
    zoom_account_id: str = Field(
        default="", description="Account ID of the Zoom Server-to-Server OAuth app; give it from a Secret.")
    zoom_client_id: str = Field(
        default="", description="Client ID of the Zoom Server-to-Server OAuth app; give it from a Secret.")
    zoom_client_secret: SecretStr | None = Field(
        default=None, description="Client secret of the Zoom Server-to-Server OAuth app; give it from a Secret.")
    zoom_api_base: str = Field(default="https://api.zoom.us", description="Base URL of Zoom's REST API.")
    zoom_oauth_base: str = Field(default="https://zoom.us", description="Base URL of Zoom's OAuth token endpoint.")
    hold_minutes: int = Field(default=15, ge=1, le=24 * 60,
                              description="How long a booking holds its slot while the patient pays (HOLD_MINUTES).")
