"""Every place health data is stored as Fernet ciphertext, and one walk over all of it.

Why a registry: ``core`` must not import the domain apps, yet key rotation
(``manage.py rotate_keys``) and the check after a restore (``manage.py restore``) must cover
*every* ciphertext — a column that one of them forgets is data that becomes unreadable the day
its old key is dropped. Each app that stores ciphertext registers its columns (and encrypted
files) in ``AppConfig.ready``; ``test_encrypted`` fails if a model gains a ``*_ciphertext``
column nobody registered. There is exactly one decrypt-everything loop: ``rotate_all``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from . import crypto

__all__ = ["UnreadableCiphertext", "register_column", "register_files", "rotate_all"]


@dataclass(frozen=True)
class Column:
    label: str  # what rotate_keys prints, e.g. "application answers"
    model: str  # "app_label.ModelName"
    field: str


@dataclass(frozen=True)
class FileSet:
    label: str
    names: Callable[[], Iterable[str]]
    read: Callable[[str], bytes]
    write: Callable[[str, bytes], None]


_COLUMNS: list[Column] = []
_FILES: list[FileSet] = []


class UnreadableCiphertext(crypto.InvalidToken):
    """A stored ciphertext no configured key opens (or an encrypted file that is missing)."""

    def __init__(self, where: str, reason: str = "no configured key decrypts it") -> None:
        self.where = where
        super().__init__(f"{where}: {reason}")


def register_column(label: str, model: str, field: str) -> None:
    """Declare that ``model.field`` holds Fernet tokens (nullable columns may hold NULL)."""
    column = Column(label, model, field)
    if column not in _COLUMNS:
        _COLUMNS.append(column)


def register_files(
    label: str,
    *,
    names: Callable[[], Iterable[str]],
    read: Callable[[str], bytes],
    write: Callable[[str, bytes], None],
) -> None:
    """Declare encrypted files: how to list their names, read and (atomically) rewrite one."""
    if all(existing.label != label for existing in _FILES):
        _FILES.append(FileSet(label, names, read, write))


def registered_columns() -> list[Column]:
    """A copy of the registry, so a test can compare it with the models' actual columns."""
    return list(_COLUMNS)


def _check_column(column: Column) -> int:
    """Decrypt every value in one streamed query (a check needs no locks)."""
    model = apps.get_model(column.model)
    count = 0
    values = model.objects.order_by("pk").values_list("pk", column.field)
    for pk, token in values.iterator(chunk_size=500):
        if token is None:  # a nullable column not filled yet
            continue
        try:
            crypto.decrypt(bytes(token))
        except crypto.InvalidToken as exc:
            raise UnreadableCiphertext(f"{column.label} ({column.model} id {pk})") from exc
        count += 1
    return count


def _rotate_column(column: Column, *, dry_run: bool) -> int:
    if dry_run:
        return _check_column(column)
    model = apps.get_model(column.model)
    count = 0
    for pk in model.objects.values_list("pk", flat=True).order_by("pk").iterator():
        # Row by row under a lock, so a concurrent write is neither lost nor overwritten.
        with transaction.atomic():
            rows = model.objects.filter(pk=pk)
            token = rows.select_for_update().values_list(column.field, flat=True).first()
            if token is None:  # a nullable column not filled yet (or the row just went)
                continue
            try:
                rows.update(**{column.field: crypto.rotate(bytes(token))})
            except crypto.InvalidToken as exc:
                raise UnreadableCiphertext(f"{column.label} ({column.model} id {pk})") from exc
            count += 1
    return count


def _rotate_files(files: FileSet, *, dry_run: bool) -> int:
    count = 0
    for name in files.names():
        try:
            token = files.read(name)
        except FileNotFoundError as exc:
            raise UnreadableCiphertext(f"{files.label} ({name})", "the file is missing") from exc
        try:
            if dry_run:
                crypto.decrypt(token)
            else:
                files.write(name, crypto.rotate(token))
        except crypto.InvalidToken as exc:
            raise UnreadableCiphertext(f"{files.label} ({name})") from exc
        count += 1
    return count


def rotate_all(*, dry_run: bool = False) -> dict[str, int]:
    """Re-encrypt every registered ciphertext under the newest key; ``dry_run`` only decrypts.

    Raises ``UnreadableCiphertext`` (an ``InvalidToken``) naming the first value that no
    configured key opens; with ``dry_run`` nothing has been written either way.
    """
    counts: dict[str, int] = {}
    for column in _COLUMNS:
        counts[column.label] = counts.get(column.label, 0) + _rotate_column(column, dry_run=dry_run)
    for files in _FILES:
        counts[files.label] = _rotate_files(files, dry_run=dry_run)
    return counts
