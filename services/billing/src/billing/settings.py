"""Settings of the billing service; see clinic_runtime.settings for the shared fields."""

from pydantic import Field

from clinic_runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = Field(default="billing", description="Name used in logs, metrics, traces and event sources.")
    http_port: int = Field(default=8003, description="Port of the web process (gunicorn).")
    worker_port: int = Field(default=9003, description="Port of the worker's health and metrics endpoint.")
