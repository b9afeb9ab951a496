"""Checking uploaded medical records by their content, never by their name."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from PIL import Image

ALLOWED = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
# Pillow refuses larger images (DecompressionBombError) before decoding their pixels.
MAX_IMAGE_PIXELS = 50_000_000


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The content type the bytes themselves declare (magic numbers), or None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _check_image(data: bytes) -> None:
    """Header-only size check first, so a decompression bomb is refused before decoding."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            image.verify()
        with Image.open(io.BytesIO(data)) as image:  # verify() leaves the image unusable
            image.load()
    except Image.DecompressionBombError as exc:
        raise ValidationError(
            "This image is too large in pixels to check safely. Please send a smaller scan "
            "or a PDF.",
            code="bomb",
        ) from exc
    except Exception as exc:  # Pillow raises many types for broken files
        raise ValidationError(
            "This image file is damaged or is not really a JPEG or PNG.", code="broken"
        ) from exc


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise ValidationError("This PDF file is incomplete or damaged.", code="broken")


def check_upload(upload: object) -> CheckedUpload:
    """Read and check an ``UploadedFile``; raises ``ValidationError`` with a specific message."""
    limit = settings.APPLICATION_UPLOAD_MAX_BYTES
    size = getattr(upload, "size", 0) or 0
    if size > limit:
        raise ValidationError(
            f"This file is {filesizeformat(size)}; files can be at most {filesizeformat(limit)}.",
            code="too_big",
        )
    data = upload.read(limit + 1)  # type: ignore[attr-defined]
    if len(data) > limit:
        raise ValidationError(f"Files can be at most {filesizeformat(limit)}.", code="too_big")
    if not data:
        raise ValidationError("This file is empty.", code="empty")
    content_type = sniff(data)
    if content_type is None:
        raise ValidationError(
            "Only PDF, JPEG and PNG files can be uploaded, and this file's content is none of "
            "them (whatever its name says).",
            code="type",
        )
    if content_type == "application/pdf":
        _check_pdf(data)
    else:
        _check_image(data)
    raw_name = str(getattr(upload, "name", "") or "record")
    name = "".join(ch for ch in raw_name if ch.isprintable() and ch not in "/\\")[-120:]
    return CheckedUpload(name=name or "record", content_type=content_type, data=data)
