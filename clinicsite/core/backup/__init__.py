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

import contextlib
import datetime
import getpass
import hmac
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from .. import audit, encrypted
from . import database, integrity
from .database import PG_DUMP_FILE, SQLITE_FILE, register_key_tables, registered_key_tables
from .integrity import MANIFEST, BackupError, Log, key_fingerprint, read_manifest

__all__ = [
    "MANIFEST",
    "PG_DUMP_FILE",
    "SQLITE_FILE",
    "BackupError",
    "check_backup",
    "create_backup",
    "key_fingerprint",
    "read_manifest",
    "register_key_tables",
    "registered_key_tables",
    "restore_backup",
]

TREES = {"media": "MEDIA_ROOT", "private": "PRIVATE_MEDIA_ROOT"}  # backup subdirectory: setting


def create_backup(destination: Path, *, log: Log = lambda _message: None) -> Path:
    """Write a new backup directory under ``destination`` and return its path."""
    destination = Path(destination).absolute()
    for setting in ("MEDIA_ROOT", "PRIVATE_MEDIA_ROOT", "STATIC_ROOT"):
        root = Path(getattr(settings, setting))
        if integrity.inside(destination, root):
            raise BackupError(f"Refusing to write a backup inside {setting} ({root}).")
    if not settings.FIELD_ENCRYPTION_KEYS:
        raise BackupError("FIELD_ENCRYPTION_KEYS is empty: a backup could never be checked.")
    engine = database.engine()
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
            dump = database.dump_postgresql if engine == "postgresql" else database.dump_sqlite
            database_file, migrations, counts, tool_version = dump(work)
            files = {database_file: {"sha256": integrity.sha256_of(work / database_file),
                                     "size": (work / database_file).stat().st_size}}  # fmt: skip
            for subdirectory, setting in TREES.items():
                root = Path(getattr(settings, setting))
                log(f"Copying {setting} ({root})")
                for path in integrity.walk(root):
                    name = f"{subdirectory}/{path.relative_to(root).as_posix()}"
                    digest = integrity.copy_file(path, work / name, file_mode=0o600, dir_mode=0o700)
                    files[name] = {"sha256": digest, "size": (work / name).stat().st_size}
            manifest: dict[str, Any] = {
                "format": integrity.FORMAT,
                "created_at": started.isoformat(),
                "engine": engine,
                "database_file": database_file,
                "tool": tool_version,
                "migrations": migrations,
                "row_counts": counts,
                "files": files,
                "key_fingerprints": list(integrity.configured_keys()),
                "excluded": [f"rows of {database.SESSION_TABLE}"],
                "host": socket.gethostname(),
            }
            manifest["mac"] = {
                fp: integrity.mac(manifest, key) for fp, key in integrity.configured_keys().items()
            }
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


def check_backup(backup: Path) -> dict[str, Any]:
    """Everything that can be checked without touching the database; returns the manifest.

    Order matters for the messages: the keys first (without them nothing else is worth
    restoring), then the manifest's HMAC, then every file's checksum.
    """
    backup = Path(backup)
    manifest = read_manifest(backup)
    engine = database.engine()
    if manifest.get("engine") != engine:
        raise BackupError(
            f"This backup holds a {manifest.get('engine')} database, but DATABASE_URL names a "
            f"{engine} database. Restore it into the same engine it was made from."
        )
    configured = integrity.configured_keys()
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
    if not hmac.compare_digest(expected, integrity.mac(manifest, configured[matching[0]])):
        raise BackupError(
            f"{backup / MANIFEST} has been altered or damaged (its HMAC does not match). "
            "Use another copy of this backup. Nothing was changed."
        )
    files = manifest.get("files") or {}
    present = {path.relative_to(backup).as_posix() for path in integrity.walk(backup)} - {MANIFEST}
    if missing := sorted(set(files) - present):
        raise BackupError(f"Files listed in the manifest are missing: {', '.join(missing[:5])}.")
    if extra := sorted(present - set(files)):
        raise BackupError(f"Files not in the manifest were added: {', '.join(extra[:5])}.")
    for name, entry in sorted(files.items()):
        path = backup / name
        if path.stat().st_size != entry.get("size") or integrity.sha256_of(path) != entry.get(
            "sha256"
        ):
            raise BackupError(
                f"Checksum mismatch for {name}: the file was changed or damaged after the "
                "backup was made. Use another copy of this backup. Nothing was changed."
            )
    unknown = database.unknown_migrations(manifest.get("migrations") or {})
    if unknown:
        raise BackupError(
            "This backup was made by a newer version of clinicsite (migrations this code does "
            f"not have: {', '.join(unknown[:5])}). Deploy that version first."
        )
    return manifest


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
        if not integrity.inside(target, root):  # names came from our own walk; refuse anything odd
            raise BackupError(f"{name} would be restored outside {setting}.")
        if (
            integrity.copy_file(backup / name, target, file_mode=file_mode, dir_mode=dir_mode)
            != entry["sha256"]
        ):
            raise BackupError(f"{name} changed while it was being restored.")
        copied += 1
    return copied


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
        if tables := database.database_tables():
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
        database.restore_postgresql(backup, force=force, log=log)
    else:
        database.restore_sqlite(backup, log=log)
    database.compare_counts(manifest)
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
