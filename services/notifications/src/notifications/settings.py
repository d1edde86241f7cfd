"""Settings of the notifications service; see clinic_runtime.settings for the shared fields."""

from pydantic import Field

from clinic_runtime.settings import ServiceSettings, SmtpSettings


class Settings(ServiceSettings, SmtpSettings):
    service_name: str = Field(default="notifications", description="Name used in logs, metrics, traces and event sources.")
    http_port: int = Field(default=8005, description="Port of the web process (gunicorn).")
    worker_port: int = Field(default=9005, description="Port of the worker's health and metrics endpoint.")
