"""Settings of the gateway; see clinic_runtime.settings for the shared fields."""

from pydantic import Field, SecretStr, field_validator

from clinic_runtime.settings import ServiceSettings, SmtpSettings
from gateway.domain.throttling import LoginThrottle, RateLimit
from gateway.domain.tokens import MIN_KEY_LENGTH


class Settings(ServiceSettings, SmtpSettings):
    service_name: str = Field(default="gateway", description="Name used in logs, metrics, traces and event sources.")
    http_port: int = Field(default=8000, description="Port of the web process (gunicorn).")
    worker_port: int = Field(default=9000, description="Port of the worker's health and metrics endpoint.")
    catalog_url: str = Field(default="http://127.0.0.1:8001", description="Base URL of the catalog web process.")
    scheduling_url: str = Field(default="http://127.0.0.1:8002", description="Base URL of the scheduling web process.")
    billing_url: str = Field(default="http://127.0.0.1:8003", description="Base URL of the billing web process.")
    entitlements_url: str = Field(default="http://127.0.0.1:8004", description="Base URL of the entitlements web process.")
    notifications_url: str = Field(default="http://127.0.0.1:8005", description="Base URL of the notifications web process.")
    upstream_timeout_seconds: float = Field(default=2.0, description="Timeout of each call from the gateway to a service.")
    access_decision_cache_seconds: float = Field(
        default=30.0, ge=0,
        description="How long a web process remembers an access decision from entitlements; a role change "
        "in the clinic discards it sooner. 0 asks entitlements on every request.")
    clinic_directory_cache_seconds: float = Field(
        default=10.0, ge=0,
        description="How long a web process remembers which clinic a slug names (unknown slugs are not remembered).")
    # -- identity (see README: Identity) --
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where clients reach the platform; the links in invitation and password-reset emails start here.")
    token_signing_key: SecretStr | None = Field(
        default=None,
        description="Key (at least 32 characters) signing access and one-time tokens; give it from a Secret in "
        "production. Unset: the random key gateway-migrate generated once and stored in the gateway's database.")
    token_previous_signing_key: SecretStr | None = Field(
        default=None,
        description="The signing key used before TOKEN_SIGNING_KEY: tokens it signed are still accepted, so the key "
        "can be rotated without signing everybody out.")
    mfa_encryption_key: SecretStr | None = Field(
        default=None,
        description="Fernet key encrypting authenticator secrets at rest; give it from a Secret in production. "
        "Unset: the key gateway-migrate generated once and stored in the gateway's database.")
    # SMTP_* (invitation, password-reset and sign-up emails): clinic_runtime.settings.SmtpSettings.
    bootstrap_operator_email: str = Field(
        default="",
        description="gateway-migrate creates the first platform operator with this address when no operator "
        "exists yet (nothing when empty).")
    bootstrap_operator_password: SecretStr | None = Field(
        default=None, description="The first platform operator's password (with BOOTSTRAP_OPERATOR_EMAIL).")
    redis_url: str = Field(
        default="",
        description="Redis holding the rate limits' counters, e.g. redis://redis:6379/0. Empty: the gateway's "
        "own database holds them.")
    redis_key_prefix: str = Field(default="clinic:", description="Prefix of every key the gateway writes to Redis.")
    rate_limit_login: str = Field(
        default="10/minute", description="Requests per client address to login and its MFA step (N/second|minute|hour|day).")
    rate_limit_password_reset: str = Field(
        default="5/minute", description="Requests per client address to the password-reset routes.")
    rate_limit_public: str = Field(
        default="60/minute", description="Requests per client address to the other public routes (refresh included).")
    trusted_proxy_count: int = Field(
        default=0, ge=0,
        description="How many proxies in front of the gateway append to X-Forwarded-For; the client address is the "
        "one the outermost of them saw. 0: the TCP peer's address, and X-Forwarded-For is ignored.")
    login_failures_per_account: int = Field(
        default=5, ge=1, description="Failed logins for one email address within the window before it is refused (429).")
    login_failures_per_address: int = Field(
        default=20, ge=1, description="Failed logins from one client address within the window before it is refused.")
    login_failure_window_seconds: int = Field(
        default=900, ge=1, description="The failed-login window, counted from the first failure.")
    password_hash_time_cost: int = Field(default=3, ge=1, description="argon2id passes over memory per password hash.")
    password_hash_memory_kib: int = Field(default=65536, ge=8, description="argon2id memory per password hash (KiB).")
    password_hash_parallelism: int = Field(default=4, ge=1, description="argon2id lanes per password hash.")

    @field_validator("token_signing_key", "token_previous_signing_key")
    @classmethod
    def _long_enough(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and key.get_secret_value() and len(key.get_secret_value()) < MIN_KEY_LENGTH:
            raise ValueError(f"a token signing key must be at least {MIN_KEY_LENGTH} characters")
        return key

    @field_validator("rate_limit_login", "rate_limit_password_reset", "rate_limit_public")
    @classmethod
    def _a_rate(cls, rate: str) -> str:
        RateLimit.parse(rate)
        return rate

    def rate_limits(self) -> dict[str, RateLimit]:
        """The limit of each bucket `rate_limited` names."""
        return {"login": RateLimit.parse(self.rate_limit_login),
                "password_reset": RateLimit.parse(self.rate_limit_password_reset),
                "public": RateLimit.parse(self.rate_limit_public)}

    def login_throttle(self) -> LoginThrottle:
        return LoginThrottle(self.login_failures_per_account, self.login_failures_per_address,
                             self.login_failure_window_seconds)

    def service_urls(self) -> dict[str, str]:
        return {
            "catalog": self.catalog_url,
            "scheduling": self.scheduling_url,
            "billing": self.billing_url,
            "entitlements": self.entitlements_url,
            "notifications": self.notifications_url,
        }
