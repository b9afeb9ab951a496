"""Private file storage: files that must never be reachable by a public URL.

Files live under ``settings.PRIVATE_MEDIA_ROOT`` (outside MEDIA_ROOT, which the web server
serves publicly). ``url()`` points at a Django view named by the storage, which checks the
user's permission before streaming the file.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateStorage(FileSystemStorage):
    def __init__(self, subdirectory: str, url_name: str) -> None:
        self.subdirectory = subdirectory
        self.url_name = url_name
        super().__init__()

    @property
    def base_location(self) -> str:  # read at use, so test settings can move it
        return str(Path(settings.PRIVATE_MEDIA_ROOT) / self.subdirectory)

    @property
    def location(self) -> str:
        return str(Path(self.base_location).resolve())

    def url(self, name: str | None) -> str:
        return reverse(self.url_name, args=[name])
