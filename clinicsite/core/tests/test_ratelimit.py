"""The fixed-window counter loses no count when several processes share a file cache."""

from __future__ import annotations

import multiprocessing

from django.core.cache import caches
from django.test import override_settings

from clinicsite.core import ratelimit

PROCESSES = 4
HITS_EACH = 40
WINDOW = 10**7  # one window for the whole test, wherever the clock stands


def _hit_many() -> None:
    caches["default"].close()
    for _ in range(HITS_EACH):
        ratelimit.hit("test-scope", "one subject", limit=10**6, window=WINDOW)


def test_no_count_is_lost_when_processes_hit_a_file_cache_at_once(tmp_path):
    """Four processes hit 160 times at once; the next hit must be the 161st, over a limit of
    160. A read-then-write count (a file cache's own ``incr``) loses some and stays under."""
    location = str(tmp_path / "cache")
    backend = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": location,
    }
    with override_settings(CACHES={"default": backend}):
        context = multiprocessing.get_context("fork")
        workers = [context.Process(target=_hit_many) for _ in range(PROCESSES)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [worker.exitcode for worker in workers] == [0] * PROCESSES
        total = PROCESSES * HITS_EACH
        assert ratelimit.hit("test-scope", "one subject", limit=total, window=WINDOW)
        assert not ratelimit.hit("test-scope", "other subject", limit=1, window=WINDOW)
