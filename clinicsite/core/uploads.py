"""A cap on the whole body of a file upload, enforced by Django itself.

Django limits form fields (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but streams uploaded files to disk
whatever their size, and each form checks its own limit only afterwards. Every upload form here
takes one file of at most 10 MB, so a multipart body larger than ``REQUEST_BODY_MAX_BYTES`` is
refused before any of it is read (400). nginx's ``client_max_body_size`` does the same in
production; this holds when gunicorn is reached directly.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class RequestBodyLimitHandler(FileUploadHandler):
    """First in ``FILE_UPLOAD_HANDLERS``: looks at the declared length, stores nothing."""

    def handle_raw_input(
        self, input_data: Any, META: dict, content_length: int, boundary: bytes, encoding: Any
    ) -> None:
        if content_length > settings.REQUEST_BODY_MAX_BYTES:
            raise RequestDataTooBig("The upload is larger than REQUEST_BODY_MAX_BYTES.")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # hand every chunk on to the handlers that store it

    def file_complete(self, file_size: int) -> None:
        return None
