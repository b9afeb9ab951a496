"""The database side of a backup: the engine-specific dump and restore, the key tables whose
row counts a backup records, and the migration state it describes.

PostgreSQL is dumped with ``pg_dump --format=custom`` from an exported snapshot, so row counts
and migration state describe exactly what was dumped; SQLite with its online backup API (a
consistent copy while the site keeps writing in WAL mode). Neither keeps the rows of
``django_session``: a session key is a bearer credential.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from .integrity import BackupError, Log

PG_DUMP_FILE = "database.pgdump"
SQLITE_FILE = "database.sqlite3"
SESSION_TABLE = "django_session"
# Row counts recorded in the manifest and compared after a restore: core's own below, the
# apps' registered with ``register_key_tables`` (labels, so core imports no domain app).
_CORE_KEY_TABLES = ("core.AuditEntry", "wagtailcore.Page")
_KEY_TABLES: list[str] = list(_CORE_KEY_TABLES)
# libpq connection parameters that may sit in DATABASES["default"]["OPTIONS"].
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "options": "PGOPTIONS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def register_key_tables(*labels: str) -> None:
    """Declare models ("app_label.ModelName") whose row counts a backup records and a restore
    compares: the tables whose loss would matter most (people, health data, consent).

    Each app registers its own in ``AppConfig.ready``, as it does its encrypted columns
    (``core/encrypted.py``); order does not matter, the manifest sorts them.
    """
    for label in labels:
        if label not in _KEY_TABLES:
            _KEY_TABLES.append(label)


def registered_key_tables() -> list[str]:
    """A copy of the registry, so a test can check what the apps declared."""
    return list(_KEY_TABLES)


def key_tables() -> dict[str, str]:
    """Label to table name, for every registered model that is installed (others skipped)."""
    tables = {}
    for label in _KEY_TABLES:
        with contextlib.suppress(LookupError):
            tables[label] = apps.get_model(label)._meta.db_table
    return tables


def engine() -> str:
    if connection.vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    return connection.vendor


def _pg_environment() -> dict[str, str]:
    """libpq variables for pg_dump/pg_restore: the password never appears on a command line."""
    db = connection.settings_dict
    env = {**os.environ}
    for variable, value in (
        ("PGDATABASE", db.get("NAME")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
    ):
        if value:
            env[variable] = str(value)
    for option, variable in _LIBPQ_OPTIONS.items():
        if (value := (db.get("OPTIONS") or {}).get(option)) is not None:
            env[variable] = str(value)
    return env


def _pg_connect() -> Any:
    import psycopg

    db = connection.settings_dict
    params = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": db.get("PORT"),
        **{k: v for k, v in (db.get("OPTIONS") or {}).items() if k in _LIBPQ_OPTIONS},
    }
    return psycopg.connect(**{k: str(v) for k, v in params.items() if v not in (None, "")})


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found on PATH (apt-get install postgresql-client).")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _describe(cursor: Any) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """Applied migrations and key-table row counts, read through a DB-API cursor."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations: dict[str, list[str]] = {}
    for app_label, name in cursor.fetchall():
        migrations.setdefault(app_label, []).append(name)
    counts = {}
    for label, table in key_tables().items():
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - our own names
        counts[label] = {"table": table, "rows": cursor.fetchone()[0]}
    return migrations, counts


def dump_postgresql(work: Path) -> tuple[str, dict[str, list[str]], dict[str, Any], str]:
    import psycopg

    pg_dump = _tool("pg_dump")
    version = subprocess.run(  # noqa: S603
        [pg_dump, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with _pg_connect() as conn:
        # One snapshot for the dump, the counts and the migration state.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction(), conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run(
                [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
                 f"--exclude-table-data={SESSION_TABLE}", f"--file={work / PG_DUMP_FILE}"],
                _pg_environment(),
            )  # fmt: skip
            migrations, counts = _describe(cursor)
    os.chmod(work / PG_DUMP_FILE, 0o600)
    return PG_DUMP_FILE, migrations, counts, version


def dump_sqlite(work: Path) -> tuple[str, dict[str, list[str]], dict[str, Any], str]:
    target = work / SQLITE_FILE
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1): a consistent snapshot; WAL lets the site keep writing meanwhile.
        connection.connection.backup(copy)
        copy.execute(f"DELETE FROM {SESSION_TABLE}")  # noqa: S608
        copy.commit()
        # A self-contained file (no -wal beside it) without the deleted sessions' pages.
        copy.execute("PRAGMA journal_mode=DELETE")
        copy.execute("VACUUM")
        migrations, counts = _describe(copy.cursor())
    finally:
        copy.close()
    os.chmod(target, 0o600)
    return SQLITE_FILE, migrations, counts, f"SQLite {sqlite3.sqlite_version}"


def unknown_migrations(applied: dict[str, list[str]]) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    installed = {config.label for config in apps.get_app_configs()}
    return [
        f"{app_label}.{name}"
        for app_label, names in sorted(applied.items())
        for name in names
        if app_label in installed and (app_label, name) not in known
    ]


def database_tables() -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def restore_postgresql(backup: Path, *, force: bool, log: Log) -> None:
    pg_restore = _tool("pg_restore")
    env = _pg_environment()
    dump = str(backup / PG_DUMP_FILE)
    listing = subprocess.run(  # noqa: S603
        [pg_restore, "--list", dump], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"pg_restore cannot read {dump}: {listing.stderr.strip()}")
    in_dump = set(re.findall(r"^\d+; \d+ \d+ TABLE public (\S+) ", listing.stdout, re.MULTILINE))
    # With --force: tables the dump does not have (a newer schema) would make migrate fail.
    if force and (extra := sorted(set(database_tables()) - in_dump)):
        log(f"Dropping tables that are not in the backup: {', '.join(extra)}")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(map(_quote, extra))} CASCADE")
    connections.close_all()
    log("Restoring the PostgreSQL dump (one transaction)")
    _run(
        [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
         "--no-password", f"--dbname={env.get('PGDATABASE', '')}", dump],
        env,
    )  # fmt: skip


def restore_sqlite(backup: Path, *, log: Log) -> None:
    name = str(connection.settings_dict["NAME"])
    connections.close_all()
    log(f"Copying the SQLite database into {name}")
    source = sqlite3.connect(f"{(backup / SQLITE_FILE).as_uri()}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(name, uri=name.startswith("file:"))
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def compare_counts(manifest: dict[str, Any]) -> None:
    wrong = []
    with connection.cursor() as cursor:
        for label, entry in sorted((manifest.get("row_counts") or {}).items()):
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(entry['table'])}")  # noqa: S608
            if (rows := cursor.fetchone()[0]) != entry["rows"]:
                wrong.append(f"{label}: {rows} rows, backup had {entry['rows']}")
    if wrong:
        raise BackupError("The restored database does not match the backup: " + "; ".join(wrong))
