"""Settings shared by every service, read from environment variables (pydantic-settings).

Each service subclasses `ServiceSettings`, fixing its name and default ports and adding its own
fields. Every field is documented by its `description`, and tests/test_readme.py keeps the
README's configuration table naming every one.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clinic_runtime.messaging.outbox import OUTBOX_RETENTION

# Repository-local directory for SQLite files, logs and metrics when running on a laptop.
LOCAL_STATE_DIR = Path("var")


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    service_name: str = Field(description="Name used in logs, metrics, traces and event sources.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of this service's own database. Empty means the embedded "
        "SQLite file var/<service>.db.",
    )
    amqp_url: str = Field(
        default="amqp://guest:guest@localhost:5672/", description="RabbitMQ connection URL."
    )
    broker_namespace: str = Field(
        default="clinic",
        description="Prefix of every exchange and queue name, so several platforms (or test "
        "runs) can share one broker.",
    )
    http_port: int = Field(description="Port of the web process (gunicorn).")
    http_host: str = Field(default="127.0.0.1", description="Address the web process binds.")
    worker_port: int = Field(default=0, description="Port of the worker's health and metrics endpoint.")
    worker_host: str = Field(default="127.0.0.1", description="Address the worker's endpoint binds.")
    web_concurrency: int = Field(default=2, description="Number of gunicorn worker processes.")
    log_level: str = Field(default="INFO", description="Python logging level.")
    otel_exporter_otlp_endpoint: str = Field(
        default="",
        description="OTLP/HTTP collector endpoint; traces are exported only when this is set.",
    )
    prometheus_multiproc_dir: str = Field(
        default="",
        description="Directory for prometheus-client's multiprocess files (gunicorn). Empty "
        "means var/metrics/<service>.",
    )
    outbox_batch_size: int = Field(default=200, description="Outbox rows the relay claims at once.")
    outbox_poll_interval_seconds: float = Field(
        default=0.25,
        description="How often an idle relay looks at the outbox anyway. On PostgreSQL each commit "
        "also wakes it at once (LISTEN/NOTIFY); on SQLite this is the relay's latency.",
    )
    outbox_lease_seconds: float = Field(
        default=30.0,
        description="How long a claimed outbox row stays with one relay before another may take it.",
    )
    batch_linger_seconds: float = Field(
        default=0.005,
        description="Under load, how long the relay and each consumer lane wait for more events "
        "before taking the next batch: a little latency buys far fewer transactions per event. "
        "An idle pipeline never waits.",
    )
    consumer_prefetch: int = Field(default=64, description="Unacknowledged deliveries per consumer.")
    consumer_lanes: int = Field(
        default=3, description="Batches of events a consumer applies side by side (one connection each)."
    )
    delivery_limit: int = Field(
        default=5, description="Deliveries of one message before it goes to the dead-letter queue."
    )
    web_statement_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=600,
        allow_inf_nan=False,
        description="On PostgreSQL, the longest one SQL statement of a web request may run, waiting for "
        "locks included; then it is cancelled, the request's transaction rolls back and the answer is "
        "503 database-busy with Retry-After. It keeps a stuck lock from tying up every web thread. The "
        "gateway waits UPSTREAM_TIMEOUT_SECONDS (2 s) for a service, so a longer statement only ever "
        "answers nobody.",
    )
    idempotency_key_retention_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 366,
        allow_inf_nan=False,
        description="How long a stored Idempotency-Key replays its first response; then the key and "
        "the response it kept (booking tokens, patient details) are deleted, and a request with it is "
        "handled afresh (a booking's appointment id comes from its key, so it finds that appointment, "
        "or a conflict if the body differs). The worker purges hourly, so a key may last up to an hour "
        "longer.",
    )
    inbox_retention_days: float = Field(
        default=30.0,
        le=3660,
        allow_inf_nan=False,
        description="How long a consumer remembers an event it applied, so that a redelivery is skipped. "
        "Not shorter than the outbox's 7 days. A dead letter waits, without expiry, until an operator "
        "replays it; it is almost always an event its group never applied (the failed transaction "
        "recorded nothing), but one whose worker died between commit and acknowledgement on every "
        "delivery was applied: replayed within this retention, it is still skipped.",
    )

    @field_validator("inbox_retention_days")
    @classmethod
    def _outlasts_the_outbox(cls, days: float) -> float:
        # An event can come again as long as the outbox keeps it; the inbox must still know it
        # then, or it would take effect twice.
        if timedelta(days=days) < OUTBOX_RETENTION:
            raise ValueError(f"keep the inbox at least as long as the outbox ({OUTBOX_RETENTION.days} days)")
        return days

    def idempotency_key_retention(self) -> timedelta:
        return timedelta(hours=self.idempotency_key_retention_hours)

    def inbox_retention(self) -> timedelta:
        return timedelta(days=self.inbox_retention_days)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        LOCAL_STATE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(LOCAL_STATE_DIR / f'{self.service_name}.db').resolve()}"

    def resolved_metrics_dir(self) -> Path:
        path = Path(self.prometheus_multiproc_dir or LOCAL_STATE_DIR / "metrics" / self.service_name)
        path.mkdir(parents=True, exist_ok=True)
        return path


class SmtpSecurity(StrEnum):
    """How a mailer protects its connection to the SMTP relay. The certificate is verified
    against the system's CAs (or SSL_CERT_FILE)."""

    STARTTLS = "starttls"  # a plain connection upgraded before anything else is said (port 587)
    TLS = "tls"  # TLS from the first byte (port 465)
    NONE = "none"  # no encryption: only for a development sink on the same machine


class SmtpSettings(BaseModel):
    """The SMTP relay of a service that sends email; mixed into its Settings. A plain model, not
    settings: their defaults (extra fields forbidden) would override ServiceSettings' own."""

    # A refused setting is reported without the values given: among them is the password.
    model_config = ConfigDict(hide_input_in_errors=True)

    smtp_host: str = Field(default="127.0.0.1", description="SMTP relay outgoing email is handed to.")
    smtp_port: int = Field(default=1025, description="SMTP relay port (1025 is the local development sink).")
    smtp_from: str = Field(default="clinic@localhost", description="Sender address of outgoing email.")
    smtp_security: SmtpSecurity = Field(
        default=SmtpSecurity.STARTTLS,
        description="starttls (upgrade the connection, port 587), tls (TLS from the start, port 465) or none "
        "(plain text: only for the local development sink). A relay that cannot do what is asked gets no mail: "
        "the links stay due and are retried.")
    smtp_username: str = Field(default="", description="User the mailer logs in to the relay as (with SMTP_PASSWORD).")
    smtp_password: SecretStr | None = Field(
        default=None, description="Password of SMTP_USERNAME; give it from a Secret. Unset: no login.")

    @property
    def smtp_password_value(self) -> str:
        return self.smtp_password.get_secret_value() if self.smtp_password else ""

    @model_validator(mode="after")
    def _login_is_complete_and_encrypted(self) -> SmtpSettings:
        password = self.smtp_password_value
        if bool(self.smtp_username) != bool(password):
            raise ValueError("set SMTP_USERNAME and SMTP_PASSWORD together")
        if password and self.smtp_security is SmtpSecurity.NONE:
            raise ValueError("a relay password is never sent unencrypted: set SMTP_SECURITY to starttls or tls")
        return self
