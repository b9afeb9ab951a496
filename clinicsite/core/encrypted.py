"""Every place health data is stored as Fernet ciphertext, how a value is bound to its place,
and one walk over all of it.

Why a registry: ``core`` must not import the domain apps, yet key rotation
(``manage.py rotate_keys``) and the check after a restore (``manage.py restore``) must cover
*every* ciphertext — a column that one of them forgets is data that becomes unreadable the day
its old key is dropped. Each app that stores ciphertext registers its columns (and encrypted
files) in ``AppConfig.ready``; ``test_encrypted`` fails if a model gains a ``*_ciphertext``
column nobody registered. There is exactly one decrypt-everything loop: ``rotate_all``.

Binding (``crypto.seal``): a column's value is sealed for ``"app_label.model:column:row"``,
where *row* is the value of the column's registered ``row`` field — a unique value that never
changes and is known *before* the INSERT (a random reference, a UUID, or the one-to-one parent
id), because the auto-increment pk is not. ``seal``/``unseal`` here are the only way the
apps read and write their columns, so the context is computed in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction

from . import crypto

__all__ = [
    "UnreadableCiphertext",
    "context_for",
    "register_column",
    "register_files",
    "rotate_all",
    "seal",
    "unseal",
]

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class Column:
    label: str  # what rotate_keys prints, e.g. "application answers"
    model: str  # "app_label.ModelName"
    field: str
    row: str  # the attribute that identifies the row in the bound context


@dataclass(frozen=True)
class FileSet:
    label: str
    names: Callable[[], Iterable[str]]
    read: Callable[[str], bytes]
    write: Callable[[str, bytes], None]
    context: Callable[[str], str]


_COLUMNS: list[Column] = []
_FILES: list[FileSet] = []


class UnreadableCiphertext(crypto.InvalidToken):
    """A stored ciphertext no configured key opens, one sealed for another place, or an
    encrypted file that is missing."""

    def __init__(self, where: str, reason: str = "no configured key decrypts it") -> None:
        self.where = where
        super().__init__(f"{where}: {reason}")


def register_column(label: str, model: str, field: str, *, row: str) -> None:
    """Declare that ``model.field`` holds sealed tokens (nullable columns may hold NULL).

    ``row`` names the attribute (unique, immutable, set before saving) that the values are
    bound to.
    """
    column = Column(label, model, field, row)
    if column not in _COLUMNS:
        _COLUMNS.append(column)


def register_files(
    label: str,
    *,
    names: Callable[[], Iterable[str]],
    read: Callable[[str], bytes],
    write: Callable[[str, bytes], None],
    context: Callable[[str], str],
) -> None:
    """Declare encrypted files: how to list, read, (atomically) rewrite one, and its context."""
    if all(existing.label != label for existing in _FILES):
        _FILES.append(FileSet(label, names, read, write, context))


def registered_columns() -> list[Column]:
    """A copy of the registry, so a test can compare it with the models' actual columns."""
    return list(_COLUMNS)


def _column(model: str, field: str) -> Column:
    for column in _COLUMNS:
        if column.model.lower() == model.lower() and column.field == field:
            return column
    raise LookupError(f"{model}.{field} is not a registered encrypted column")


def context_for(model: str, field: str, row: object) -> str:
    """The place a value is bound to: ``"app_label.model:column:row"``."""
    return f"{model.lower()}:{field}:{row}"


def _instance_context(instance: models.Model, field: str) -> str:
    column = _column(instance._meta.label, field)
    row = getattr(instance, column.row)
    if row is None or row == "":
        raise ValueError(f"{column.model}.{column.row} must be set before sealing {field}")
    return context_for(column.model, field, row)


def seal(instance: models.Model, field: str, data: bytes) -> bytes:
    """Encrypt ``data`` bound to this row and column, store it on ``instance`` and return it."""
    token = crypto.seal(data, _instance_context(instance, field))
    setattr(instance, field, token)
    return token


def unseal(instance: models.Model, field: str) -> bytes | None:
    """Decrypt this row's value of ``field`` (``None`` for NULL).

    Raises ``crypto.CiphertextMisplaced`` if the value was sealed for another row, column or
    model (or is an unbound token that settings do not allow).
    """
    token = getattr(instance, field)
    if token is None:
        return None
    return crypto.unseal(bytes(token), _instance_context(instance, field))


def _open_stored(column: Column, pk: object, row: object, token: object) -> tuple[bytes, bool]:
    """(the data, whether the token was unbound); names the row if it cannot be opened."""
    context = context_for(column.model, column.field, row)
    where = f"{column.label} ({column.model} id {pk})"
    try:
        return crypto.unseal(bytes(token), context, allow_unbound=False), False
    except crypto.CiphertextUnbound:
        return crypto.unseal(bytes(token), context, allow_unbound=True), True
    except crypto.CiphertextMisplaced as exc:
        raise UnreadableCiphertext(where, f"sealed for another place ({exc.found})") from exc
    except crypto.InvalidToken as exc:
        raise UnreadableCiphertext(where) from exc


def _check_column(column: Column) -> tuple[int, int]:
    """Open every value in one streamed query (a check needs no locks): (values, unbound)."""
    model = apps.get_model(column.model)
    count = unbound = 0
    values = model.objects.order_by("pk").values_list("pk", column.row, column.field)
    for pk, row, token in values.iterator(chunk_size=DEFAULT_BATCH_SIZE):
        if token is None:  # a nullable column not filled yet
            continue
        unbound += _open_stored(column, pk, row, token)[1]
        count += 1
    return count, unbound


def _rotate_column(column: Column, *, batch_size: int) -> tuple[int, int]:
    """Re-seal in batches: each is one transaction that locks its rows, then one UPDATE.

    The lock (``select_for_update``) means a concurrent write to a row in the batch waits and
    is neither lost nor overwritten; batches keep each transaction short.
    """
    model = apps.get_model(column.model)
    count = unbound = 0
    last = None
    while True:
        with transaction.atomic():
            rows = model.objects.order_by("pk").select_for_update()
            if last is not None:
                rows = rows.filter(pk__gt=last)
            batch = list(rows.only("pk", column.row, column.field)[:batch_size])
            if not batch:
                break
            changed = []
            for instance in batch:
                token = getattr(instance, column.field)
                if token is None:  # a nullable column not filled yet
                    continue
                row = getattr(instance, column.row)
                data, was_unbound = _open_stored(column, instance.pk, row, token)
                context = context_for(column.model, column.field, row)
                setattr(instance, column.field, crypto.seal(data, context))
                changed.append(instance)
                unbound += was_unbound
            if changed:
                model.objects.bulk_update(changed, [column.field], batch_size=batch_size)
            count += len(changed)
            last = batch[-1].pk
    return count, unbound


def _rotate_files(files: FileSet, *, dry_run: bool) -> tuple[int, int]:
    count = unbound = 0
    for name in files.names():
        where = f"{files.label} ({name})"
        try:
            token = files.read(name)
        except FileNotFoundError as exc:
            raise UnreadableCiphertext(where, "the file is missing") from exc
        context = files.context(name)
        try:
            try:
                data = crypto.unseal(token, context, allow_unbound=False)
            except crypto.CiphertextUnbound:
                data = crypto.unseal(token, context, allow_unbound=True)
                unbound += 1
        except crypto.CiphertextMisplaced as exc:
            raise UnreadableCiphertext(where, f"sealed for another place ({exc.found})") from exc
        except crypto.InvalidToken as exc:
            raise UnreadableCiphertext(where) from exc
        if not dry_run:
            files.write(name, crypto.seal(data, context))
        count += 1
    return count, unbound


def rotate_all(
    *, dry_run: bool = False, batch_size: int = DEFAULT_BATCH_SIZE
) -> dict[str, tuple[int, int]]:
    """Re-seal every registered ciphertext under the newest key, bound to where it is stored;
    ``dry_run`` only opens them. Returns ``{label: (values, of which unbound)}``.

    Raises ``UnreadableCiphertext`` (an ``InvalidToken``) naming the first value that no
    configured key opens or that was sealed for another place; with ``dry_run`` nothing has
    been written either way, otherwise the batches before it stay re-sealed.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    counts: dict[str, tuple[int, int]] = {}
    for column in _COLUMNS:
        if dry_run:
            done, unbound = _check_column(column)
        else:
            done, unbound = _rotate_column(column, batch_size=batch_size)
        before = counts.get(column.label, (0, 0))
        counts[column.label] = (before[0] + done, before[1] + unbound)
    for files in _FILES:
        counts[files.label] = _rotate_files(files, dry_run=dry_run)
    return counts
