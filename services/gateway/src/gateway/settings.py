"""Settings of the gateway; see clinic_runtime.settings for the shared fields."""

from pydantic import Field

from clinic_runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = Field(default="gateway", description="Name used in logs, metrics, traces and event sources.")
    http_port: int = Field(default=8000, description="Port of the web process (gunicorn).")
    worker_port: int = Field(default=9000, description="Port of the worker's health and metrics endpoint.")
    catalog_url: str = Field(default="http://127.0.0.1:8001", description="Base URL of the catalog web process.")
    scheduling_url: str = Field(default="http://127.0.0.1:8002", description="Base URL of the scheduling web process.")
    billing_url: str = Field(default="http://127.0.0.1:8003", description="Base URL of the billing web process.")
    entitlements_url: str = Field(default="http://127.0.0.1:8004", description="Base URL of the entitlements web process.")
    notifications_url: str = Field(default="http://127.0.0.1:8005", description="Base URL of the notifications web process.")
    upstream_timeout_seconds: float = Field(default=2.0, description="Timeout of each call from the gateway to a service.")

    def service_urls(self) -> dict[str, str]:
        return {
            "catalog": self.catalog_url,
            "scheduling": self.scheduling_url,
            "billing": self.billing_url,
            "entitlements": self.entitlements_url,
            "notifications": self.notifications_url,
        }
