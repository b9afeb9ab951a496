"""Counters and caches are one store for every gunicorn worker, not one per process.

Real parts only: the demo loaded into a SQLite file, gunicorn with two sync workers on the
development settings (file caches under var/), and the same again with a private
redis-server as the cache, as production runs. Which worker answered each request is read
from gunicorn's access log (its ``%(p)s`` atom is the worker's pid), so each test shows both
workers took part, not only that the totals came out right.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinicsite.conftest import ROOT, _free_port, require

SIGNUP_LIMIT = 3
ACCESS_FORMAT = '%(p)s "%(r)s" %(s)s'


@dataclass
class Workers:
    """Two gunicorn workers behind one port, and where their access log is."""

    url: str
    env: dict[str, str]
    log: Path

    def mark(self) -> int:
        return self.log.stat().st_size

    def pids(self, since: int, request_line: str) -> set[str]:
        """The workers that logged ``request_line`` (e.g. "POST /newsletter/") since ``since``."""
        text = self.log.read_text()[since:]
        return set(re.findall(rf'^<(\d+)> "{re.escape(request_line)} ', text, re.MULTILINE))

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, check=True, timeout=300,
        ).stdout  # fmt: skip


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory) -> dict[str, str]:
    """The demo content in a SQLite file of its own, and the environment that serves it."""
    var_dir = tmp_path_factory.mktemp("shared-cache")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "clinicsite.settings.dev",
            "DEBUG": "false",
            "VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "NEWSLETTER_SIGNUPS_PER_IP_HOUR": str(SIGNUP_LIMIT),
        }
    )
    for command in (["migrate", "--noinput", "-v0"], ["load_demo", "-v0"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=600
        )
    return env


def _serve(env: dict[str, str], var_dir: Path) -> Iterator[Workers]:
    port = _free_port()
    log = var_dir / f"access-{port}.log"
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    errors = (var_dir / f"gunicorn-{port}.log").open("w")
    server = subprocess.Popen(
        [gunicorn, "clinicsite.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--worker-class", "sync", "--access-logfile", str(log),
         "--access-logformat", ACCESS_FORMAT],
        cwd=ROOT, env=env, stdout=errors, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        workers = Workers(url=f"http://127.0.0.1:{port}", env=env, log=log)
        # Gunicorn answers as soon as one worker has loaded the app; on a busy machine the
        # other may take seconds more. Wait until both have answered, or the tests below
        # could be served by one worker and prove nothing about sharing.
        while len(workers.pids(0, "GET /healthz")) < 2:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the second gunicorn worker never answered")
            _together(8, lambda: _status(f"{workers.url}/healthz"))
        yield workers
    finally:
        server.terminate()
        server.wait(timeout=20)
        errors.close()


@pytest.fixture(params=["file", "redis"])
def workers(request, demo_env, tmp_path) -> Iterator[Workers]:
    """Two workers on the demo, each test with an empty cache: files under var/, or Redis."""
    var_dir = Path(demo_env["VAR_DIR"])
    shutil.rmtree(var_dir / "cache", ignore_errors=True)
    env = dict(demo_env)
    redis_dir = tmp_path / "redis"
    if request.param == "redis":
        require(shutil.which("redis-server") is not None, "redis-server is not installed")
        env["REDIS_URL"] = subprocess.run(
            [str(ROOT / "bin" / "throwaway-redis"), "start", str(redis_dir), str(_free_port())],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    try:
        yield from _serve(env, var_dir)
    finally:
        if request.param == "redis":
            subprocess.run([str(ROOT / "bin" / "throwaway-redis"), "stop", str(redis_dir)])


def _status(url: str, *, data: bytes | None = None, address: str = "") -> tuple[int, str]:
    headers = {"X-Forwarded-For": address} if address else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _together(calls: int, call) -> list:
    """``call`` made ``calls`` times at once, so that both workers are busy answering."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: call(), range(calls)))


def test_a_limit_of_n_lets_exactly_n_through_across_both_workers(workers):
    since = workers.mark()
    signup = f"{workers.url}/newsletter/"
    statuses = _together(
        16, lambda: _status(signup, data=b"email=x%40example.org", address="203.0.113.9")[0]
    )
    assert statuses.count(429) == 16 - SIGNUP_LIMIT, statuses
    assert len(workers.pids(since, "POST /newsletter/")) == 2  # both workers counted


def _treated_on_msc_l1(page: str) -> set[int]:
    """The "Treated" figures of the MSC-L1 protocol's rows on the public outcomes page."""
    section = next(part for part in page.split("<section") if "MSC-L1" in part.split("</h2>")[0])
    return {int(n) for n in re.findall(r'<th scope="row">[^<]+</th><td>(\d+)</td>', section)}


ADD_TREATED_PATIENT = """
import datetime
from django.contrib.auth import get_user_model
from clinicsite.applications.models import Application, ScreeningOutcome
from clinicsite.clinic.models import TreatmentProtocol
from clinicsite.core import encrypted
from clinicsite.followups import services
from clinicsite.followups.models import Treatment
protocol = TreatmentProtocol.objects.get(name__startswith="MSC-L1")
application = Application(
    full_name="Shared Cache Patient", email="shared-cache@example.org", phone="+44 1632 960 111",
    country="United Kingdom", condition_id=protocol.condition_id, protocol=protocol,
    screening_outcome=ScreeningOutcome.ELIGIBLE,
    privacy_notice_version="test", consent_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    status=Application.Status.ACCEPTED,
)
encrypted.seal(application, "answers_ciphertext", b"{}")
application.save()
clinician, _ = get_user_model().objects.get_or_create(username="shared-cache-clinician")
services.treatment_record(
    application=application, protocol=protocol, treated_on=datetime.date.today(),
    time_zone="Europe/London", clinician=clinician,
)
print("TREATED", Treatment.objects.filter(protocol=protocol).count())
"""


def test_a_new_treated_patient_shows_at_once_on_the_page_from_either_worker(workers):
    outcomes = f"{workers.url}/outcomes/"
    since = workers.mark()
    before = _together(16, lambda: _status(outcomes))
    assert len(workers.pids(since, "GET /outcomes/")) == 2  # both workers hold the table
    (count,) = set.union(*(_treated_on_msc_l1(page) for _, page in before))

    treated = workers.manage("shell", "-c", ADD_TREATED_PATIENT)  # another process, as an admin
    assert f"TREATED {count + 1}" in treated

    since = workers.mark()
    after = _together(16, lambda: _status(outcomes))
    assert len(workers.pids(since, "GET /outcomes/")) == 2
    assert [_treated_on_msc_l1(page) for _, page in after] == [{count + 1}] * 16
