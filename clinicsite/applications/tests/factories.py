"""Building applications the way the form does, through the services."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from clinicsite.applications import services
from clinicsite.applications.models import Application
from clinicsite.applications.uploads import CheckedUpload
from clinicsite.clinic.models import Condition

HEALTH = {
    "date_of_birth": "1980-05-01",
    "year_diagnosed": 2015,
    "diagnosis_confirmed": True,
    "treatments": "Hydroxychloroquine since 2015",
    "medicines": "Mycophenolate 1 g twice daily",
    "flares_last_year": 3,
    "kidney_involvement": True,
    "cancer_last_5_years": False,
    "pregnant": False,
    "active_infection": False,
    "other_conditions": False,
}
CONTACT = {
    "full_name": "Alex Example",
    "email": "alex@example.org",
    "phone": "+44 7700 900123",
    "country": "United Kingdom",
}


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return buffer.getvalue()


def make_application(
    *, condition_slug: str = "lupus", with_record: bool = True, **overrides: Any
) -> Application:
    data = {**CONTACT, **HEALTH, **overrides}
    draft = services.draft_create(data=data)
    if with_record:
        services.draft_add_record(
            draft=draft,
            upload=CheckedUpload(
                name="kidney-biopsy.png", content_type="image/png", data=png_bytes()
            ),
        )
    return services.application_submit(
        draft=draft,
        data=data,
        condition=Condition.objects.get(slug=condition_slug),
        privacy_notice_version="2026-01",
    )
