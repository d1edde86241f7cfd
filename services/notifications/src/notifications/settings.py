"""Settings of the notifications service; see clinic_runtime.settings for the shared fields."""

from pydantic import Field

from clinic_runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = Field(default="notifications", description="Name used in logs, metrics, traces and event sources.")
    http_port: int = Field(default=8005, description="Port of the web process (gunicorn).")
    worker_port: int = Field(default=9005, description="Port of the worker's health and metrics endpoint.")
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for email deliveries.")
    smtp_port: int = Field(default=1025, description="SMTP server port (1025 is the local development sink).")
    smtp_from: str = Field(default="clinic@localhost", description="Sender address of outgoing email.")
