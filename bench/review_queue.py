"""Benchmark: the clinicians' review queue (/admin/applications/) over 100,000 applications.

Run by hand, never in the test suite: `python bench/review_queue.py` (SQLite in a temporary
directory) or with `DATABASE_URL=postgresql://…` (a database of its own:
`bench/scratch.py`). Generates the applications with bulk inserts (one valid Fernet blob
stands in for every applicant's answers), spread over conditions, protocols, statuses,
screening outcomes, assignment and two years of arrival dates; then a TOTP-verified
clinician opens the queue through Django's test client in-process: page 1, a deep page,
and each filter. Reports the median server time and the queries of every page (target:
< 200 ms) and writes bench/results/review-queue-<engine>.json.

BENCH_APPLICATIONS (100000) and BENCH_RUNS (15 timed requests per page) change the size;
BENCH_KEEP=1 keeps the SQLite file for a look at query plans.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import ROOT, scratch_site

APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
TARGET_MS = 200
BATCH = 5000


def generate(rng: random.Random) -> dict:
    """The clinic's conditions and protocols, a clinician or two, and the applications."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from clinicsite.applications import services
    from clinicsite.applications.models import Application, ScreeningOutcome
    from clinicsite.clinic.models import Condition, TreatmentProtocol

    conditions = [
        Condition.objects.create(name=f"Condition {i}", slug=f"condition-{i}") for i in range(4)
    ]
    protocols = [
        TreatmentProtocol.objects.create(condition=c, name=f"Protocol {c.pk}-{j}")
        for c in conditions
        for j in range(2)
    ]
    clinicians = []
    for i in range(3):
        user = get_user_model().objects.create_user(f"bench-clinician-{i}")
        user.groups.add(Group.objects.get(name="Clinician"))
        clinicians.append(user)
    blob = services._seal({"date_of_birth": "1980-05-01", "pregnant": False, "treatments": "x"})
    statuses = list(Application.Status.values)
    outcomes = list(ScreeningOutcome.values)
    now = timezone.now()
    started = time.perf_counter()
    for offset in range(0, APPLICATIONS, BATCH):
        rows = []
        for n in range(offset, min(offset + BATCH, APPLICATIONS)):
            index = rng.randrange(len(conditions))
            condition = conditions[index]
            protocol = None if rng.random() < 0.1 else protocols[index * 2 + rng.randrange(2)]
            status = rng.choices(statuses, weights=[30, 20, 25, 25])[0]
            created = now - datetime.timedelta(seconds=rng.randint(0, 2 * 365 * 86400))
            rows.append(
                Application(
                    reference=f"HC-B{n:07d}",
                    status=status,
                    created_at=created,
                    decided_at=created if status in ("accepted", "declined") else None,
                    full_name=f"Applicant {n}",
                    email=f"applicant{n}@bench.invalid",
                    phone="+44 7700 900000",
                    country="United Kingdom",
                    condition=condition,
                    protocol=protocol,
                    answers_ciphertext=blob,
                    screening_outcome=rng.choices(outcomes, weights=[40, 40, 20])[0],
                    screening_criteria=[],
                    privacy_notice_version="2026-01",
                    consent_at=created,
                    assigned_to=None if status == "submitted" else rng.choice(clinicians),
                )
            )
        Application.objects.bulk_create(rows)
    generated = time.perf_counter() - started
    from django.db import connection

    if connection.vendor == "postgresql":
        # What autovacuum would have done long before a real queue is this long: statistics
        # for the planner and the visibility map that lets counts read only the index.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE applications_application")
    return {
        "generate_s": round(generated, 1),
        "condition": conditions[1].pk,
        "protocol": protocols[3].pk,
    }


def verified_clinician_client():
    """A test client signed in as a clinician who has passed the TOTP second factor."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.create_user("bench-reviewer")
    user.groups.add(Group.objects.get(name="Clinician"))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    assert client.get("/admin/second-factor/").status_code == 200  # creates the device
    device = TOTPDevice.objects.get(user=user)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    response = client.post(
        "/admin/second-factor/", {"token": f"{code:06d}", "next": "/admin/applications/"}
    )
    assert response.status_code == 302, response.status_code
    assert client.get("/admin/applications/").status_code == 200
    return client


class QueryLog:
    """Every query of a request with its own duration (Django's log rounds to milliseconds)."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, (time.perf_counter() - start) * 1000))


def time_page(client, url: str) -> dict:
    from django.db import connection

    for _ in range(2):  # warm caches and the database's pages
        assert client.get(url).status_code == 200, url
    runs = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        runs.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    log = QueryLog()
    with connection.execute_wrapper(log):
        response = client.get(url)
    slowest_sql, slowest_ms = max(log.queries, key=lambda q: q[1])
    return {
        "url": url,
        "median_ms": round(statistics.median(runs), 1),
        "max_ms": round(max(runs), 1),
        "queries": len(log.queries),
        "sql_ms": round(sum(ms for _, ms in log.queries), 1),
        "slowest_query_ms": round(slowest_ms, 1),
        "slowest_query": slowest_sql[:400],
        "matching": int(re.search(rb"<p>(\d+) applications?</p>", response.content).group(1)),
        "rows": response.content.count(b'<td><a href="/admin/applications/'),
    }


def main() -> None:
    with scratch_site("review-queue") as site:
        from clinicsite.applications.models import Application

        engine = site.engine
        made = generate(random.Random(1))
        client = verified_clinician_client()
        pages = {
            "page 1": "/admin/applications/",
            "deep page (p=1500)": "/admin/applications/?p=1500",
            "status": "/admin/applications/?status=in_review",
            "condition": f"/admin/applications/?condition={made['condition']}",
            "protocol": f"/admin/applications/?protocol={made['protocol']}",
            "screening": "/admin/applications/?screening=not_eligible",
            "all four filters": (
                f"/admin/applications/?status=submitted&condition={made['condition']}"
                f"&protocol={made['protocol']}&screening=eligible"
            ),
        }
        timings = {name: time_page(client, page) for name, page in pages.items()}
        result = {
            "engine": engine,
            "applications": Application.objects.count(),
            "generate_s": made["generate_s"],
            "runs_per_page": RUNS,
            "target_ms": TARGET_MS,
            "all_under_target": all(t["median_ms"] < TARGET_MS for t in timings.values()),
            "pages": timings,
        }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"review-queue-{engine}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"| page ({engine}, {result['applications']} applications) | median ms | queries |")
    print("|---|---|---|")
    for name, t in timings.items():
        print(f"| {name} | {t['median_ms']} | {t['queries']} |")


if __name__ == "__main__":
    main()
