"""Settings of the catalog service; see clinic_runtime.settings for the shared fields."""

from pathlib import Path

from pydantic import Field

from clinic_runtime.settings import LOCAL_STATE_DIR, ServiceSettings


class Settings(ServiceSettings):
    service_name: str = Field(default="catalog", description="Name used in logs, metrics, traces and event sources.")
    http_port: int = Field(default=8001, description="Port of the web process (gunicorn).")
    worker_port: int = Field(default=9001, description="Port of the worker's health and metrics endpoint.")
    document_store_path: str = Field(
        default="",
        description="Directory where the files of documents attached to services are kept. Empty means "
        "var/documents/catalog.",
    )
    document_max_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="Largest document file accepted, in bytes (10 MiB).")

    def resolved_document_store_path(self) -> Path:
        return Path(self.document_store_path or LOCAL_STATE_DIR / "documents" / "catalog")
