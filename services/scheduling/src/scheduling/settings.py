"""Settings of the scheduling service; see clinic_runtime.settings for the shared fields."""

from pydantic import Field

from clinic_runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = Field(default="scheduling", description="Name used in logs, metrics, traces and event sources.")
    http_port: int = Field(default=8002, description="Port of the web process (gunicorn).")
    worker_port: int = Field(default=9002, description="Port of the worker's health and metrics endpoint.")
