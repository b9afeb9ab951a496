"""What proves a backup whole and made with our keys: the manifest, key fingerprints, its
HMAC and the checksums of its files.

The manifest carries a fingerprint of each encryption key and an HMAC under a key derived from
each, so a restore refuses the wrong keys before changing anything and notices a backup altered
by someone without the keys, even if they recomputed the checksums.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT = 1
MANIFEST = "manifest.json"
_MAC_INFO = b"clinicsite backup manifest v1"
_CHUNK = 1024 * 1024

Log = Callable[[str], None]


class BackupError(Exception):
    """Something the operator must fix; the message says what, and nothing was half-done."""


# --- keys ---------------------------------------------------------------------------------


def raw_key(key: str) -> bytes:
    return base64.urlsafe_b64decode(key.encode())


def key_fingerprint(key: str) -> str:
    """First 8 bytes of SHA-256 of the 32 key bytes: names a key without revealing it."""
    return hashlib.sha256(raw_key(key)).hexdigest()[:16]


def configured_keys() -> dict[str, str]:
    return {key_fingerprint(key): key for key in settings.FIELD_ENCRYPTION_KEYS}


def _canonical(document: dict[str, Any]) -> bytes:
    body = {name: value for name, value in document.items() if name != "mac"}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def mac(document: dict[str, Any], key: str) -> str:
    # A separate key derived for this one purpose: the Fernet key itself never signs anything.
    mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_MAC_INFO).derive(
        raw_key(key)
    )
    return hmac.new(mac_key, _canonical(document), hashlib.sha256).hexdigest()


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


# --- files --------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def walk(root: Path) -> Iterator[Path]:
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


def copy_file(source: Path, target: Path, *, file_mode: int, dir_mode: int) -> str:
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


def inside(path: Path, root: Path) -> bool:
    path, root = path.resolve(), root.resolve()
    return path == root or root in path.parents
