"""A scratch site for one benchmark: its own database, migrated, and dropped afterwards.

SQLite in a temporary directory by default; with ``DATABASE_URL=postgresql://…`` a database
of its own on that server (named after the one given plus ``_bench_<label>``), so a benchmark
never touches real data. ``BENCH_KEEP=1`` keeps the temporary directory (the SQLite file) for
a look at query plans.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scratch:
    engine: str  # "sqlite" or "postgresql": the suffix of the results file
    env: dict[str, str]  # the environment the site's commands and servers run with
    var: Path  # a temporary directory for the run's files


def _postgres(admin_url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


@contextlib.contextmanager
def scratch_site(
    label: str,
    commands: Sequence[Sequence[str]] = (("migrate", "-v0"),),
    extra_env: dict[str, str] | None = None,
    setup_django: bool = True,
) -> Iterator[Scratch]:
    """Create the database, run the management ``commands`` (migrate; load_demo if asked),
    and with ``setup_django`` set Django up in this process against it."""
    var = Path(tempfile.mkdtemp(prefix=f"clinicsite-bench-{label}-"))
    admin_url = os.environ.get("DATABASE_URL", "")
    pg_name = None
    if admin_url.startswith("postgres"):
        base, pg_name = admin_url.rsplit("/", 1)
        pg_name += "_bench_" + label.replace("-", "_")
        drop = f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'
        _postgres(admin_url, drop, f'CREATE DATABASE "{pg_name}"')
        engine, url = "postgresql", f"{base}/{pg_name}"
    else:
        engine, url = "sqlite", f"sqlite:///{var / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinicsite.settings.dev",
        "DEBUG": "false",  # no query log growing in memory
        "VAR_DIR": str(var),
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    try:
        for command in commands:
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
        if setup_django:
            os.environ.update(env)
            sys.path.insert(0, str(ROOT))
            import django

            django.setup()
        yield Scratch(engine=engine, env=env, var=var)
    finally:
        if pg_name:
            if setup_django:
                from django.db import connections

                connections.close_all()
            _postgres(admin_url, drop)
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(var, ignore_errors=True)
