"""Backups of the database and both file trees, and restoring them (``manage.py backup`` /
``restore``, wrapped by ``bin/backup`` and ``bin/restore``).

Why management commands rather than shell scripts: the database to dump, its engine, the two
file roots and the encryption keys all come from Django's settings (``DATABASE_URL`` parsed by
dj-database-url, ``MEDIA_ROOT``, ``PRIVATE_MEDIA_ROOT``, ``FIELD_ENCRYPTION_KEYS``); the
restore ends with ``migrate`` and with the same decrypt-everything check as
``rotate_keys --dry-run`` (``core.encrypted.rotate_all``), which only Python can reuse.

A backup is one directory, ``clinicsite-<UTC time>``, mode 0700, files 0600:

* ``database.pgdump`` (``pg_dump --format=custom``, from an exported snapshot so row counts and
  migration state describe exactly what was dumped) or ``database.sqlite3`` (SQLite's online
  backup API: a consistent copy while the site keeps writing in WAL mode);
* ``media/`` and ``private/``: copies of ``MEDIA_ROOT`` and ``PRIVATE_MEDIA_ROOT``;
* ``manifest.json``: time, engine, applied migrations, row counts of key tables, the SHA-256
  of every file, a fingerprint of each encryption key, and an HMAC of all that under a key
  derived from each encryption key, so a backup edited by someone without the keys is refused
  even if they recomputed the checksums.

It never contains the encryption keys or ``SECRET_KEY`` (they are not in the database or the
file trees), and it leaves out the *rows* of ``django_session``: a session key is a bearer
credential, and a stolen backup must not let anyone sign in as a member of staff.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import getpass
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import audit, encrypted

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.pgdump"
SQLITE_FILE = "database.sqlite3"
TREES = {"media": "MEDIA_ROOT", "private": "PRIVATE_MEDIA_ROOT"}  # backup subdirectory: setting
# Row counts recorded in the manifest and compared after a restore: core's own below, the
# apps' registered with ``register_key_tables`` (labels, so core imports no domain app).
_CORE_KEY_TABLES = ("core.AuditEntry", "wagtailcore.Page")
_KEY_TABLES: list[str] = list(_CORE_KEY_TABLES)
SESSION_TABLE = "django_session"
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
_MAC_INFO = b"clinicsite backup manifest v1"
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """Something the operator must fix; the message says what, and nothing was half-done."""


Log = Callable[[str], None]


# --- keys ---------------------------------------------------------------------------------


def _raw_key(key: str) -> bytes:
    return base64.urlsafe_b64decode(key.encode())


def key_fingerprint(key: str) -> str:
    """First 8 bytes of SHA-256 of the 32 key bytes: names a key without revealing it."""
    return hashlib.sha256(_raw_key(key)).hexdigest()[:16]


def _configured_keys() -> dict[str, str]:
    return {key_fingerprint(key): key for key in settings.FIELD_ENCRYPTION_KEYS}


def _canonical(document: dict[str, Any]) -> bytes:
    body = {name: value for name, value in document.items() if name != "mac"}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _mac(document: dict[str, Any], key: str) -> str:
    # A separate key derived for this one purpose: the Fernet key itself never signs anything.
    mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_MAC_INFO).derive(
        _raw_key(key)
    )
    return hmac.new(mac_key, _canonical(document), hashlib.sha256).hexdigest()


# --- files --------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(root: Path) -> Iterator[Path]:
    """Every regular file under ``root``, sorted; refuses symbolic links (never followed)."""
    if not root.exists():
        return
    for directory, subdirectories, names in os.walk(root):
        subdirectories.sort()
        for name in sorted(names + [d for d in subdirectories if Path(directory, d).is_symlink()]):
            path = Path(directory, name)
            if path.is_symlink() or not path.is_file():
                raise BackupError(f"{path} is not a regular file (symbolic link?); refusing it.")
            yield path


def _copy(source: Path, target: Path, *, file_mode: int, dir_mode: int) -> str:
    """Copy one file, creating its directories, and return the SHA-256 of what was written."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=dir_mode)
    digest = hashlib.sha256()
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, file_mode)
    with source.open("rb") as reader, os.fdopen(descriptor, "wb") as writer:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            writer.write(chunk)
    os.chmod(target, file_mode)
    return digest.hexdigest()


def _inside(path: Path, root: Path) -> bool:
    path, root = path.resolve(), root.resolve()
    return path == root or root in path.parents


# --- database: PostgreSQL -----------------------------------------------------------------


def _engine() -> str:
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


def _key_tables() -> dict[str, str]:
    """Label to table name, for every registered model that is installed (others skipped)."""
    tables = {}
    for label in _KEY_TABLES:
        with contextlib.suppress(LookupError):
            tables[label] = apps.get_model(label)._meta.db_table
    return tables


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _describe(cursor: Any) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """Applied migrations and key-table row counts, read through a DB-API cursor."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations: dict[str, list[str]] = {}
    for app_label, name in cursor.fetchall():
        migrations.setdefault(app_label, []).append(name)
    counts = {}
    for label, table in _key_tables().items():
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - our own names
        counts[label] = {"table": table, "rows": cursor.fetchone()[0]}
    return migrations, counts


def _dump_postgresql(work: Path) -> tuple[str, dict[str, list[str]], dict[str, Any], str]:
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


def _dump_sqlite(work: Path) -> tuple[str, dict[str, list[str]], dict[str, Any], str]:
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


# --- backup -------------------------------------------------------------------------------


def create_backup(destination: Path, *, log: Log = lambda _message: None) -> Path:
    """Write a new backup directory under ``destination`` and return its path."""
    destination = Path(destination).absolute()
    for setting in ("MEDIA_ROOT", "PRIVATE_MEDIA_ROOT", "STATIC_ROOT"):
        root = Path(getattr(settings, setting))
        if _inside(destination, root):
            raise BackupError(f"Refusing to write a backup inside {setting} ({root}).")
    if not settings.FIELD_ENCRYPTION_KEYS:
        raise BackupError("FIELD_ENCRYPTION_KEYS is empty: a backup could never be checked.")
    engine = _engine()
    previous_umask = os.umask(0o077)  # everything below is created 0600 / 0700
    try:
        destination.mkdir(parents=True, exist_ok=True)
        started = datetime.datetime.now(datetime.UTC)
        final = destination / f"clinicsite-{started:%Y%m%dT%H%M%SZ}"
        if final.exists():
            raise BackupError(f"{final} already exists; wait a second and run again.")
        work = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=destination))
        try:
            log(f"Dumping the {engine} database")
            dump = _dump_postgresql if engine == "postgresql" else _dump_sqlite
            database_file, migrations, counts, tool_version = dump(work)
            files = {database_file: {"sha256": _sha256(work / database_file),
                                     "size": (work / database_file).stat().st_size}}  # fmt: skip
            for subdirectory, setting in TREES.items():
                root = Path(getattr(settings, setting))
                log(f"Copying {setting} ({root})")
                for path in _walk(root):
                    name = f"{subdirectory}/{path.relative_to(root).as_posix()}"
                    digest = _copy(path, work / name, file_mode=0o600, dir_mode=0o700)
                    files[name] = {"sha256": digest, "size": (work / name).stat().st_size}
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "created_at": started.isoformat(),
                "engine": engine,
                "database_file": database_file,
                "tool": tool_version,
                "migrations": migrations,
                "row_counts": counts,
                "files": files,
                "key_fingerprints": list(_configured_keys()),
                "excluded": [f"rows of {SESSION_TABLE}"],
                "host": socket.gethostname(),
            }
            manifest["mac"] = {fp: _mac(manifest, key) for fp, key in _configured_keys().items()}
            descriptor = os.open(work / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                json.dump(manifest, handle, indent=2, sort_keys=True)
            os.chmod(work, 0o700)
            work.rename(final)  # a directory without .partial is complete
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    finally:
        os.umask(previous_umask)
    audit.record(
        action="backup.created",
        details={"backup": final.name, "engine": engine, "files": len(files),
                 "by": _operator()},
    )  # fmt: skip
    return final


def _operator() -> str:
    with contextlib.suppress(OSError, KeyError):
        return f"{getpass.getuser()}@{socket.gethostname()}"
    return "unknown"


# --- checks before a restore --------------------------------------------------------------


def read_manifest(backup: Path) -> dict[str, Any]:
    """The parsed manifest, or a ``BackupError`` saying why this is not a usable backup."""
    path = Path(backup) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist: is {backup} a clinicsite backup?") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not valid JSON: the backup is damaged ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a format-{FORMAT} clinicsite backup manifest.")
    return manifest


def check_backup(backup: Path) -> dict[str, Any]:
    """Everything that can be checked without touching the database; returns the manifest.

    Order matters for the messages: the keys first (without them nothing else is worth
    restoring), then the manifest's HMAC, then every file's checksum.
    """
    backup = Path(backup)
    manifest = read_manifest(backup)
    engine = _engine()
    if manifest.get("engine") != engine:
        raise BackupError(
            f"This backup holds a {manifest.get('engine')} database, but DATABASE_URL names a "
            f"{engine} database. Restore it into the same engine it was made from."
        )
    configured = _configured_keys()
    recorded = list(manifest.get("key_fingerprints") or [])
    matching = [fp for fp in recorded if fp in configured]
    if not matching:
        raise BackupError(
            "None of the configured FIELD_ENCRYPTION_KEYS is a key this backup was made with, "
            "so its health data could not be read. The backup was made with the keys "
            f"{', '.join(recorded) or '(none recorded)'} (fingerprints); configured now: "
            f"{', '.join(configured) or '(none)'}. Put the keys that were in use on "
            f"{manifest.get('created_at', '?')[:10]} (from your secret manager) in "
            "FIELD_ENCRYPTION_KEYS and run again. Nothing was changed."
        )
    expected = (manifest.get("mac") or {}).get(matching[0], "")
    if not hmac.compare_digest(expected, _mac(manifest, configured[matching[0]])):
        raise BackupError(
            f"{backup / MANIFEST} has been altered or damaged (its HMAC does not match). "
            "Use another copy of this backup. Nothing was changed."
        )
    files = manifest.get("files") or {}
    present = {path.relative_to(backup).as_posix() for path in _walk(backup)} - {MANIFEST}
    if missing := sorted(set(files) - present):
        raise BackupError(f"Files listed in the manifest are missing: {', '.join(missing[:5])}.")
    if extra := sorted(present - set(files)):
        raise BackupError(f"Files not in the manifest were added: {', '.join(extra[:5])}.")
    for name, entry in sorted(files.items()):
        path = backup / name
        if path.stat().st_size != entry.get("size") or _sha256(path) != entry.get("sha256"):
            raise BackupError(
                f"Checksum mismatch for {name}: the file was changed or damaged after the "
                "backup was made. Use another copy of this backup. Nothing was changed."
            )
    unknown = _unknown_migrations(manifest.get("migrations") or {})
    if unknown:
        raise BackupError(
            "This backup was made by a newer version of clinicsite (migrations this code does "
            f"not have: {', '.join(unknown[:5])}). Deploy that version first."
        )
    return manifest


def _unknown_migrations(applied: dict[str, list[str]]) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    installed = {config.label for config in apps.get_app_configs()}
    return [
        f"{app_label}.{name}"
        for app_label, names in sorted(applied.items())
        for name in names
        if app_label in installed and (app_label, name) not in known
    ]


def _database_tables() -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


# --- restore ------------------------------------------------------------------------------


def _restore_postgresql(backup: Path, *, force: bool, log: Log) -> None:
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
    if force and (extra := sorted(set(_database_tables()) - in_dump)):
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


def _restore_sqlite(backup: Path, *, log: Log) -> None:
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


def _restore_tree(backup: Path, subdirectory: str, setting: str, files: dict[str, Any]) -> int:
    root = Path(getattr(settings, setting))
    private = setting == "PRIVATE_MEDIA_ROOT"
    file_mode = 0o600 if private else (settings.FILE_UPLOAD_PERMISSIONS or 0o644)
    dir_mode = 0o700 if private else (settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS or 0o755)
    root.mkdir(parents=True, exist_ok=True, mode=dir_mode)
    copied = 0
    for name, entry in sorted(files.items()):
        if not name.startswith(f"{subdirectory}/"):
            continue
        target = root / name.removeprefix(f"{subdirectory}/")
        if not _inside(target, root):  # names came from our own walk; refuse anything odd
            raise BackupError(f"{name} would be restored outside {setting}.")
        if _copy(backup / name, target, file_mode=file_mode, dir_mode=dir_mode) != entry["sha256"]:
            raise BackupError(f"{name} changed while it was being restored.")
        copied += 1
    return copied


def _compare_counts(manifest: dict[str, Any]) -> None:
    wrong = []
    with connection.cursor() as cursor:
        for label, entry in sorted((manifest.get("row_counts") or {}).items()):
            cursor.execute(f"SELECT COUNT(*) FROM {_quote(entry['table'])}")  # noqa: S608
            if (rows := cursor.fetchone()[0]) != entry["rows"]:
                wrong.append(f"{label}: {rows} rows, backup had {entry['rows']}")
    if wrong:
        raise BackupError("The restored database does not match the backup: " + "; ".join(wrong))


def restore_backup(
    backup: Path, *, force: bool = False, log: Log = lambda _message: None
) -> dict[str, int]:
    """Restore ``backup`` into the configured database and file roots; returns what decrypted.

    Refuses (``BackupError``, before changing anything) on a backup made with other keys, a
    damaged or altered backup, or a database or file root that already holds data (unless
    ``force``). Afterwards runs ``migrate`` and proves every ciphertext decrypts.
    """
    backup = Path(backup).absolute()
    manifest = check_backup(backup)
    log(f"Backup of {manifest['created_at']} checked: keys, HMAC and {len(manifest['files'])} "
        "checksums")  # fmt: skip
    if not force:
        if tables := _database_tables():
            raise BackupError(
                f"The database {connection.settings_dict['NAME']} is not empty ({len(tables)} "
                "tables). Restore into an empty database, or pass --force to replace its "
                "contents. Nothing was changed."
            )
        for setting in TREES.values():
            root = Path(getattr(settings, setting))
            if root.exists() and any(root.iterdir()):
                raise BackupError(
                    f"{setting} ({root}) is not empty. Restore into empty directories, or pass "
                    "--force to overwrite files of the same name. Nothing was changed."
                )
    if manifest["engine"] == "postgresql":
        _restore_postgresql(backup, force=force, log=log)
    else:
        _restore_sqlite(backup, log=log)
    _compare_counts(manifest)
    files = manifest["files"]
    for subdirectory, setting in TREES.items():
        copied = _restore_tree(backup, subdirectory, setting, files)
        log(f"Restored {copied} files into {setting}")
    log("Running migrate")
    call_command("migrate", interactive=False, verbosity=0)
    log("Checking that every encrypted value and file decrypts with the configured keys")
    try:
        counts = encrypted.rotate_all(dry_run=True)
    except encrypted.UnreadableCiphertext as exc:
        raise BackupError(
            f"The backup was restored, but {exc}. Some data was encrypted with a key that is "
            "not configured: add the missing key (newest first) to FIELD_ENCRYPTION_KEYS and "
            "run `manage.py rotate_keys --dry-run` to check again."
        ) from exc
    audit.record(
        action="backup.restored",
        details={"backup": backup.name, "created_at": manifest["created_at"],
                 "forced": force, "by": _operator()},
    )  # fmt: skip
    return counts
