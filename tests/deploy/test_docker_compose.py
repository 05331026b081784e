"""deploy/docker-compose.yml, which cannot run here (no Docker engine): its structure, the
files it mounts and builds from, and its Redis entrypoint run against Debian's redis-server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.deploy.prometheus_server import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_PATH = DEPLOY / "docker-compose.yml"
CONFIG_SOURCE = (ROOT / "settings" / "environment.py").read_text()


def redis_as(port: int, user: str | None, password: str | None) -> redis.Redis:
    # No retries: redis-py would otherwise retry a refused login with backoff for seconds.
    return redis.Redis(port=port, username=user, password=password, retry=Retry(NoBackoff(), 0))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_PATH.read_text())
    return data


def test_compose_is_marked_untested() -> None:
    assert "UNTESTED" in COMPOSE_PATH.read_text()


def test_compose_runs_the_whole_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"kafka", "redis", "prometheus", "grafana", "worker"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:4.1")
    # KRaft: one process is broker and controller; no ZooKeeper anywhere.
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "zookeeper" not in COMPOSE_PATH.read_text().lower()
    assert services["redis"]["image"].startswith("redis:7")
    assert services["worker"]["command"] == ["jobmatch", "worker"]
    assert "${JOBMATCH_WORKERS" in str(services["worker"]["deploy"]["replicas"])


def test_workers_reach_kafka_and_redis_by_service_name(compose: dict[str, Any]) -> None:
    services = compose["services"]
    env = services["worker"]["environment"]
    advertised = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert env["JOBMATCH_KAFKA_BOOTSTRAP"] in advertised.replace("INTERNAL://", "")
    assert env["JOBMATCH_REDIS_URL"].startswith("redis://redis:6379")


def test_every_jobmatch_variable_is_one_the_settings_read(compose: dict[str, Any]) -> None:
    names = {
        name
        for service in compose["services"].values()
        for name in (service.get("environment") or {})
        if name.startswith("JOBMATCH_")
    }
    assert names
    # The Redis entrypoint reads the passwords itself (the admin password only there);
    # everything else goes to Settings.
    entrypoint = (DEPLOY / "docker" / "redis-entrypoint.sh").read_text()
    read_there = set(re.findall(r"\$\{?(JOBMATCH_[A-Z_]+)", entrypoint))
    assert "JOBMATCH_REDIS_ADMIN_PASSWORD" in read_there
    assert {n for n in names - read_there if f'"{n}"' not in CONFIG_SOURCE} == set()


def test_mounted_and_built_files_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            dockerfile = context / service["build"]["dockerfile"]
            assert dockerfile.exists(), f"{name} builds from missing {dockerfile}"
            for line in dockerfile.read_text().splitlines():
                if line.startswith("COPY "):
                    for source in line.split()[1:-1]:
                        assert (context / source).exists(), f"{dockerfile.name}: COPY {source}"


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    mounts = dict(volume.split(":")[:2] for volume in grafana["volumes"])
    dashboard_target = mounts["./grafana/jobmatch-dashboard.json"]
    provisioning = DEPLOY / "grafana" / "provisioning"
    providers = yaml.safe_load((provisioning / "dashboards" / "jobmatch.yml").read_text())
    assert providers["providers"][0]["options"]["path"] == str(Path(dashboard_target).parent)
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    source = sources["datasources"][0]
    assert source["type"] == "prometheus" and source["isDefault"]
    assert source["url"] == "http://prometheus:9090"
    prometheus_mounts = compose["services"]["prometheus"]["volumes"]
    config_mount = "./prometheus/prometheus-compose.yml:/etc/prometheus/prometheus.yml:ro"
    assert config_mount in prometheus_mounts


# --- the Redis entrypoint, run for real -------------------------------------------------


@pytest.fixture
def compose_redis(tmp_path: Path) -> Iterator[int]:
    """deploy/docker/redis-entrypoint.sh with the repository's config, on a free port.

    A stub `docker-entrypoint.sh` stands in for the image's: it runs redis-server with the
    entrypoint's arguments plus a test port on loopback (later arguments win).
    """
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is not installed: run `make setup`"
    port = free_port()
    stub_dir = tmp_path / "bin"
    stub_dir.mkdir()
    stub = stub_dir / "docker-entrypoint.sh"
    stub.write_text(f'#!/bin/sh\nexec "$@" --port {port} --bind 127.0.0.1 --appendonly no\n')
    stub.chmod(0o755)
    data = tmp_path / "data"
    data.mkdir()
    env = {
        **os.environ,
        "PATH": f"{stub_dir}:{os.environ['PATH']}",
        "JOBMATCH_REDIS_CONF_DIR": str(DEPLOY / "redis"),
        "JOBMATCH_REDIS_DATA_DIR": str(data),
        "JOBMATCH_REDIS_WORKER_PASSWORD": "compose-worker",
        "JOBMATCH_REDIS_PORTAL_PASSWORD": "compose-portal",
        "JOBMATCH_REDIS_ADMIN_PASSWORD": "compose-admin",
    }
    process = subprocess.Popen(
        ["/bin/sh", str(DEPLOY / "docker" / "redis-entrypoint.sh")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        client = redis_as(port, "jobmatch-worker", "compose-worker")
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "Redis did not answer within 20 s"
                time.sleep(0.05)
        client.close()
        # The rendered ACL file holds hashes, never the passwords.
        acl = (data / "users.acl").read_text()
        assert (
            "compose-worker" not in acl
            and "compose-admin" not in acl
            and re.search(r"#[0-9a-f]{64}", acl)
        )
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_redis_entrypoint_creates_the_jobmatch_acl_users(compose_redis: int) -> None:
    def connect(user: str | None, password: str | None) -> redis.Redis:
        return redis_as(compose_redis, user, password)

    worker = connect("jobmatch-worker", "compose-worker")
    worker.set("jobmatch:compose-test", "1")
    with pytest.raises(redis.exceptions.NoPermissionError):
        worker.set("other:key", "1")

    portal = connect("jobmatch-portal", "compose-portal")
    assert portal.get("jobmatch:compose-test") == b"1"
    with pytest.raises(redis.exceptions.NoPermissionError):
        portal.set("jobmatch:compose-test", "2")

    with pytest.raises(redis.exceptions.AuthenticationError):
        connect("jobmatch-worker", "dev-worker-secret").ping()
    # The default user is off: without credentials nothing is allowed.
    with pytest.raises((redis.exceptions.AuthenticationError, redis.exceptions.ResponseError)):
        connect(None, None).get("jobmatch:compose-test")
    for client in (worker, portal):
        client.close()
