"""Secured-transport settings: validation, the translation for each Kafka client library,
the CA file of a rediss:// URL, and masking. No services needed (the servers are tested in
tests/platform/test_secured_transports.py)."""

from __future__ import annotations

import dataclasses
import ssl
from pathlib import Path
from typing import Any

import faust
import pytest
import redis
import redis.asyncio as aioredis

from bench.harness import free_port
from client import producer
from portal.redis_reader import PortalReader, RedisUnavailable
from settings import Settings
from streams import kafka_admin
from streams.app import create_app
from streams.kafka_security import aiokafka_kwargs, faust_credentials, kafka_python_kwargs
from streams.topic_tail import TopicTail

SECRET = "s3cret-kafka-pw"


@pytest.fixture(autouse=True)
def _no_security_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A suite run against secured services must not change what these tests see.
    for name in (
        "JOBMATCH_KAFKA_SECURITY_PROTOCOL",
        "JOBMATCH_KAFKA_SASL_MECHANISM",
        "JOBMATCH_KAFKA_SASL_USERNAME",
        "JOBMATCH_KAFKA_SASL_PASSWORD",
        "JOBMATCH_KAFKA_SSL_CAFILE",
        "JOBMATCH_REDIS_URL",
        "JOBMATCH_REDIS_TLS_CAFILE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cafile(tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    path.write_text("")  # only its existence is checked before a connection
    return str(path)


def sasl_ssl(cafile: str, **changes: Any) -> Settings:
    return dataclasses.replace(
        Settings(),
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="jobmatch",
        kafka_sasl_password=SECRET,
        kafka_ssl_cafile=cafile,
        **changes,
    )


def _no_context(cafile: str | None = None) -> ssl.SSLContext:
    # An empty CA file cannot be loaded; the kwargs are what is under test.
    context = ssl.create_default_context()
    context.cafile_for_test = cafile  # type: ignore[attr-defined]
    return context


@pytest.fixture
def fake_ssl_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aiokafka.helpers.create_ssl_context", _no_context)


# ------------------------------------------------------------------ the default stays as it was
def test_plaintext_adds_nothing_to_any_client() -> None:
    settings = Settings()
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert kafka_python_kwargs(settings) == {}
    assert aiokafka_kwargs(settings) == {}
    assert faust_credentials(settings) is None
    assert create_app(settings).conf.broker_credentials is None


def test_the_default_redis_url_is_unchanged() -> None:
    url = Settings().redis_url_for("jobmatch-worker", "dev-worker-secret")
    assert url == "redis://jobmatch-worker:dev-worker-secret@127.0.0.1:6379/0"


# ------------------------------------------------------------------ the environment
def test_the_environment_sets_sasl_ssl(monkeypatch: pytest.MonkeyPatch, cafile: str) -> None:
    monkeypatch.setenv("JOBMATCH_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
    monkeypatch.setenv("JOBMATCH_KAFKA_SASL_MECHANISM", "scram-sha-256")
    monkeypatch.setenv("JOBMATCH_KAFKA_SASL_USERNAME", "svc")
    monkeypatch.setenv("JOBMATCH_KAFKA_SASL_PASSWORD", SECRET)
    monkeypatch.setenv("JOBMATCH_KAFKA_SSL_CAFILE", cafile)
    monkeypatch.setenv("JOBMATCH_REDIS_URL", "rediss://10.0.0.5:6380/0")
    monkeypatch.setenv("JOBMATCH_REDIS_TLS_CAFILE", cafile)
    s = Settings.from_env()
    assert (s.kafka_security_protocol, s.kafka_sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-256")
    assert (s.kafka_sasl_username, s.kafka_sasl_password, s.kafka_ssl_cafile) == (
        "svc",
        SECRET,
        cafile,
    )
    assert (s.redis_url, s.redis_tls_cafile) == ("rediss://10.0.0.5:6380/0", cafile)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JOBMATCH_KAFKA_SECURITY_PROTOCOL": "TLS"}, "JOBMATCH_KAFKA_SECURITY_PROTOCOL"),
        # a login without TLS is not offered
        ({"JOBMATCH_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "expected one of"),
        (
            {
                "JOBMATCH_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "JOBMATCH_KAFKA_SASL_MECHANISM": "MD5",
            },
            "JOBMATCH_KAFKA_SASL_MECHANISM",
        ),
        (
            {"JOBMATCH_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "JOBMATCH_KAFKA_SASL_PASSWORD": ""},
            "JOBMATCH_KAFKA_SASL_PASSWORD must not be empty",
        ),
        # a CA file means TLS was meant: never fall back to the clear
        ({"JOBMATCH_KAFKA_SSL_CAFILE": "/etc/ca.pem"}, "PLAINTEXT"),
        ({"JOBMATCH_REDIS_TLS_CAFILE": "/etc/ca.pem"}, "rediss://"),
    ],
)
def test_inconsistent_settings_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        Settings.from_env()


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    settings = sasl_ssl(str(tmp_path / "missing.pem"))
    with pytest.raises(ValueError, match="JOBMATCH_KAFKA_SSL_CAFILE: no such file"):
        kafka_python_kwargs(settings)
    with pytest.raises(ValueError, match="JOBMATCH_KAFKA_SSL_CAFILE"):
        aiokafka_kwargs(settings)


# ------------------------------------------------------------------ each client library
def test_kafka_python_gets_sasl_ssl_with_the_ca_file(cafile: str) -> None:
    assert kafka_python_kwargs(sasl_ssl(cafile)) == {
        "security_protocol": "SASL_SSL",
        "ssl_cafile": cafile,
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "jobmatch",
        "sasl_plain_password": SECRET,
    }


def test_ssl_alone_has_no_login_and_an_empty_ca_file_means_the_system_cas() -> None:
    settings = dataclasses.replace(Settings(), kafka_security_protocol="SSL")
    assert kafka_python_kwargs(settings) == {"security_protocol": "SSL"}
    kwargs = aiokafka_kwargs(settings)
    assert set(kwargs) == {"security_protocol", "ssl_context"}
    credentials = faust_credentials(settings)
    assert isinstance(credentials, faust.SSLCredentials)


def test_aiokafka_gets_a_verifying_context() -> None:
    # With the system's CAs (no file), so that a real context is built.
    settings = dataclasses.replace(
        Settings(), kafka_security_protocol="SASL_SSL", kafka_sasl_password=SECRET
    )
    kwargs = aiokafka_kwargs(settings)
    context = kwargs.pop("ssl_context")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert kwargs == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "jobmatch",
        "sasl_plain_password": SECRET,
    }


@pytest.mark.usefixtures("fake_ssl_context")
def test_faust_gets_sasl_ssl_credentials(cafile: str) -> None:
    settings = sasl_ssl(cafile)
    credentials = faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert (credentials.username, credentials.password) == ("jobmatch", SECRET)
    assert credentials.ssl_context.cafile_for_test == cafile  # type: ignore[union-attr]
    assert SECRET not in repr(credentials)
    assert isinstance(create_app(settings).conf.broker_credentials, faust.SASLCredentials)


@pytest.mark.usefixtures("fake_ssl_context")
def test_every_kafka_client_is_built_with_the_settings(
    monkeypatch: pytest.MonkeyPatch, cafile: str
) -> None:
    settings = sasl_ssl(cafile)
    built: dict[str, dict[str, Any]] = {}

    class Fake:
        def __init__(self, name: str) -> None:
            self.name = name

        def __call__(self, **kwargs: Any) -> object:
            built[self.name] = kwargs
            raise RuntimeError("stop here")

    monkeypatch.setattr(kafka_admin, "KafkaAdminClient", Fake("admin"))
    monkeypatch.setattr(producer, "KafkaProducer", Fake("producer"))
    with pytest.raises(RuntimeError, match="stop here"):
        kafka_admin.connect_admin(settings)
    with pytest.raises(RuntimeError, match="stop here"):
        producer.EventProducer(settings)
    expected = kafka_python_kwargs(settings)
    for name in ("admin", "producer"):
        assert {k: built[name][k] for k in expected} == expected, name
    # The producer's own settings still apply (acks, idempotence); overrides still win.
    assert built["producer"]["acks"] == "all"

    async def ignore(records: list[Any], live: bool) -> None:
        pass

    tail = TopicTail("t", "127.0.0.1:9092", ignore, client_options=aiokafka_kwargs(settings))
    assert tail._client_options["sasl_plain_password"] == SECRET


def test_plaintext_clients_get_exactly_the_old_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict[str, Any] = {}

    def fake(**kwargs: Any) -> object:
        built.update(kwargs)
        raise RuntimeError("stop here")

    monkeypatch.setattr(producer, "KafkaProducer", fake)
    with pytest.raises(RuntimeError):
        producer.EventProducer(Settings())
    assert not any(k.startswith(("security", "sasl", "ssl")) for k in built)


def test_an_unreachable_secured_broker_says_what_to_check(cafile: str) -> None:
    message = kafka_admin.unreachable_message("127.0.0.1:29092", "SASL_SSL")
    assert "JOBMATCH_KAFKA_SASL_PASSWORD" in message
    assert "JOBMATCH_KAFKA_SSL_CAFILE" in message
    assert "SASL" not in kafka_admin.unreachable_message("127.0.0.1:9092")


# ------------------------------------------------------------------ Redis over TLS
def test_a_rediss_url_carries_the_ca_file_to_every_client(cafile: str) -> None:
    settings = dataclasses.replace(
        Settings(), redis_url="rediss://10.0.0.5:6380/0?socket_timeout=3", redis_tls_cafile=cafile
    )
    url = settings.redis_url_for("jobmatch-portal", "p@ss:w/rd")
    for client in (redis.Redis.from_url(url), aioredis.Redis.from_url(url)):
        pool = client.connection_pool
        assert pool.connection_class.__name__ == "SSLConnection"
        assert pool.connection_kwargs["ssl_ca_certs"] == cafile
        assert pool.connection_kwargs["socket_timeout"] == 3.0  # the URL's own query stays
        assert pool.connection_kwargs["password"] == "p@ss:w/rd"  # quoted, then unquoted
        assert pool.connection_kwargs["username"] == "jobmatch-portal"


def test_a_rediss_url_without_a_ca_file_uses_the_system_cas() -> None:
    settings = dataclasses.replace(Settings(), redis_url="rediss://10.0.0.5:6380/0")
    url = settings.redis_url_for("jobmatch-worker", "pw")
    assert "ssl_ca_certs" not in url
    assert redis.Redis.from_url(url).connection_pool.connection_class.__name__ == "SSLConnection"


# ------------------------------------------------------------------ masking
def test_secrets_are_masked_wherever_settings_are_printed(cafile: str) -> None:
    settings = sasl_ssl(
        cafile,
        redis_url="rediss://someone:url-secret@10.0.0.5:6380/0",
        redis_tls_cafile=cafile,
        redis_worker_password="redis-worker-pw",
        redis_portal_password="redis-portal-pw",
    )
    described = dict(settings.describe())
    assert described["kafka_sasl_password"] == "***"
    assert described["redis_worker_password"] == "***"
    assert described["redis_portal_password"] == "***"
    assert described["redis_url"] == "rediss://someone:***@10.0.0.5:6380/0"
    assert described["kafka_sasl_username"] == "jobmatch"  # names are not secrets
    assert described["kafka_ssl_cafile"] == cafile
    for text in (repr(settings), str(settings), f"{settings}", str(described)):
        for secret in (SECRET, "url-secret", "redis-worker-pw", "redis-portal-pw"):
            assert secret not in text


async def test_the_portal_names_the_ca_file_when_tls_redis_is_unreachable(cafile: str) -> None:
    port = free_port()  # nothing listens there
    settings = dataclasses.replace(
        Settings(), redis_url=f"rediss://127.0.0.1:{port}/0", redis_tls_cafile=cafile
    )
    reader = PortalReader.connect(settings)
    try:
        with pytest.raises(RedisUnavailable, match="JOBMATCH_REDIS_TLS_CAFILE"):
            await reader.ping()
    finally:
        await reader.aclose()
