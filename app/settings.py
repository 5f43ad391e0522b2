"""Configuration from the environment: DATABASE_URL, HOST and PORT bare, the rest NEWSGATE_*."""

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/newsgate.db"


def async_database_url(url: str) -> str:
    """Name the async driver for plain `postgresql://` and `sqlite://` URLs."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url.removeprefix(plain)
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSGATE_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "NEWSGATE_DATABASE_URL"),
    )
    # Shared state between instances (rate limits, persisted queries); process memory without.
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "NEWSGATE_REDIS_URL")
    )
    redis_prefix: str = "newsgate:"  # of every key, so deployments can share a Redis
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "NEWSGATE_HOST"))
    port: int = Field(default=8000, validation_alias=AliasChoices("PORT", "NEWSGATE_PORT"))

    env: Literal["development", "production"] = "development"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # One line per request; JSON by default in production, text in development.
    log_format: Literal["text", "json"] | None = None
    slow_request_ms: float = Field(default=1_000, gt=0)  # logged at WARNING, with its SQL
    # /metrics needs `Authorization: Bearer <token>` when set; without one it is served in
    # development only.
    metrics_token: str | None = None
    tracing: Literal["off", "otlp", "console"] = "off"  # OpenTelemetry (the tracing extra)
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    # A database that does not answer a connection within this long is unavailable:
    # requests fail fast (SERVICE_UNAVAILABLE) instead of queueing behind it.
    db_connect_timeout_seconds: float = Field(default=1.0, gt=0)
    workers: int = Field(default=1, ge=1)
    # Group commit: views wait this long to share a transaction; 0 writes each on its own.
    # A trade: at 1 ms the benchmark's Mix (32 connections) runs a third faster, and
    # scripts/bench_views.py's 64 clients gain 5x over one transaction per view, not 6.6x.
    view_flush_ms: float = Field(default=5.0, ge=0, le=1000)
    # Most viewed and trending lag the views by at most this much.
    popularity_refresh_seconds: float = Field(default=5.0, gt=0, le=60)
    # Trending: a view counts half as much after this long. Changing it takes effect for
    # each article at its next recomputation.
    trending_half_life_hours: float = Field(default=12.0, gt=0)
    # How often an idle worker looks for articles whose related lists must be recomputed.
    related_refresh_seconds: float = Field(default=1.0, gt=0, le=60)

    # Limits on a request, each refused before it runs (README, "Security").
    max_body_bytes: int = Field(default=1_000_000, ge=1)
    max_variables_bytes: int = Field(default=512_000, ge=1)
    max_query_bytes: int = Field(default=100_000, ge=1)
    max_tokens: int = Field(default=2_000, ge=1)
    max_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=30, ge=0)
    max_directives_per_field: int = Field(default=3, ge=0)
    max_cost: int = Field(default=25_000, ge=1)
    max_batch: int = Field(default=0, ge=0)  # operations in one batched request; 0: batching off
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    # Requests a minute per IP address (anonymous), and per API key or editor.
    rate_limit_anonymous_per_minute: int = Field(default=300, ge=1)
    rate_limit_client_per_minute: int = Field(default=1_200, ge=1)
    # Editors' tokens: HS256 with a shared secret, or RS256 with the issuer's public key (PEM).
    jwt_secret: str | None = None
    jwt_public_key: str | None = None
    jwt_issuer: str = "newsgate"
    jwt_audience: str = "newsgate"
    # A manifest of the only operations that may run (scripts/trusted_documents.py).
    trusted_documents: str | None = None
    # The response cache (README, "Caching"): off, in process memory, or in Redis, shared
    # by every worker and instance. Unset: off in development; in production Redis when
    # REDIS_URL is set, else memory with one worker (workers would miss each other's
    # invalidations), else off.
    response_cache: Literal["off", "memory", "redis"] | None = None
    response_cache_bytes: int = Field(default=64 * 2**20, ge=0)  # memory mode's budget
    # Served past their max age while computed again, and while the database is down.
    cache_stale_while_revalidate_seconds: float = Field(default=30, ge=0)
    cache_stale_if_error_seconds: float = Field(default=3600, ge=0)
    # POSTed the cache tags an edit changed, for a CDN to purge (README, "Caching").
    purge_webhook_url: str | None = None
    # Browser origins allowed to call the API cross-site (CORS), comma-separated.
    cors_origins: Annotated[list[str], NoDecode] = []

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        return async_database_url(url)

    @model_validator(mode="after")
    def _cache_can_be_shared(self) -> "Settings":
        if self.response_cache == "redis" and not self.redis_url:
            raise ValueError("NEWSGATE_RESPONSE_CACHE=redis needs REDIS_URL")
        if self.response_cache == "memory" and self.workers > 1:
            raise ValueError(
                "NEWSGATE_RESPONSE_CACHE=memory keeps a cache per worker, each blind to the "
                "others' invalidations: with NEWSGATE_WORKERS > 1 set REDIS_URL and use redis"
            )
        return self

    @property
    def cache_mode(self) -> Literal["off", "memory", "redis"]:
        if self.response_cache is not None:
            return self.response_cache
        if self.env == "development":
            return "off"
        if self.redis_url:
            return "redis"
        return "memory" if self.workers == 1 else "off"

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (self.log_format is None and self.env == "production")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
