"""`make bench`: the site under load, against nginx serving a static copy, in the same run.

Run by hand, never in the test suite. For each database (BENCH_DATABASES, default
"postgresql,sqlite"; PostgreSQL is a throwaway server unless DATABASE_URL names one) it:

1. sets up the production configuration with fresh secrets, a private Redis and the demo
   content, and serves it with `bin/serve` (gunicorn gthread + task worker) on 127.0.0.1;
2. starts nginx (`bin/nginx-front`) with two servers: the deployment's reverse proxy with its
   one-second micro-cache (docs/operations.md) in front of gunicorn, and a static snapshot of
   the lupus article;
3. drives each scenario with wrk (BENCH_SECONDS, default 10 s, 32 connections), alternating
   with the static snapshot, three rounds, and reports req/s, p50, p99 and the share of nginx's
   req/s measured in the same round: the article through the deployment (nginx micro-cache),
   the article from gunicorn directly (Django's page cache), the article uncached (a second
   gunicorn with the page cache off), the home and outcomes pages through the deployment;
4. times single renders in-process with the page cache off (median, p95, queries; the
   remembered parts are warm: bench/render.py also times the render right after a
   publish), reads the gunicorn workers' RSS after the load, and runs the application submit
   benchmark: closed-loop
   clients (1, 8, 32) each filling an application (untimed) then timing the final submit
   (validation, encryption, commit, task enqueued).

Writes bench/results/site-<db>.json and prints a markdown table.
"""

from __future__ import annotations

import collections
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ARTICLE = "/articles/can-stem-cells-help-lupus/"
CLIENTS = [int(n) for n in os.environ.get("BENCH_CLIENTS", "1,8,32").split(",")]
SUBMITS_PER_CLIENT = int(os.environ.get("BENCH_SUBMITS", "12"))

RENDER = """
import statistics, time
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
settings.PAGE_CACHE_SECONDS = 0
client = Client(HTTP_HOST="127.0.0.1")
out = {}
for url in ["/articles/can-stem-cells-help-lupus/", "/", "/outcomes/", "/stories/amaras-story/"]:
    assert client.get(url, secure=True).status_code == 200, url
    runs = []
    for _ in range(60):
        start = time.perf_counter()
        client.get(url, secure=True)
        runs.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, secure=True)
    out[url] = {"median_ms": round(statistics.median(runs), 1),
                "p95_ms": round(statistics.quantiles(runs, n=20)[18], 1),
                "queries": len(queries)}
import json; print("RESULT " + json.dumps(out))
"""


def free_port() -> int:
    """A free port below the ephemeral range, which wrk's TIME-WAIT sockets fill up."""
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def wrk(url: str) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{SECONDS}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def latency(label: str) -> float:
        match = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)\b", out)
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": round(latency("50"), 2),
        "p99_ms": round(latency("99"), 2),
        "errors": int(errors.group(1)) if errors else 0,
    }


def worker_rss_mb(master_pid: int) -> list[float]:
    out = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True)
    sizes = []
    for pid in out.stdout.split():
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(round(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024, 1))
    return sizes


def submit_benchmark(port: int, clients: int) -> dict:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def applicant(n: int) -> None:
        for i in range(SUBMITS_PER_CLIENT):
            client = load.Client("127.0.0.1", port)
            try:
                load.fill_application(client, f"bench-{clients}-{n}-{i}@example.org")
                start = time.perf_counter()
                status, _, _ = client.request("POST", "/apply/review/", {})
                elapsed = (time.perf_counter() - start) * 1000
                if status != 302:
                    raise RuntimeError(f"submit answered {status}")
                with lock:
                    latencies.append(elapsed)
            except Exception as exc:
                with lock:
                    failures.append(repr(exc))
            finally:
                client.close()

    threads = [threading.Thread(target=applicant, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reasons = collections.Counter(failures).most_common(3)  # what failed, for the write-up
    return {
        "clients": clients,
        **load.percentiles(latencies),
        "failures": len(failures),
        "failure_reasons": [f"{count}× {reason}" for reason, count in reasons],
    }


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def run(engine: str) -> dict:
    var = Path(tempfile.mkdtemp(prefix=f"clinicsite-bench-site-{engine}-"))
    pg_dir = None
    if engine == "postgresql":
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgres"):
            # a directory of its own: the server runs as postgres, who cannot enter ``var``
            pg_dir = Path(tempfile.mkdtemp(prefix="clinicsite-bench-pg-"))
            url = subprocess.run(
                [str(ROOT / "bin" / "throwaway-postgres"), "start", str(pg_dir),
                 str(free_port()), "--durable"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()  # fmt: skip
    else:
        url = f"sqlite:///{var / 'bench.sqlite3'}"
    app_port, plain_port, static_port, proxy_port = (free_port() for _ in range(4))
    import secrets

    from cryptography.fernet import Fernet

    redis_dir = var / "redis"  # production's shared cache: a private redis-server
    redis_url = subprocess.run(
        [str(ROOT / "bin" / "throwaway-redis"), "start", str(redis_dir), str(free_port())],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinicsite.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "REDIS_URL": redis_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": url,
        "VAR_DIR": str(var),
        "MEDIA_ROOT": str(var / "media"),
        "PRIVATE_MEDIA_ROOT": str(var / "private"),
        "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{proxy_port}",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
        "APPLICATION_RATE_LIMIT": "1000000",
        "PY": sys.executable,
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "load_demo", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    render = subprocess.run(
        [*manage, "shell", "-c", RENDER], cwd=ROOT, env=env, check=True,
        stdout=subprocess.PIPE, text=True,
    ).stdout  # fmt: skip
    renders = json.loads(render.split("RESULT ", 1)[1])

    server = start([str(ROOT / "bin" / "serve")], {**env, "PORT": str(app_port)}, var / "serve.log")
    plain = start(
        [str(Path(sys.executable).parent / "gunicorn"), "clinicsite.wsgi:application",
         "--bind", f"127.0.0.1:{plain_port}", "--worker-class", "gthread", "--workers", "2",
         "--threads", "4", "--log-level", "warning"],
        {**env, "PAGE_CACHE_SECONDS": "0"}, var / "plain.log",
    )  # fmt: skip
    (var / "www").mkdir()
    nginx = None
    try:
        wait_for(f"http://127.0.0.1:{app_port}/healthz")
        wait_for(f"http://127.0.0.1:{plain_port}/healthz")
        with urllib.request.urlopen(f"http://127.0.0.1:{app_port}{ARTICLE}") as response:
            (var / "www" / "article.html").write_bytes(response.read())
        nginx = start(
            [str(ROOT / "bin" / "nginx-front"), str(var / "nginx"), str(proxy_port),
             str(app_port), env["MEDIA_ROOT"], str(static_port), str(var / "www")],
            env, var / "nginx.log",
        )  # fmt: skip
        wait_for(f"http://127.0.0.1:{static_port}/article.html")
        wait_for(f"http://127.0.0.1:{proxy_port}{ARTICLE}")
        scenarios = {
            "article, deployment (nginx micro-cache → gunicorn)": f"{proxy_port}{ARTICLE}",
            "article, gunicorn direct (Django page cache)": f"{app_port}{ARTICLE}",
            "article, uncached (page cache off)": f"{plain_port}{ARTICLE}",
            "home, deployment": f"{proxy_port}/",
            "outcomes, deployment": f"{proxy_port}/outcomes/",
        }
        rounds: dict[str, list[dict]] = {name: [] for name in scenarios}
        for _ in range(ROUNDS):
            for name, target in scenarios.items():
                measured = wrk(f"http://127.0.0.1:{target}")
                static = wrk(f"http://127.0.0.1:{static_port}/article.html")
                measured["nginx_static_rps"] = static["rps"]
                measured["share_of_nginx"] = round(measured["rps"] / static["rps"], 4)
                rounds[name].append(measured)
        master = int(
            subprocess.run(["pgrep", "-f", f"gunicorn.*127.0.0.1:{app_port}", "-o"],
                           capture_output=True, text=True).stdout.split()[0]
        )  # fmt: skip
        rss = worker_rss_mb(master)
        submits = [submit_benchmark(app_port, n) for n in CLIENTS]
    finally:
        for process in (nginx, plain, server):
            if process is not None:
                stop(process)
        if pg_dir is not None:
            subprocess.run([str(ROOT / "bin" / "throwaway-postgres"), "stop", str(pg_dir)])
        subprocess.run([str(ROOT / "bin" / "throwaway-redis"), "stop", str(redis_dir)])
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)

    def summary(runs: list[dict]) -> dict:
        return {
            "rps_median": round(statistics.median(r["rps"] for r in runs), 1),
            "p50_ms_median": round(statistics.median(r["p50_ms"] for r in runs), 2),
            "p99_ms_median": round(statistics.median(r["p99_ms"] for r in runs), 2),
            "share_of_nginx_median": round(statistics.median(r["share_of_nginx"] for r in runs), 4),
            "errors": sum(r["errors"] for r in runs),
            "rounds": runs,
        }

    return {
        "engine": engine,
        "wrk": {"seconds": SECONDS, "connections": 32, "rounds": ROUNDS},
        "scenarios": {name: summary(runs) for name, runs in rounds.items()},
        "uncached_render": renders,
        "gunicorn_worker_rss_mb": rss,
        "application_submit": submits,
    }


def table(result: dict) -> str:
    lines = [
        f"### {result['engine']}",
        "",
        "| scenario | req/s | p50 ms | p99 ms | share of nginx static (same round) |",
        "|---|---|---|---|---|",
    ]
    for name, s in result["scenarios"].items():
        lines.append(
            f"| {name} | {s['rps_median']} | {s['p50_ms_median']} | {s['p99_ms_median']} "
            f"| {s['share_of_nginx_median']:.1%} |"
        )
    lines += [
        "",
        "| page (page cache off, parts remembered; in-process) | median ms | p95 ms | queries |",
        "|---|---|---|---|",
    ]
    for url, r in result["uncached_render"].items():
        lines.append(f"| {url} | {r['median_ms']} | {r['p95_ms']} | {r['queries']} |")
    lines += ["", f"gunicorn worker RSS after the load: {result['gunicorn_worker_rss_mb']} MB", ""]
    lines += [
        "| submit, concurrent clients | n | p50 ms | p99 ms | failures |",
        "|---|---|---|---|---|",
    ]
    for s in result["application_submit"]:
        cells = [s["clients"], s["n"], s.get("p50_ms"), s.get("p99_ms"), s["failures"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    for s in result["application_submit"]:
        for reason in s.get("failure_reasons", []):
            lines.append(f"- {s['clients']} clients: {reason}")
    return "\n".join(lines) + "\n"


def main() -> None:
    if not shutil.which("wrk") or not shutil.which("nginx"):
        sys.exit("make bench needs wrk and nginx: apt-get install wrk nginx-light")
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = []
    for engine in os.environ.get("BENCH_DATABASES", "postgresql,sqlite").split(","):
        result = run(engine.strip())
        (RESULTS / f"site-{result['engine']}.json").write_text(json.dumps(result, indent=2) + "\n")
        report.append(table(result))
    (RESULTS / "site.md").write_text("\n".join(report))
    print("\n".join(report))


if __name__ == "__main__":
    main()
