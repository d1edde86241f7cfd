"""Settings of the entitlements service; see clinic_runtime.settings for the shared fields."""

from pydantic import Field

from clinic_runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = Field(default="entitlements", description="Name used in logs, metrics, traces and event sources.")
    http_port: int = Field(default=8004, description="Port of the web process (gunicorn).")
    worker_port: int = Field(default=9004, description="Port of the worker's health and metrics endpoint.")
    reservation_expiry_minutes: int = Field(
        default=30, ge=1, le=24 * 60,
        description="How long a session reserved by a booking stays reserved without being committed: scheduling's "
                    "hold (15 minutes by default) plus a margin for a payment confirmed late "
                    "(RESERVATION_EXPIRY_MINUTES).")
    care_timer_seconds: float = Field(
        default=60.0, gt=0,
        description="How often the worker renews tier periods, expires enrollments and releases lapsed "
                    "reservations (CARE_TIMER_SECONDS).")
