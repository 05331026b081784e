"""Settings from environment variables, with the documented defaults (README.md).

Every knob of a worker, the CLI and the tools is read here once; nothing else in the code
base reads ``os.environ``. Each field's comment is its documentation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# The Redis passwords of deploy/redis/dev.env, used when the environment sets none.
DEV_WORKER_PASSWORD = "dev-worker-secret"
DEV_PORTAL_PASSWORD = "dev-portal-secret"
# The Kafka client user of deploy/kafka-secure/dev.env (used only with SASL_SSL).
DEV_KAFKA_USERNAME = "jobmatch"
DEV_KAFKA_PASSWORD = "dev-kafka-secret"

# How clients may reach Kafka. No SASL_PLAINTEXT: a login without TLS is not offered.
KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")
# What describe() and repr() show instead of a secret.
MASK = "***"


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
    # How every Kafka client connects: PLAINTEXT (no TLS, no login), SSL (TLS: the broker's
    # certificate must chain to kafka_ssl_cafile) or SASL_SSL (TLS plus a SASL login as
    # kafka_sasl_username; SCRAM-SHA-512 unless kafka_sasl_mechanism says otherwise).
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    kafka_sasl_username: str = DEV_KAFKA_USERNAME
    kafka_sasl_password: str = DEV_KAFKA_PASSWORD
    # CA certificates (PEM) for SSL and SASL_SSL; empty: the system's trusted CAs.
    kafka_ssl_cafile: str = ""
    # Topic names are "<topic_prefix>.postings" etc.; tests use their own prefix.
    topic_prefix: str = "jobmatch"
    # Partitions of postings, and of profiles + interactions (always the same count).
    posting_partitions: int = 4
    seeker_partitions: int = 4
    # Redis server; the user and password come from the fields below, not the URL.
    # rediss:// is Redis over TLS: the server's certificate must chain to redis_tls_cafile
    # (empty: the system's trusted CAs).
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_tls_cafile: str = ""
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
    # Next-best postings each seeker's list keeps in memory (never in Redis), so a closed
    # posting's place is filled at once without a re-rank.
    seeker_list_reserve: int = 12
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
            kafka_security_protocol=_env(
                "JOBMATCH_KAFKA_SECURITY_PROTOCOL", d.kafka_security_protocol
            ).upper(),
            kafka_sasl_mechanism=_env(
                "JOBMATCH_KAFKA_SASL_MECHANISM", d.kafka_sasl_mechanism
            ).upper(),
            kafka_sasl_username=_env("JOBMATCH_KAFKA_SASL_USERNAME", d.kafka_sasl_username),
            kafka_sasl_password=_env("JOBMATCH_KAFKA_SASL_PASSWORD", d.kafka_sasl_password),
            kafka_ssl_cafile=_env("JOBMATCH_KAFKA_SSL_CAFILE", d.kafka_ssl_cafile),
            topic_prefix=_env("JOBMATCH_TOPIC_PREFIX", d.topic_prefix),
            posting_partitions=_env_int("JOBMATCH_POSTING_PARTITIONS", d.posting_partitions),
            seeker_partitions=_env_int("JOBMATCH_SEEKER_PARTITIONS", d.seeker_partitions),
            redis_url=_env("JOBMATCH_REDIS_URL", d.redis_url),
            redis_tls_cafile=_env("JOBMATCH_REDIS_TLS_CAFILE", d.redis_tls_cafile),
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
            seeker_list_reserve=_env_int("JOBMATCH_SEEKER_LIST_RESERVE", d.seeker_list_reserve),
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

    def __post_init__(self) -> None:
        protocol = self.kafka_security_protocol
        if protocol not in KAFKA_SECURITY_PROTOCOLS:
            raise ValueError(
                f"JOBMATCH_KAFKA_SECURITY_PROTOCOL: expected one of "
                f"{', '.join(KAFKA_SECURITY_PROTOCOLS)}, got {protocol!r}"
            )
        if protocol == "SASL_SSL":
            if self.kafka_sasl_mechanism not in KAFKA_SASL_MECHANISMS:
                raise ValueError(
                    f"JOBMATCH_KAFKA_SASL_MECHANISM: expected one of "
                    f"{', '.join(KAFKA_SASL_MECHANISMS)}, got {self.kafka_sasl_mechanism!r}"
                )
            if not self.kafka_sasl_username or not self.kafka_sasl_password:
                raise ValueError(
                    "JOBMATCH_KAFKA_SASL_USERNAME and JOBMATCH_KAFKA_SASL_PASSWORD must not be "
                    "empty with JOBMATCH_KAFKA_SECURITY_PROTOCOL=SASL_SSL"
                )
        # A CA file says that TLS was meant: refuse to start rather than connect in the clear.
        if self.kafka_ssl_cafile and protocol == "PLAINTEXT":
            raise ValueError(
                "JOBMATCH_KAFKA_SSL_CAFILE is set but JOBMATCH_KAFKA_SECURITY_PROTOCOL is "
                "PLAINTEXT: set it to SSL or SASL_SSL (or unset the CA file)"
            )
        if self.redis_tls_cafile and urlsplit(self.redis_url).scheme != "rediss":
            raise ValueError(
                "JOBMATCH_REDIS_TLS_CAFILE is set but JOBMATCH_REDIS_URL is not a rediss:// "
                "(TLS) URL"
            )

    def topic(self, name: str) -> str:
        """Full topic name: ``topic("postings")`` -> ``"jobmatch.postings"``."""
        return f"{self.topic_prefix}.{name}"

    def redis_url_for(self, user: str, password: str) -> str:
        """``redis_url`` with the ACL user and password filled in.

        For a ``rediss://`` (TLS) URL with ``redis_tls_cafile`` set, the URL also carries
        ``ssl_ca_certs``: redis-py's ``from_url`` hands query arguments to the connection,
        so every client built from this URL verifies the server with that CA.
        """
        parts = urlsplit(self.redis_url)
        host = parts.hostname or "127.0.0.1"
        netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}:{parts.port or 6379}"
        query = parts.query
        if parts.scheme == "rediss" and self.redis_tls_cafile:
            kept = [
                (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "ssl_ca_certs"
            ]
            query = urlencode([*kept, ("ssl_ca_certs", self.redis_tls_cafile)], safe="/")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))

    def describe(self) -> list[tuple[str, object]]:
        """(field, value) pairs with every secret masked: password fields, and a password
        written into a URL. For ``jobmatch config``, logs and ``repr``."""
        out: list[tuple[str, object]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if _is_secret(f.name):
                value = MASK
            elif isinstance(value, str) and "://" in value:
                value = _mask_url(value)
            out.append((f.name, value))
        return out

    def __repr__(self) -> str:
        # The dataclass repr would print the passwords: a Settings in a log or a traceback
        # must not.
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in self.describe())})"


def _is_secret(name: str) -> bool:
    return any(word in name for word in ("password", "secret", "token"))


def _mask_url(url: str) -> str:
    """``redis://u:pw@host:6379/0`` -> ``redis://u:***@host:6379/0``; others unchanged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit((parts.scheme, f"{user}:{MASK}@{hostinfo}", *parts[2:]))
