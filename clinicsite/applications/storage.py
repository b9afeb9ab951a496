"""Encrypted files under PRIVATE_MEDIA_ROOT: written atomically, read only by services."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.conf import settings


def _path(stored_name: str) -> Path:
    if not stored_name.isalnum():  # names are our own hex tokens; refuse anything else
        raise ValueError("invalid stored name")
    return Path(settings.PRIVATE_MEDIA_ROOT) / stored_name[:2] / stored_name


def file_context(stored_name: str) -> str:
    """What a record file is sealed for: its record's stored name (``crypto.seal``)."""
    return f"applications.medicalrecord:file:{stored_name}"


def write(stored_name: str, data: bytes) -> None:
    path = _path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(stored_name: str) -> bytes:
    return _path(stored_name).read_bytes()


def delete(stored_name: str) -> None:
    _path(stored_name).unlink(missing_ok=True)


def exists(stored_name: str) -> bool:
    return _path(stored_name).exists()
