"""Fixtures shared by every app's tests.

* The demo content is loaded once per test database, so page tests read realistic pages.
* Browser tests drive Debian's Chromium (never a downloaded browser) against a real gunicorn
  server on 127.0.0.1 with its own database (SQLite file, or a PostgreSQL database beside the
  test one when DATABASE_URL names PostgreSQL).
* With CI=true a missing browser or database is a failure, never a skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.management import call_command

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent


def require(condition: bool, reason: str) -> None:
    """Skip locally when a real component is missing; fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI requires it: {reason}")
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    """Note how many browser tests were skipped, and why (only outside CI: see ``require``)."""
    browser = [r for r in terminalreporter.stats.get("skipped", []) if "browser" in r.keywords]
    if browser:
        reasons = sorted({str(r.longrepr[2]).removeprefix("Skipped: ") for r in browser})
        config._skipped_browser_tests = (len(browser), "; ".join(reasons))


def pytest_unconfigure(config: Any) -> None:
    """The last line of the run says loudly when it was not the whole suite."""
    skipped = getattr(config, "_skipped_browser_tests", None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if skipped and reporter is not None:
        count, reasons = skipped
        reporter.write_line(
            f"NOT THE WHOLE SUITE: {count} browser test{'s were' if count != 1 else ' was'} "
            f"skipped ({reasons}). Run bin/test as root to install Chromium, or as root: "
            "apt-get update && apt-get install -y chromium",
            red=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0)


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's superuser client, past the second factor every superuser needs."""
    from django.test import Client

    from clinicsite.accounts.testing import verified_login

    return verified_login(Client(), admin_user)


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts with empty caches: the database rolls back between tests, caches don't."""
    from django.core.cache import caches

    for alias in ("default", "pages"):
        caches[alias].clear()


# --- Browser tests --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _browser_database_url(tmp: Path) -> str:
    """A database of the server's own, on the same engine as the test run."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp / 'browser.sqlite3'}"
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_browser"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


@dataclass
class LiveSite:
    url: str
    env: dict[str, str]
    var_dir: Path

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        return result.stdout


EDITOR_PASSWORD = "editor-password-for-tests-only"
CREATE_EDITOR = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
user, _ = get_user_model().objects.get_or_create(username="editor")
user.set_password("{EDITOR_PASSWORD}")
user.save()
user.groups.add(Group.objects.get(name="Editor"))
"""


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and its mailbox: every message it received,
    parsed, with waiting helpers. ``stop`` and ``start`` again on the same port simulate an
    outage."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: object = None
    delay: float = 0.0  # seconds per message, to make a send slow enough to interrupt

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        if self.delay:  # before accepting: a message cut off here was never received
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = self.port or _free_port()
        self.controller = Controller(self, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in m["X-Envelope-To"]]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30):
        """The messages to ``address`` once at least ``count`` have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(found := self.to(address)) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} message(s) to {address} did not arrive in {timeout}s")

    def first(self, predicate, timeout: float = 30):
        """The first message matching ``predicate`` (waits for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [m for m in self.messages if predicate(m)]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no matching e-mail; got {[m['Subject'] for m in self.messages]}")


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 that the live site delivers its mail to."""
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def smtp(settings) -> Iterator[SmtpSink]:
    """A real SMTP server of this test's own, with Django's SMTP backend pointed at it."""
    sink = SmtpSink()
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
def live_site(tmp_path_factory, smtp_server) -> Iterator[LiveSite]:
    """The demo site served by gunicorn, as a visitor or an editor would reach it."""
    var_dir = tmp_path_factory.mktemp("live-site")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinicsite.settings.dev",
        "DEBUG": "false",
        "VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        "DATABASE_URL": _browser_database_url(var_dir),
        "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{port}",
        # mail goes to the aiosmtpd server of the ``smtp_server`` fixture
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
    }
    site = LiveSite(url=f"http://127.0.0.1:{port}", env=env, var_dir=var_dir)
    site.manage("migrate", "--noinput", "-v0")
    site.manage("load_demo", "-v0")
    site.manage("shell", "-c", CREATE_EDITOR)
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    log = (var_dir / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [gunicorn, "clinicsite.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", "1", "--threads", "4"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{site.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "gunicorn did not start: " + (var_dir / "gunicorn.log").read_text()
                    ) from None
                time.sleep(0.2)
        yield site
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
