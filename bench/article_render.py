"""Benchmark: the lupus article — page weight, uncached render time, and throughput.

Run by hand (`make bench`), never in the test suite. It builds a throwaway SQLite database with
the demo content, then measures in one run:

1. page weight: HTML + CSS + JS bytes of the article (before images);
2. uncached server render: median and p95 of N renders through Django's full stack
   (middleware included, no page cache), with the query count;
3. if `wrk` is installed: requests/s and p99 against gunicorn on 127.0.0.1, and, if `nginx` is
   installed, against nginx serving a static copy of the same HTML in the same run, so the
   ratio is meaningful on a shared 2-core machine.

Results are printed and written to bench/results/article_render.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = "/articles/can-stem-cells-help-lupus/"
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str, seconds: int = 10) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {"requests_per_s": rps, "p99_ms": float(p99.group(1)) * scale}


def serve(env: dict[str, str], port: int, page_cache_seconds: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "clinicsite.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", "2", "--threads", "4",
         "--log-level", "warning"],
        cwd=ROOT, env={**env, "PAGE_CACHE_SECONDS": str(page_cache_seconds)},
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return server


def throughput(env: dict[str, str], port: int, html: bytes, var: Path) -> dict[str, object]:
    """wrk against gunicorn without and with the page cache, and nginx on a static copy."""
    results: dict[str, object] = {}
    for label, seconds in (("gunicorn_uncached", 0), ("gunicorn_page_cache", 300)):
        server = serve(env, port, seconds)
        try:
            results[label] = wrk(f"http://127.0.0.1:{port}{ARTICLE}")
        finally:
            server.terminate()
            server.wait()
    if shutil.which("nginx"):
        static_port = free_port()
        (var / "www").mkdir()
        (var / "www" / "index.html").write_bytes(html)
        conf = var / "nginx.conf"
        conf.write_text(
            f"daemon off; worker_processes 2; pid {var}/nginx.pid; "
            f"error_log {var}/nginx.err;"
            "events {} http { access_log off; "
            f"server {{ listen 127.0.0.1:{static_port}; root {var}/www; }} }}"
        )
        nginx = subprocess.Popen(["nginx", "-c", str(conf)])
        try:
            time.sleep(0.5)
            results["nginx_static"] = wrk(f"http://127.0.0.1:{static_port}/index.html")
        finally:
            nginx.terminate()
        base = results["nginx_static"]["requests_per_s"]
        for label in ("gunicorn_uncached", "gunicorn_page_cache"):
            results[f"{label}_share_of_nginx"] = round(results[label]["requests_per_s"] / base, 4)
    return results


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="clinicsite-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinicsite.settings.dev",
        "DEBUG": "false",
        "VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'bench.sqlite3'}",
        "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "load_demo", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "db_worker", "--batch", "--no-startup-delay"], cwd=ROOT, env=env,
                   check=True, capture_output=True)  # fmt: skip
    os.environ.update({**env, "PAGE_CACHE_SECONDS": "0"})  # measure real renders in-process
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.staticfiles import finders
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=f"127.0.0.1:{port}")
    html = client.get(ARTICLE).content
    css = Path(finders.find("css/site.css")).stat().st_size
    js = sum(
        Path(finders.find(src)).stat().st_size
        for src in re.findall(rb'<script src="/static/([^"]+)"', html)
    )
    timings = []
    for _ in range(200):
        start = time.perf_counter()
        client.get(ARTICLE)
        timings.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(ARTICLE)
    results: dict[str, object] = {
        "page_weight_bytes": {
            "html": len(html),
            "css": css,
            "js": js,
            "total": len(html) + css + js,
        },
        "uncached_render_ms": {
            "median": round(statistics.median(timings), 2),
            "p95": round(statistics.quantiles(timings, n=20)[18], 2),
            "runs": len(timings),
        },
        "queries": len(queries),
    }

    if shutil.which("wrk"):
        results.update(throughput(env, port, html, var))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "article_render.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
