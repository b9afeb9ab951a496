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

``--overrides`` measures, in the same run, what each override of Wagtail's serving path buys
(``content/models/routing.py``, ``core.middleware.WagtailSiteMiddleware``): the same-generation
renders again with one override at a time replaced by Wagtail's own code, and with all of them
replaced; written to bench/results/render-overrides-<engine>.json.
"""

from __future__ import annotations

import contextlib
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
    compare = "--overrides" in sys.argv[1:]
    with scratch_site("render", commands=(["migrate", "-v0"], ["load_demo", "-v0"])) as site:
        result = measure(site.engine)
        overrides = measure_overrides(site.engine) if compare else None
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    if overrides:
        path = out / f"render-overrides-{overrides['engine']}.json"
        path.write_text(json.dumps(overrides, indent=2) + "\n")
        print_overrides(overrides)
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


@contextlib.contextmanager
def wagtail_routing():
    """Wagtail's ``Page.route``: a child query and a specific query per URL segment."""
    from unittest import mock

    from wagtail.models import Page

    from clinicsite.content.models.routing import RoutingMixin

    with (
        mock.patch.object(RoutingMixin, "route", Page.route),
        mock.patch.object(RoutingMixin, "reads_itself_when_routed", False),
    ):
        yield


@contextlib.contextmanager
def wagtail_privacy_check():
    """Wagtail's ``get_view_restrictions`` before serving: ancestors, then restrictions."""
    from unittest import mock

    from wagtail.models import Page

    from clinicsite.content.models.routing import RoutingMixin

    with mock.patch.object(RoutingMixin, "get_view_restrictions", Page.get_view_restrictions):
        yield


@contextlib.contextmanager
def wagtail_site_lookup():
    """Wagtail's ``Site.find_for_request`` on every request (no WagtailSiteMiddleware)."""
    from django.conf import settings
    from django.test import override_settings

    middleware = [m for m in settings.MIDDLEWARE if not m.endswith("WagtailSiteMiddleware")]
    with override_settings(MIDDLEWARE=middleware):
        yield


def measure_overrides(engine: str) -> dict:
    """Same-generation renders per variant, variants interleaved page by page so that drift
    in the machine's speed falls on all of them alike."""
    from django.test import Client

    variants = {
        "project": [],
        "wagtail routing": [wagtail_routing],
        "wagtail privacy check": [wagtail_privacy_check],
        "wagtail site lookup": [wagtail_site_lookup],
        "all wagtail": [wagtail_routing, wagtail_privacy_check, wagtail_site_lookup],
    }
    samples: dict[str, dict[str, list]] = {v: {p: [] for p in PAGES} for v in variants}
    for _ in range(RUNS // 10):
        for name, toggles in variants.items():
            with contextlib.ExitStack() as stack:
                for toggle in toggles:
                    stack.enter_context(toggle())
                client = Client(HTTP_HOST="127.0.0.1")  # loads the middleware of the variant
                for page in PAGES:
                    timed(client, page)  # warm the variant's remembered parts
                    samples[name][page].extend(timed(client, page) for _ in range(10))
    return {
        "engine": engine,
        "runs": RUNS // 10 * 10,
        "variants": {
            name: {page: summary(per_page[page]) for page in PAGES}
            for name, per_page in samples.items()
        },
    }


def print_overrides(result: dict) -> None:
    variants = result["variants"]
    names = list(variants)
    print(f"\n| page ({result['engine']}): ms / queries | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for page in PAGES:
        cells = [
            f"{variants[n][page]['median_ms']} / {variants[n][page]['queries']}" for n in names
        ]
        print(f"| {page} | " + " | ".join(cells) + " |")
    totals = [sum(variants[n][p]["median_ms"] for p in PAGES) for n in names]
    print("| all nine pages (sum of medians) | " + " | ".join(f"{t:.1f}" for t in totals) + " |")


if __name__ == "__main__":
    main()
