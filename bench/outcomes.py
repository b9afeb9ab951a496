"""Benchmark: outcome statistics over 100,000 treated patients and 400,000 responses.

Run by hand, never in the test suite: `python bench/outcomes.py` (SQLite in a temporary
directory) or with `DATABASE_URL=postgresql://…` (a database of its own: `bench/scratch.py`).
Generates the rows with bulk inserts, then times `outcome_table()` — four aggregate queries —
cold and warm. Writes bench/results/outcomes-<engine>.json.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import ROOT, scratch_site

TREATED = int(os.environ.get("BENCH_TREATED", "100000"))


def main() -> None:
    with scratch_site("outcomes") as site:
        measure(site.engine)


def measure(engine: str) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from clinicsite.applications.models import Application, ScreeningOutcome
    from clinicsite.clinic.models import Condition, TreatmentProtocol
    from clinicsite.followups.models import Invitation, Response, Treatment
    from clinicsite.followups.services import time_points_for
    from clinicsite.outcomes.stats import outcome_table

    rng = random.Random(1)
    now = timezone.now()
    doc = get_user_model().objects.create(username="bench-doc")
    protocols = []
    for i in range(4):
        condition = Condition.objects.create(name=f"Condition {i}", slug=f"condition-{i}")
        protocols.append(
            TreatmentProtocol.objects.create(condition=condition, name=f"Protocol {i}")
        )
    points = {p.pk: time_points_for(p) for p in protocols}
    started = time.perf_counter()
    batch = 5000
    for offset in range(0, TREATED, batch):
        apps = Application.objects.bulk_create(
            Application(
                full_name="x",
                email=f"p{offset + n}@bench.invalid",
                phone="0",
                country="x",
                condition_id=protocols[(offset + n) % 4].condition_id,
                protocol=protocols[(offset + n) % 4],
                answers_ciphertext=b"",
                screening_outcome=ScreeningOutcome.ELIGIBLE,
                privacy_notice_version="b",
                consent_at=now,
                status="accepted",
                reference=f"B-{offset + n}",
            )
            for n in range(min(batch, TREATED - offset))
        )
        treatments = Treatment.objects.bulk_create(
            Treatment(
                application=a,
                protocol_id=a.protocol_id,
                condition_id=a.condition_id,
                treated_on=(now - datetime.timedelta(days=rng.randint(30, 500))).date(),
                time_zone="UTC",
                treating_clinician=doc,
                notes_ciphertext=b"",
            )
            for a in apps
        )
        invitations = []
        for t in treatments:
            for point in points[t.protocol_id]:
                due = now - datetime.timedelta(days=rng.randint(0, 400))
                invitations.append(
                    Invitation(
                        treatment=t,
                        time_point=point,
                        protocol_id=t.protocol_id,
                        condition_id=t.condition_id,
                        due_at=due,
                        expires_at=due + datetime.timedelta(days=21),
                        status="responded",
                    )
                )
        invitations = Invitation.objects.bulk_create(invitations)
        Response.objects.bulk_create(
            Response(
                invitation=i,
                treatment_id=i.treatment_id,
                time_point_id=i.time_point_id,
                protocol_id=i.protocol_id,
                condition_id=i.condition_id,
                improved=rng.random() < 0.3,
                answers_ciphertext=b"",
            )
            for i in invitations
        )
    generated = time.perf_counter() - started
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        rows = outcome_table()
        timings.append(time.perf_counter() - t0)
    result = {
        "engine": engine,
        "treated": Treatment.objects.count(),
        "responses": Response.objects.count(),
        "generate_s": round(generated, 1),
        "outcome_table_s": {
            "first": round(timings[0], 3),
            "median": round(statistics.median(timings), 3),
        },
        "cells": len(rows),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"outcomes-{engine}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
