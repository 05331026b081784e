"""``jobmatch demo``: the whole system on this machine, with a live summary.

Starts one worker, the reference portal and (when installed) Prometheus, then the
closed-loop market simulator, and prints a summary every few seconds until Ctrl-C: events/s,
freshness, lists written, model version and AUC, the recommendation funnel, coverage.
Kafka and Redis must be up (``make demo`` runs ``make up`` first).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from client.metrics_reader import Scrape, delta, quantile
from settings import Settings
from streams.kafka_admin import KafkaUnreachable, TopicMismatch, ensure_topics

ROOT = Path(__file__).resolve().parents[2]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "demo",
        help="run worker + portal + simulator with a live summary (Ctrl-C stops)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--rate", type=float, default=200, help="simulated events/s (default 200)")
    p.add_argument("--seekers", type=int, default=5000, help="simulated seekers (default 5000)")
    p.add_argument(
        "--postings", type=int, default=2000, help="open postings at start (default 2000)"
    )
    p.add_argument("--portal-port", type=int, default=8080, help="portal port (default 8080)")
    p.add_argument("--every", type=float, default=3.0, help="seconds between summaries (default 3)")
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: Ctrl-C)")
    p.add_argument("--no-prometheus", action="store_true", help="do not start Prometheus")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        ensure_topics(settings)
    except (KafkaUnreachable, TopicMismatch) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    logs = ROOT / ".run" / "demo"
    logs.mkdir(parents=True, exist_ok=True)
    jobmatch = [sys.executable, "-m", "cli"]
    children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def spawn(name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=os.environ.copy()
        )
        children.append((name, proc))
        return proc

    metrics_url = f"http://127.0.0.1:{settings.web_port}/metrics"
    # `kill <demo>` stops the children too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(f"starting worker (log {logs / 'worker.log'}) ...", file=sys.stderr)
        spawn("worker", [*jobmatch, "worker"])
        _wait_ready(settings.web_port, children)
        spawn("portal", [*jobmatch, "portal", "--port", str(args.portal_port)])
        prometheus = None if args.no_prometheus else _start_prometheus(settings)
        spawn(
            "simulator",
            [*jobmatch, "simulate", "--rate", str(args.rate), "--seekers", str(args.seekers),
             "--postings", str(args.postings)],
        )  # fmt: skip
        print(
            f"\n  portal      http://127.0.0.1:{args.portal_port}/\n"
            f"  metrics     {metrics_url}\n"
            + (f"  prometheus  {prometheus}\n" if prometheus else "")
            + f"  logs        {logs}/\n"
            "  try         jobmatch recs S000001\n\nCtrl-C stops the demo.\n",
            file=sys.stderr,
        )
        _summarise(metrics_url, args.every, args.duration, children)
    except KeyboardInterrupt:
        pass
    finally:
        for _, proc in reversed(children):
            if proc.poll() is None:
                # SIGTERM, not SIGINT: a shell starts background jobs with SIGINT ignored.
                proc.send_signal(signal.SIGTERM)
        for _, proc in reversed(children):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print("demo stopped; Kafka and Redis keep running (`make down` stops them)", file=sys.stderr)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wait_ready(port: int, children: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for name, proc in children:
            if proc.poll() is not None:
                raise SystemExit(
                    f"error: the {name} exited ({proc.returncode}); see .run/demo/{name}.log"
                )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if orjson.loads(r.read()).get("ready"):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise SystemExit(
        "error: the worker did not become ready within 120 s; see .run/demo/worker.log"
    )


def _start_prometheus(settings: Settings) -> str | None:
    if shutil.which("prometheus") is None:
        return None
    script = ROOT / "deploy" / "prometheus" / "start.sh"
    env = {**os.environ, "JOBMATCH_WEB_PORT": str(settings.web_port)}
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"warning: Prometheus did not start: {done.stderr.strip()}", file=sys.stderr)
        return None
    return f"http://127.0.0.1:{os.environ.get('JOBMATCH_PROMETHEUS_PORT', '9090')}/"


def _summarise(
    url: str,
    every: float,
    duration: float | None,
    children: list[tuple[str, subprocess.Popen[bytes]]],
) -> None:
    started = time.monotonic()
    previous = Scrape.fetch(url)
    redraw = sys.stdout.isatty()  # on a terminal, overwrite the previous summary
    drawn = 0
    while duration is None or time.monotonic() - started < duration:
        time.sleep(every)
        for name, proc in children:
            if proc.poll() is not None:
                print(
                    f"the {name} exited ({proc.returncode}); see .run/demo/{name}.log",
                    file=sys.stderr,
                )
                return
        try:
            current = Scrape.fetch(url)
        except OSError as exc:  # a busy worker may answer late: say so, keep going
            print(f"(metrics not available this time: {exc})", file=sys.stderr)
            drawn = 0
            continue
        lines = summary_lines(previous, current, every)
        if redraw and drawn:
            sys.stdout.write(f"\x1b[{drawn}A\x1b[J")
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        drawn = len(lines)
        previous = current


def summary_lines(previous: Scrape, current: Scrape, seconds: float) -> list[str]:
    """The demo's summary of the interval between two scrapes."""

    def rate(name: str, **labels: str) -> float:
        return (current.total(name, **labels) - previous.total(name, **labels)) / seconds

    fresh = delta(
        current.buckets("jobmatch_freshness_seconds"),
        previous.buckets("jobmatch_freshness_seconds"),
    )
    p50, p99 = quantile(0.5, fresh), quantile(0.99, fresh)
    funnel = [int(current.total("jobmatch_interactions_total", source="reco", action=a))
              for a in ("impression", "click", "apply", "hire")]  # fmt: skip
    return [
        f"events/s {rate('jobmatch_events_total'):8.0f}   "
        f"freshness p50 {_ms(p50)} p99 {_ms(p99)}   "
        f"lists written/s {rate('jobmatch_list_refreshes_total'):7.0f}   "
        f"dlq {int(current.total('jobmatch_dlq_writes_total'))}",
        f"model v{int(current.total('jobmatch_model_version'))}  "
        f"auc {current.total('jobmatch_model_auc'):.3f}   "
        f"reco funnel impressions {funnel[0]} → clicks {funnel[1]} → applies {funnel[2]} "
        f"→ hires {funnel[3]}   "
        f"coverage {current.total('jobmatch_coverage_ratio'):.0%}  "
        f"exposure {current.total('jobmatch_exposure_ratio'):.0%}",
    ]


def _ms(seconds: float | None) -> str:
    return "    -" if seconds is None else f"{seconds * 1000:5.0f} ms"
