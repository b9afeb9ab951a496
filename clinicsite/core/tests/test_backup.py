"""bin/backup and bin/restore, end to end, on the engine the suite runs on.

The site whose backup is taken is a copy of the test database (migrated, demo content and
follow-ups loaded) with its own file roots; the scripts run in subprocesses against it and
against a second, empty database (a SQLite file, or a PostgreSQL database beside the test one),
the way an operator runs them. What can be refused without touching a database (other keys, a
tampered or altered backup) is checked in-process with database access blocked, which also
proves those refusals come before any write.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

import pytest
from cryptography.fernet import Fernet, MultiFernet

from clinicsite.applications.tests.factories import png_bytes
from clinicsite.core import backup as backups

ROOT = Path(__file__).resolve().parents[3]
SECRET_KEY = "backup-test-secret-key-that-must-never-appear-in-a-backup-0123456789"
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
# Every test is marked, so pytest-django keeps them together (it runs database tests first)
# and the module's one expensive fixture is built once.
pytestmark = pytest.mark.django_db

CREATE_APPLICATIONS = """
import json
from django.contrib.sessions.backends.db import SessionStore
from clinicsite.applications import services
from clinicsite.applications.tests.factories import make_application
made = []
for n in range(3):
    app = make_application(full_name=f"Backup Patient {n}", medicines=f"Backup medicine {n}")
    services.application_add_note(application=app, author=None, body=f"Backup note {n}")
    made.append({"reference": app.reference, "record": app.records.get().stored_name})
session = SessionStore()
session["probe"] = 1
session.create()
print(json.dumps({"applications": made, "session_key": session.session_key}))
"""


@dataclass
class Site:
    """One installation: its database and file roots, and the environment its commands see."""

    url: str
    root: Path
    keys: str  # FIELD_ENCRYPTION_KEYS as the site is configured (tests change the settings)

    @property
    def private(self) -> Path:
        return self.root / "private"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "clinicsite.settings.dev",
            "DEBUG": "false",
            "SECRET_KEY": SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": self.keys,
            "DATABASE_URL": self.url,
            "VAR_DIR": str(self.root),
            "MEDIA_ROOT": str(self.root / "media"),
            "PRIVATE_MEDIA_ROOT": str(self.private),
            "PY": sys.executable,
        }

    def run(self, script: str, *args: str) -> subprocess.CompletedProcess:
        """Run one of the project's scripts (``bin/backup``, ``manage.py``) as this site."""
        command = [sys.executable] if script.endswith(".py") else []
        return subprocess.run(
            [*command, str(ROOT / script), *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    def rows(self, sql: str) -> list[tuple]:
        if POSTGRES:
            import psycopg

            with psycopg.connect(self.url) as conn:
                return [tuple(row) for row in conn.execute(sql).fetchall()]
        conn = sqlite3.connect(self.root / "db.sqlite3")
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()


@dataclass
class Run:
    source: Site
    target: Site
    backup: Path
    made: dict
    restore: subprocess.CompletedProcess


def _pg_database(name: str, template: str | None = None) -> str:
    """A fresh PostgreSQL database beside the test one (as the browser tests make theirs)."""
    import psycopg

    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:  # a template must have no other sessions: ours are closed already
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [template],
            )
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def run(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("backup")
    source_root, target_root = tmp / "source", tmp / "target"
    # The source site: the test database as committed by the session setup, and its files.
    shutil.copytree(settings.MEDIA_ROOT, source_root / "media")
    shutil.copytree(settings.PRIVATE_MEDIA_ROOT, source_root / "private")
    test_database = connection.settings_dict["NAME"]
    with django_db_blocker.unblock():
        if POSTGRES:
            connections.close_all()
            source_url = _pg_database(f"{test_database}_backup_source", template=test_database)
            target_url = _pg_database(f"{test_database}_backup_target")
        else:
            connection.ensure_connection()
            copy = sqlite3.connect(source_root / "db.sqlite3")
            connection.connection.backup(copy)
            copy.close()
            source_url = f"sqlite:///{source_root / 'db.sqlite3'}"
            target_url = f"sqlite:///{target_root / 'db.sqlite3'}"
    keys = ",".join(settings.FIELD_ENCRYPTION_KEYS)
    source, target = Site(source_url, source_root, keys), Site(target_url, target_root, keys)
    try:
        created = source.run("manage.py", "shell", "-v0", "-c", CREATE_APPLICATIONS)
        assert created.returncode == 0, created.stderr
        made = json.loads(created.stdout.strip().splitlines()[-1])
        made_backup = source.run("bin/backup", str(tmp / "backups"))
        assert made_backup.returncode == 0, made_backup.stderr
        path = Path(made_backup.stdout.strip().splitlines()[-1])
        restored = target.run("bin/restore", str(path))
        yield Run(source, target, path, made, restored)
    finally:
        if POSTGRES:
            _drop_pg_database(f"{test_database}_backup_source")
            _drop_pg_database(f"{test_database}_backup_target")


def opened(fernet: MultiFernet, token: object, context: str) -> bytes:
    """Decrypt and check the binding header by hand (core/crypto.py's layout), so the restore
    is checked independently of the code that wrote it: still bound to the same place."""
    plaintext = fernet.decrypt(bytes(token))
    header = b"\x00cs1" + len(context.encode()).to_bytes(2, "big") + context.encode()
    assert plaintext.startswith(header)
    return plaintext[len(header) :]


def test_restore_brings_back_the_same_applications_decryptable_with_the_same_keys(run):
    assert run.restore.returncode == 0, run.restore.stderr
    assert "Decrypted with the configured keys" in run.restore.stdout
    fernet = MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])
    answers = dict(run.target.rows("SELECT reference, answers_ciphertext FROM "
                                   "applications_application"))  # fmt: skip
    note_rows = run.target.rows(
        "SELECT a.reference, n.body_ciphertext, n.seal_id FROM applications_cliniciannote n "
        "JOIN applications_application a ON a.id = n.application_id"
    )
    notes = {reference: (token, uuid.UUID(str(seal_id))) for reference, token, seal_id in note_rows}
    records = dict(run.target.rows(
        "SELECT r.stored_name, a.reference FROM applications_medicalrecord r "
        "JOIN applications_application a ON a.id = r.application_id"
    ))  # fmt: skip
    assert len(run.made["applications"]) == 3
    for n, made in enumerate(run.made["applications"]):
        reference = made["reference"]
        answer = opened(
            fernet, answers[reference], f"applications.application:answers_ciphertext:{reference}"
        )
        assert json.loads(answer)["medicines"] == f"Backup medicine {n}"
        note, seal_id = notes[reference]
        note_context = f"applications.cliniciannote:body_ciphertext:{seal_id}"
        assert opened(fernet, note, note_context) == f"Backup note {n}".encode()
        assert records[made["record"]] == reference
        stored = run.target.private / made["record"][:2] / made["record"]
        file_context = f"applications.medicalrecord:file:{made['record']}"
        assert opened(fernet, stored.read_bytes(), file_context) == png_bytes()
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    # the whole site came back (demo follow-ups included), and the restore is in its log
    source_count = run.source.rows("SELECT COUNT(*) FROM applications_application")[0][0]
    assert len(answers) == source_count
    assert run.target.rows("SELECT COUNT(*) FROM followups_treatment")[0][0] > 0
    assert "treatment notes" in run.restore.stdout
    assert run.target.rows(
        "SELECT COUNT(*) FROM core_auditentry WHERE action = 'backup.restored'"
    ) == [(1,)]
    # sessions are bearer credentials: none travels in a backup
    assert run.source.rows("SELECT COUNT(*) FROM django_session")[0][0] >= 1
    assert run.target.rows("SELECT COUNT(*) FROM django_session") == [(0,)]


def test_restore_refuses_a_database_that_is_not_empty(run, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("restore went ahead over the test database")

    monkeypatch.setattr(backups.database, "restore_postgresql", must_not_run)
    monkeypatch.setattr(backups.database, "restore_sqlite", must_not_run)
    # the test database holds the demo site
    with pytest.raises(CommandError, match=r"is not empty .*pass --force.*Nothing was changed"):
        call_command("restore", str(run.backup), verbosity=0)


def test_force_replaces_a_database_that_holds_data(run):
    planted = "CREATE TABLE planted_by_a_newer_version (id integer PRIMARY KEY, user_id bigint "
    planted += "REFERENCES accounts_user (id))"
    if POSTGRES:
        import psycopg

        with psycopg.connect(run.target.url, autocommit=True) as conn:
            conn.execute(planted)
    else:
        conn = sqlite3.connect(run.target.root / "db.sqlite3")
        conn.execute(planted)
        conn.close()
    forced = run.target.run("bin/restore", "--force", str(run.backup))
    assert forced.returncode == 0, forced.stderr
    tables = "SELECT COUNT(*) FROM {} WHERE {} = 'planted_by_a_newer_version'"
    if POSTGRES:
        query = tables.format("information_schema.tables", "table_name")
    else:
        query = tables.format("sqlite_master", "name")
    assert run.target.rows(query) == [(0,)]
    references = {made["reference"] for made in run.made["applications"]}
    restored = {row[0] for row in run.target.rows("SELECT reference FROM applications_application")}
    assert references <= restored


def _backup_text(path: Path) -> bytes:
    """Every byte of the backup as stored (the PostgreSQL dump as its SQL text)."""
    chunks = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        if file.name == backups.PG_DUMP_FILE:
            chunks.append(subprocess.run(
                [shutil.which("pg_restore") or "pg_restore", "--file=-", str(file)],
                capture_output=True, check=True,
            ).stdout)  # fmt: skip
        else:
            chunks.append(file.read_bytes())
    return b"\n".join(chunks)


def test_backup_is_private_and_holds_no_keys_or_sessions(run):
    assert stat.S_IMODE(run.backup.stat().st_mode) == 0o700
    entries = list(run.backup.rglob("*"))
    assert any(p.name == backups.MANIFEST for p in entries)
    for entry in entries:
        assert stat.S_IMODE(entry.stat().st_mode) == (0o700 if entry.is_dir() else 0o600), entry
    everything = _backup_text(run.backup)
    assert b"Backup Patient 1" in everything, "the search below would find nothing: broken"
    for key in settings.FIELD_ENCRYPTION_KEYS:
        assert key.encode() not in everything
        assert backups.integrity.raw_key(key) not in everything
    assert SECRET_KEY.encode() not in everything
    assert run.made["session_key"].encode() not in everything
    manifest = json.loads((run.backup / backups.MANIFEST).read_text())
    assert manifest["engine"] == connection.vendor
    assert "0001_initial" in manifest["migrations"]["applications"]
    assert manifest["row_counts"]["applications.Application"]["rows"] >= 3
    assert manifest["key_fingerprints"] == [
        backups.key_fingerprint(key) for key in settings.FIELD_ENCRYPTION_KEYS
    ]


def test_the_manifest_counts_every_key_table_the_apps_registered(run):
    manifest = json.loads((run.backup / backups.MANIFEST).read_text())
    # every table the apps registered (which ones: test_boundaries)
    assert set(manifest["row_counts"]) == set(backups.registered_key_tables())
    assert manifest["row_counts"]["followups.Treatment"]["rows"] > 0  # demo follow-ups loaded


# --- refusals before anything is touched (database access blocked) -------------------------


@pytest.fixture
def no_database(django_db_blocker) -> Iterator[None]:
    """Any query raises: a refusal that comes after touching the database fails the test."""
    with django_db_blocker.block():
        yield


def test_restore_refuses_a_backup_made_with_other_keys(run, settings, no_database):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="None of the configured FIELD_ENCRYPTION_KEYS") as err:
        call_command("restore", str(run.backup), verbosity=0)
    message = str(err.value)
    assert backups.key_fingerprint(run.source.keys) in message
    assert "Nothing was changed" in message


def test_a_new_key_in_front_of_the_old_one_still_matches(run, settings, no_database):
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    call_command("restore", "--check", str(run.backup), verbosity=0)


@pytest.fixture
def copy_of_backup(run, tmp_path) -> Path:
    copy = tmp_path / run.backup.name
    shutil.copytree(run.backup, copy)
    return copy


@pytest.mark.parametrize("victim", ["record", "database"])
def test_a_tampered_backup_file_fails_the_checksum(run, copy_of_backup, no_database, victim):
    if victim == "record":
        name = run.made["applications"][0]["record"]
        path = copy_of_backup / "private" / name[:2] / name
    else:
        path = (
            copy_of_backup
            / json.loads((copy_of_backup / backups.MANIFEST).read_text())["database_file"]
        )
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, same size
    path.write_bytes(bytes(data))
    relative = path.relative_to(copy_of_backup).as_posix()
    with pytest.raises(CommandError, match=f"Checksum mismatch for {re.escape(relative)}"):
        call_command("restore", str(copy_of_backup), verbosity=0)


def test_a_manifest_edited_to_match_tampering_fails_its_hmac(run, copy_of_backup, no_database):
    name = run.made["applications"][0]["record"]
    record = copy_of_backup / "private" / name[:2] / name
    record.write_bytes(b"forged")
    manifest_path = copy_of_backup / backups.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][record.relative_to(copy_of_backup).as_posix()] = {
        "sha256": backups.integrity.sha256_of(record), "size": record.stat().st_size,
    }  # fmt: skip
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="has been altered or damaged"):
        call_command("restore", str(copy_of_backup), verbosity=0)


def test_an_added_file_is_refused(run, copy_of_backup, no_database):
    (copy_of_backup / "media").mkdir(exist_ok=True, mode=0o700)
    (copy_of_backup / "media" / "planted.html").write_text("<script>")
    with pytest.raises(CommandError, match=r"not in the manifest were added: media/planted\.html"):
        call_command("restore", "--check", str(copy_of_backup), verbosity=0)


def test_a_backup_from_newer_code_is_refused(run, copy_of_backup, no_database):
    manifest_path = copy_of_backup / backups.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["migrations"]["applications"].append("9999_from_the_future")
    key = settings.FIELD_ENCRYPTION_KEYS[0]  # someone with the keys: the HMAC is right
    manifest["mac"] = {backups.key_fingerprint(key): backups.integrity.mac(manifest, key)}
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match=r"newer version .*applications\.9999_from_the_future"):
        call_command("restore", str(copy_of_backup), verbosity=0)
