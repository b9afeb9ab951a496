"""Benchmark: a digest to 1k, 10k and 50k confirmed subscribers through a local SMTP server.

Run by hand, never in the test suite: `python bench/newsletter_digest.py` (SQLite in a
temporary directory) or with `DATABASE_URL=postgresql://…` (a database of its own is created
and dropped). For each list size it schedules one digest, runs `manage.py db_worker --batch`
in BENCH_WORKERS processes (default 2) until the digest is sent, and reports messages per
second (wall clock, from scheduling to the last message accepted), each worker's peak RSS,
and what the SMTP server received (every message once: messages == distinct Message-IDs).
Writes bench/results/newsletter-digest-<engine>.json.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import ROOT, scratch_site

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,50000").split(",")]
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))

SCHEDULE = """
from wagtail.models import Page
from clinicsite.newsletter.services import digests
from clinicsite.newsletter.models import Digest, DigestItem
digest = Digest.objects.create(subject="Benchmark digest", mode="chosen")
DigestItem.objects.create(digest=digest, page=Page.objects.get(slug="can-stem-cells-help-lupus"))
digests.digest_schedule(digest=digest, when=None, actor=None)
print(digest.pk)
"""

SEND_WINDOW = """
from django.db.models import Max, Min
from clinicsite.newsletter.models import Delivery
span = Delivery.objects.filter(status="sent").aggregate(a=Min("sent_at"), b=Max("sent_at"))
print((span["b"] - span["a"]).total_seconds())
"""

FILL = """
import os
from clinicsite.newsletter.models import Delivery, Digest, Subscriber
Delivery.objects.all().delete(); Digest.objects.all().delete(); Subscriber.objects.all().delete()
n = int(os.environ["BENCH_N"])
Subscriber.objects.bulk_create(
    [Subscriber(email=f"b{i}@bench.invalid", language="en", status="confirmed") for i in range(n)],
    batch_size=5000)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_size(n: int, env: dict[str, str], var: Path) -> dict:
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "shell", "-c", FILL], cwd=ROOT, env={**env, "BENCH_N": str(n)}, check=True
    )
    port = free_port()
    counts = var / f"smtp-{n}.json"
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(port), str(counts)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert sink.stdout.readline().strip() == "ready"
    env = {**env, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)}
    started = time.perf_counter()
    subprocess.run([*manage, "shell", "-c", SCHEDULE], cwd=ROOT, env=env, check=True)
    worker_cmd = [*manage, "db_worker", "--batch", "--queue-name", "*", "--no-startup-delay"]
    workers = [subprocess.Popen(worker_cmd, cwd=ROOT, env=env) for _ in range(WORKERS)]
    rss = []
    for worker in workers:
        _, status, usage = os.wait4(worker.pid, 0)
        worker.returncode = os.waitstatus_to_exitcode(status)
        rss.append(round(usage.ru_maxrss / 1024, 1))  # KiB -> MiB
    elapsed = time.perf_counter() - started
    sink.terminate()
    sink.wait(timeout=30)
    received = json.loads(counts.read_text())
    window = float(
        subprocess.run([*manage, "shell", "-c", SEND_WINDOW], cwd=ROOT, env=env, check=True,
                       capture_output=True, text=True).stdout.split()[-1]
    )  # fmt: skip
    result = {
        "subscribers": n,
        "workers": WORKERS,
        "seconds": round(elapsed, 2),
        # wall clock from scheduling (worker start-up included), and while sending
        "messages_per_second": round(received["messages"] / elapsed, 1),
        "messages_per_second_sending": round(n / window, 1) if window else None,
        "worker_peak_rss_mb": rss,
        "smtp_received": received["messages"],
        "distinct_message_ids": received["distinct_ids"],
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    with scratch_site(
        "newsletter",
        commands=(["migrate", "-v0"], ["load_demo", "-v0"]),
        extra_env={"NEWSLETTER_SENDERS": str(WORKERS)},
        setup_django=False,
    ) as site:
        engine = site.engine
        results = [run_size(n, site.env, site.var) for n in SIZES]
    out = ROOT / "bench" / "results" / f"newsletter-digest-{engine}.json"
    out.write_text(json.dumps({"engine": engine, "runs": results}, indent=2) + "\n")
    print("\n| subscribers | msg/s (wall) | msg/s (sending) | peak RSS per worker (MB) "
          "| received | distinct ids |\n|---|---|---|---|---|---|")  # fmt: skip
    for r in results:
        print(f"| {r['subscribers']} | {r['messages_per_second']} "
              f"| {r['messages_per_second_sending']} | {r['worker_peak_rss_mb']} "
              f"| {r['smtp_received']} | {r['distinct_message_ids']} |")  # fmt: skip


if __name__ == "__main__":
    main()
