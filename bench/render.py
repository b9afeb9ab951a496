"""Benchmark: uncached renders of the public pages, in-process, with their queries.

Run by hand, never in the test suite: `python bench/render.py` (SQLite in a temporary
directory with the demo content; `DATABASE_URL=postgresql://…` uses a database of its own,
created and dropped). With the page cache off, each page is rendered BENCH_RUNS times (50)
in two states:

* same generation: what a visitor the page cache does not serve (signed in, or with a query
  string) costs while nothing changes: remembered parts come from the cache;
* new generation: the render right after anything is published, when every remembered part
  is built again (measured once per round, BENCH_ROUNDS rounds).

Reports the median wall and CPU time and the queries of each, and writes
bench/results/render-<engine>.json. Figures are only comparable within one run.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import ROOT, scratch_site

RUNS = int(os.environ.get("BENCH_RUNS", "50"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
PAGES = [
    "/articles/can-stem-cells-help-lupus/",
    "/",
    "/stories/amaras-story/",
    "/conditions/lupus/",
    "/outcomes/",
    "/articles/",
    "/stories/",
    "/conditions/",
    "/about/",
]


def timed(client, url: str) -> tuple[float, float, int]:
    """(wall ms, CPU ms, queries) of one GET."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert response.status_code == 200, (url, response.status_code)
    return wall * 1000, cpu * 1000, len(queries)


def summary(samples: list[tuple[float, float, int]]) -> dict:
    return {
        "median_ms": round(statistics.median(s[0] for s in samples), 1),
        "cpu_median_ms": round(statistics.median(s[1] for s in samples), 1),
        "queries": max(s[2] for s in samples),
    }


def main() -> None:
    with scratch_site("render", commands=(["migrate", "-v0"], ["load_demo", "-v0"])) as site:
        result = measure(site.engine)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"render-{result['engine']}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"| page ({result['engine']}) | same generation: ms (CPU) / queries | new generation |")
    print("|---|---|---|")
    for page, r in result["pages"].items():
        s, n = r["same_generation"], r["new_generation"]
        print(
            f"| {page} | {s['median_ms']} ({s['cpu_median_ms']}) / {s['queries']} "
            f"| {n['median_ms']} ({n['cpu_median_ms']}) / {n['queries']} |"
        )


def measure(engine: str) -> dict:
    from django.conf import settings
    from django.test import Client

    from clinicsite.core import pagecache

    settings.PAGE_CACHE_SECONDS = 0
    client = Client(HTTP_HOST="127.0.0.1")
    for page in PAGES:  # renditions are generated on the first view
        timed(client, page)
    same = {page: [timed(client, page) for _ in range(RUNS)] for page in PAGES}
    new: dict[str, list] = {page: [] for page in PAGES}
    for _ in range(ROUNDS):
        for page in PAGES:
            pagecache.bump_generation()
            new[page].append(timed(client, page))
    result = {
        "engine": engine,
        "runs": RUNS,
        "rounds": ROUNDS,
        "pages": {
            page: {"same_generation": summary(same[page]), "new_generation": summary(new[page])}
            for page in PAGES
        },
    }
    return result


if __name__ == "__main__":
    main()
