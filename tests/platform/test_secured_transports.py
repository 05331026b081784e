"""Secured transports: Kafka over SASL_SSL with SCRAM-SHA-512, Redis over TLS.

The module starts a broker of its own with deploy/kafka-secure/start.sh and a TLS-only Redis
with deploy/redis-tls/start.sh, under a run dir of its own and with passwords made up here,
and stops both at the end. It checks that the servers refuse what they must (PLAINTEXT, a
wrong password, a client without TLS), that a real ``jobmatch worker`` configured through
its environment alone turns events into a list over the secured transports, and that no
password shows in the worker's log, ``/metrics`` or ``/health``.

Nothing here skips: without java, keytool, openssl or redis-server the start scripts fail
and so does the module, with the script's message. Ports come from
JOBMATCH_KAFKA_SECURE_PORT, JOBMATCH_KAFKA_SECURE_CONTROLLER_PORT and JOBMATCH_REDIS_TLS_PORT
when set, else free ones; the run dir is $JOBMATCH_RUN_DIR/test-secured-transports when
JOBMATCH_RUN_DIR is set, else a pytest temporary directory.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import shutil
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bench.harness import free_port, wait_for
from bench.worker import JOBMATCH, WorkerProcess, worker_env
from client.producer import EventProducer
from portal.redis_reader import PortalReader
from settings import Settings
from streams.kafka_admin import KafkaUnreachable, connect_admin
from tests.conftest import redis_client
from tests.streams.pipeline.test_live_lists import forklift_posting, forklift_seeker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 150  # the scripts' own limits (90 s Kafka, 30 s Redis) come first


@dataclass(frozen=True)
class SecureServices:
    """The secured broker and Redis of this module, and how to reach them."""

    run_dir: Path
    settings: Settings  # SASL_SSL as the jobmatch user, rediss:// with the CA
    env: dict[str, str]  # what the start scripts got
    redis_tls_port: int

    @property
    def kafka_log(self) -> Path:
        return self.run_dir / "kafka-secure" / "kafka.log"

    def passwords(self) -> dict[str, str]:
        """Every secret of the module, by the variable that carries it."""
        return {
            name: self.env[name]
            for name in (
                "JOBMATCH_KAFKA_SASL_PASSWORD",
                "JOBMATCH_KAFKA_ADMIN_PASSWORD",
                "JOBMATCH_REDIS_WORKER_PASSWORD",
                "JOBMATCH_REDIS_PORTAL_PASSWORD",
                "JOBMATCH_REDIS_ADMIN_PASSWORD",
            )
        }


def _port(variable: str) -> int:
    return int(os.environ.get(variable) or free_port())


def _script(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "deploy" / name)],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )


def _password(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(12)}"  # recognisable in a failure, never guessable


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServices]:
    if os.environ.get("JOBMATCH_RUN_DIR"):
        run_dir = Path(os.environ["JOBMATCH_RUN_DIR"]) / "test-secured-transports"
    else:
        run_dir = tmp_path_factory.mktemp("secured-transports")
    kafka_port = _port("JOBMATCH_KAFKA_SECURE_PORT")
    controller_port = _port("JOBMATCH_KAFKA_SECURE_CONTROLLER_PORT")
    redis_port = _port("JOBMATCH_REDIS_TLS_PORT")
    env = {
        **os.environ,
        "JOBMATCH_RUN_DIR": str(run_dir),
        "JOBMATCH_KAFKA_SECURE_PORT": str(kafka_port),
        "JOBMATCH_KAFKA_SECURE_CONTROLLER_PORT": str(controller_port),
        "JOBMATCH_REDIS_TLS_PORT": str(redis_port),
        "JOBMATCH_KAFKA_ADMIN_PASSWORD": _password("kafka-admin"),
        "JOBMATCH_KAFKA_SASL_USERNAME": "jobmatch",
        "JOBMATCH_KAFKA_SASL_PASSWORD": _password("kafka-client"),
        "JOBMATCH_REDIS_WORKER_PASSWORD": _password("redis-worker"),
        "JOBMATCH_REDIS_PORTAL_PASSWORD": _password("redis-portal"),
        "JOBMATCH_REDIS_ADMIN_PASSWORD": _password("redis-admin"),
    }
    # A run of this module that was killed may have left its services behind: they are
    # this module's own (their pid files are in its run dir), so stop them and start clean.
    for service in ("kafka-secure", "redis-tls"):
        _script(f"{service}/stop.sh", env)
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)

    started: list[str] = []
    try:
        for service in ("kafka-secure", "redis-tls"):
            result = _script(f"{service}/start.sh", env)
            if result.returncode != 0:
                pytest.fail(
                    f"deploy/{service}/start.sh failed (exit {result.returncode}), so the "
                    f"secured transports cannot be tested:\n{result.stderr}",
                    pytrace=False,
                )
            started.append(service)
        tag = uuid.uuid4().hex[:10]
        ca = str(run_dir / "tls" / "ca.pem")
        settings = dataclasses.replace(
            Settings(),
            kafka_bootstrap=f"127.0.0.1:{kafka_port}",
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username=env["JOBMATCH_KAFKA_SASL_USERNAME"],
            kafka_sasl_password=env["JOBMATCH_KAFKA_SASL_PASSWORD"],
            kafka_ssl_cafile=ca,
            redis_url=f"rediss://127.0.0.1:{redis_port}/0",
            redis_tls_cafile=ca,
            redis_worker_password=env["JOBMATCH_REDIS_WORKER_PASSWORD"],
            redis_portal_password=env["JOBMATCH_REDIS_PORTAL_PASSWORD"],
            topic_prefix=f"secure-{tag}",
            app_id=f"secure-{tag}",
            key_prefix=f"jobmatch:secure-{tag}",
        )
        yield SecureServices(run_dir, settings, env, redis_port)
    finally:
        for service in reversed(started):
            _script(f"{service}/stop.sh", env)


# The settings that point a worker or the CLI at the secured services. They reach the
# processes through the environment only, as JOBMATCH_<FIELD>.
SECURITY_FIELDS = (
    "kafka_security_protocol",
    "kafka_sasl_mechanism",
    "kafka_sasl_username",
    "kafka_sasl_password",
    "kafka_ssl_cafile",
    "redis_url",
    "redis_tls_cafile",
    "redis_worker_password",
    "redis_portal_password",
)


def security_values(settings: Settings) -> dict[str, str]:
    return {name: str(getattr(settings, name)) for name in SECURITY_FIELDS}


@pytest.fixture(scope="module")
def topics_output(secure: SecureServices) -> str:
    """``jobmatch topics`` over SASL_SSL: creates the module's topics."""
    env = {**os.environ, **worker_env(secure.settings, **security_values(secure.settings))}
    result = subprocess.run(
        [str(JOBMATCH), "topics"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def worker(
    secure: SecureServices, topics_output: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    """One real worker on the secured transports, at debug level so that its log holds
    everything the client libraries say."""
    process = WorkerProcess(
        secure.settings,
        tmp_path_factory.mktemp("secure-worker"),
        loglevel="debug",
        **security_values(secure.settings),
    ).start()
    try:
        process.wait_ready(timeout=60)
        yield process
    finally:
        process.stop()


def _log_after(path: Path, offset: int) -> str:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def test_the_broker_refuses_plaintext_and_a_wrong_password(secure: SecureServices) -> None:
    settings = secure.settings
    mark = secure.kafka_log.stat().st_size
    plaintext = dataclasses.replace(
        settings, kafka_security_protocol="PLAINTEXT", kafka_ssl_cafile=""
    )
    with pytest.raises(KafkaUnreachable):
        connect_admin(plaintext, timeout_s=2.0)
    wrong = dataclasses.replace(settings, kafka_sasl_password=_password("wrong"))
    with pytest.raises(KafkaUnreachable, match="JOBMATCH_KAFKA_SASL_PASSWORD"):
        EventProducer(wrong, bootstrap_timeout_ms=2000)
    # The broker, not a timeout, said no: it logs why.
    refused = wait_for(
        lambda: (
            (log := _log_after(secure.kafka_log, mark))
            and "SSL handshake failed" in log
            and "invalid credentials with SASL mechanism SCRAM-SHA-512" in log
        ),
        timeout=10,
        what="the broker's log of both refusals",
    )
    assert refused
    # and the right user, over TLS, gets in
    admin = connect_admin(settings, timeout_s=10.0)
    try:
        assert isinstance(admin.list_topics(), list)
    finally:
        admin.close()


def test_a_client_that_does_not_trust_the_ca_does_not_connect(secure: SecureServices) -> None:
    # The broker's certificate is verified: with the system's CAs only, no connection.
    untrusting = dataclasses.replace(secure.settings, kafka_ssl_cafile="")
    with pytest.raises(KafkaUnreachable):
        connect_admin(untrusting, timeout_s=2.0)
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        redis_client(
            dataclasses.replace(secure.settings, redis_tls_cafile=""), "jobmatch-portal"
        ).ping()


def test_the_tls_redis_refuses_a_client_without_tls_and_a_wrong_password(
    secure: SecureServices,
) -> None:
    settings = secure.settings
    plain = redis.Redis(
        host="127.0.0.1",
        port=secure.redis_tls_port,
        username="jobmatch-portal",
        password=settings.redis_portal_password,
        socket_timeout=5,
        retry=Retry(NoBackoff(), 0),
    )
    with pytest.raises(redis.ConnectionError):
        plain.ping()
    plain.close()
    wrong = dataclasses.replace(settings, redis_portal_password=_password("wrong"))
    with pytest.raises(redis.AuthenticationError):
        redis_client(wrong, "jobmatch-portal").ping()
    portal = redis_client(settings, "jobmatch-portal")
    assert portal.ping()
    assert portal.connection_pool.connection_kwargs["ssl_ca_certs"] == settings.redis_tls_cafile
    portal.close()


def test_jobmatch_topics_creates_the_topics_over_sasl_ssl(
    secure: SecureServices, topics_output: str
) -> None:
    assert f"{secure.settings.topic('postings')} " in topics_output
    admin = connect_admin(secure.settings)
    try:
        assert secure.settings.topic("profiles") in admin.list_topics()
    finally:
        admin.close()


def test_a_worker_on_sasl_ssl_and_tls_turns_events_into_a_list(
    secure: SecureServices, worker: WorkerProcess
) -> None:
    settings = secure.settings
    with EventProducer(settings) as producer:
        producer.send_posting(forklift_posting("P100"))
        producer.send_profile(forklift_seeker("S42"))
        producer.flush(timeout=10)

    async def portal_list() -> list[str]:
        reader = PortalReader.connect(settings)  # the portal's own client, read-only user
        try:
            found = await reader.seeker_list("S42")
        finally:
            await reader.aclose()
        return [item.posting_id for item in found.items]

    listed = wait_for(
        lambda: asyncio.run(portal_list()), timeout=20, interval=0.2, what="S42's list"
    )
    assert listed == ["P100"]
    log = worker.log_path.read_text(errors="replace")
    # The worker's own clients logged in with SCRAM (aiokafka says so at info level).
    assert f"Authenticated as {settings.kafka_sasl_username} via SCRAM-SHA-512" in log


def test_no_password_in_the_log_metrics_or_health(
    secure: SecureServices, worker: WorkerProcess, topics_output: str
) -> None:
    worker.wait_idle(timeout=20)
    url = f"http://127.0.0.1:{worker.web_port}"
    pages = {}
    for page in ("/metrics", "/health"):
        with urllib.request.urlopen(url + page, timeout=10) as response:
            pages[page] = response.read().decode(errors="replace")
    time.sleep(0.5)  # let the log catch up with the requests
    places = {
        "the worker's log": worker.log_path.read_text(errors="replace"),
        "`jobmatch topics`": topics_output,
        **pages,
    }
    assert len(places["the worker's log"]) > 10_000, "the debug log is unexpectedly short"
    leaks = [
        f"{variable} in {where}"
        for variable, password in secure.passwords().items()
        for where, text in places.items()
        if password in text
    ]
    assert leaks == []
