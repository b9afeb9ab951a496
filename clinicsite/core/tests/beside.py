"""Start a real server beside the ``live_site`` fixture's: the same database and mail sink,
its own port, environment and log file, so a browser test can read what it wrote."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from clinicsite.conftest import ROOT, _free_port


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], log: Path, url: str) -> Iterator[None]:
    """Run ``command`` in its own process group until ``url`` answers; stop the group after."""
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(url, timeout=2):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"{command[0]} did not start: {log.read_text()}"
                        ) from None
                    time.sleep(0.2)
            yield
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def free_port() -> int:
    return _free_port()
