"""Settings from environment variables, with the documented defaults (README.md).

Every knob of a worker, the CLI and the tools is read here once; nothing else in the code
base reads ``os.environ``. Each field's comment is its documentation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# The Redis passwords of deploy/redis/dev.env, used when the environment sets none.
DEV_WORKER_PASSWORD = "dev-worker-secret"
DEV_PORTAL_PASSWORD = "dev-portal-secret"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}: expected an integer, got {raw!r}") from None


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name}: expected a number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """All configuration; build it with :meth:`from_env`."""

    # Kafka bootstrap servers, comma separated.
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Topic names are "<topic_prefix>.postings" etc.; tests use their own prefix.
    topic_prefix: str = "jobmatch"
    # Partitions of postings, and of profiles + interactions (always the same count).
    posting_partitions: int = 4
    seeker_partitions: int = 4
    # Redis server; the user and password come from the fields below, not the URL.
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_worker_password: str = DEV_WORKER_PASSWORD
    redis_portal_password: str = DEV_PORTAL_PASSWORD
    # Every Redis key starts with "<key_prefix>:" (the ACLs allow "jobmatch:*").
    key_prefix: str = "jobmatch"
    # Largest accepted event, in bytes.
    max_message_bytes: int = 65536
    # Faust worker: consumer group / app id, web port (serves /metrics), data directory.
    app_id: str = "jobmatch"
    # The web server (/metrics, /health) listens on this address: loopback by default,
    # since the pages have no authentication; "0.0.0.0" for a scraper on another host.
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    data_dir: Path = field(default_factory=lambda: Path(".run/worker"))
    # List sizes and diversity.
    seeker_list_size: int = 120
    posting_list_size: int = 100
    max_per_employer: int = 3
    # Every active seeker is re-ranked at least once per horizon (new model, time decay).
    sweep_horizon_seconds: float = 3600.0
    # Keys of a seeker with no event for this long expire.
    seeker_ttl_seconds: int = 30 * 24 * 3600
    # The trainer publishes a model snapshot after this many examples, or this often; but
    # never more often than the minimum interval: every worker loads each snapshot and
    # re-ranks every seeker under it, and at thousands of examples per second 500
    # examples would be a new model several times a second.
    snapshot_every_examples: int = 500
    snapshot_interval_seconds: float = 30.0
    snapshot_min_interval_seconds: float = 5.0

    @classmethod
    def from_env(cls) -> Settings:
        """Read every ``JOBMATCH_*`` variable, falling back to the defaults above."""
        d = cls()
        return cls(
            kafka_bootstrap=_env("JOBMATCH_KAFKA_BOOTSTRAP", d.kafka_bootstrap),
            topic_prefix=_env("JOBMATCH_TOPIC_PREFIX", d.topic_prefix),
            posting_partitions=_env_int("JOBMATCH_POSTING_PARTITIONS", d.posting_partitions),
            seeker_partitions=_env_int("JOBMATCH_SEEKER_PARTITIONS", d.seeker_partitions),
            redis_url=_env("JOBMATCH_REDIS_URL", d.redis_url),
            redis_worker_password=_env("JOBMATCH_REDIS_WORKER_PASSWORD", d.redis_worker_password),
            redis_portal_password=_env("JOBMATCH_REDIS_PORTAL_PASSWORD", d.redis_portal_password),
            key_prefix=_env("JOBMATCH_KEY_PREFIX", d.key_prefix),
            max_message_bytes=_env_int("JOBMATCH_MAX_MESSAGE_BYTES", d.max_message_bytes),
            app_id=_env("JOBMATCH_APP_ID", d.app_id),
            web_host=_env("JOBMATCH_WEB_HOST", d.web_host),
            web_port=_env_int("JOBMATCH_WEB_PORT", d.web_port),
            data_dir=Path(_env("JOBMATCH_DATA_DIR", str(d.data_dir))),
            seeker_list_size=_env_int("JOBMATCH_SEEKER_LIST_SIZE", d.seeker_list_size),
            posting_list_size=_env_int("JOBMATCH_POSTING_LIST_SIZE", d.posting_list_size),
            max_per_employer=_env_int("JOBMATCH_MAX_PER_EMPLOYER", d.max_per_employer),
            sweep_horizon_seconds=_env_float(
                "JOBMATCH_SWEEP_HORIZON_SECONDS", d.sweep_horizon_seconds
            ),
            seeker_ttl_seconds=_env_int("JOBMATCH_SEEKER_TTL_SECONDS", d.seeker_ttl_seconds),
            snapshot_every_examples=_env_int(
                "JOBMATCH_SNAPSHOT_EVERY_EXAMPLES", d.snapshot_every_examples
            ),
            snapshot_interval_seconds=_env_float(
                "JOBMATCH_SNAPSHOT_INTERVAL_SECONDS", d.snapshot_interval_seconds
            ),
            snapshot_min_interval_seconds=_env_float(
                "JOBMATCH_SNAPSHOT_MIN_INTERVAL_SECONDS", d.snapshot_min_interval_seconds
            ),
        )

    def topic(self, name: str) -> str:
        """Full topic name: ``topic("postings")`` -> ``"jobmatch.postings"``."""
        return f"{self.topic_prefix}.{name}"

    def redis_url_for(self, user: str, password: str) -> str:
        """``redis_url`` with the ACL user and password filled in."""
        parts = urlsplit(self.redis_url)
        host = parts.hostname or "127.0.0.1"
        netloc = f"{user}:{password}@{host}:{parts.port or 6379}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    def describe(self) -> list[tuple[str, object]]:
        """(field, value) pairs with passwords masked, for ``jobmatch config``."""
        out: list[tuple[str, object]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            out.append((f.name, "***" if "password" in f.name else value))
        return out
