"""Writes (and audited reads) of applications: the only code that hands out their health data
in clear (key rotation and the restore check in ``core.encrypted`` decrypt only to re-encrypt
or test a value, and return nothing).

Every status change goes through ``_transition`` (checked against
``Application.TRANSITIONS``) and every decryption of health data writes an audit entry.
Mail and tasks are queued with ``core.mail.enqueue_after_commit``, so nothing is sent for a
write that rolled back and nothing is lost for one that committed.
"""

from __future__ import annotations

import datetime
import hmac
import io
import json
import zipfile
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from clinicsite.clinic.models import Condition, TreatmentProtocol
from clinicsite.core import audit, crypto, encrypted
from clinicsite.core.mail import enqueue_after_commit
from clinicsite.core.pagecache import remember

from . import storage
from .models import (
    Application,
    ApplicationDraft,
    ClinicianNote,
    InvalidTransition,
    MedicalRecord,
)
from .screening import CriterionSpec, derive_answers, screen, specs_for_protocol
from .uploads import CheckedUpload

# --- helpers ------------------------------------------------------------------------------


def _seal(instance: Any, field: str, value: Any) -> None:
    """Store ``value`` as JSON sealed for this row and column (``core.encrypted``)."""
    encrypted.seal(instance, field, json.dumps(value, ensure_ascii=False, sort_keys=True).encode())


def _open(instance: Any, field: str) -> Any:
    """The JSON value of this row's column; ``crypto.CiphertextMisplaced`` if it was moved."""
    return json.loads(encrypted.unseal(instance, field))  # type: ignore[arg-type]


def _actor(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _transition(
    application: Application, *, to: str, actor: Any, request: HttpRequest | None, **details: Any
) -> None:
    if not application.can_transition(to):
        raise InvalidTransition(
            f"An application that is {application.get_status_display().lower()} cannot become "
            f"{Application.Status(to).label.lower()}."
        )
    previous = application.status
    application.status = to
    audit.record(
        actor=_actor(actor),
        action="application.status_changed",
        obj=application,
        request=request,
        details={"from": previous, "to": to, **details},
    )


# --- drafts -------------------------------------------------------------------------------


def draft_create(*, data: dict[str, Any] | None = None) -> ApplicationDraft:
    draft = ApplicationDraft()
    _seal(draft, "data_ciphertext", data or {})
    draft.save(force_insert=True)
    return draft


def draft_data(draft: ApplicationDraft) -> dict[str, Any]:
    """The applicant's own answers so far (the applicant reading their own draft: no audit)."""
    return _open(draft, "data_ciphertext")


def draft_save(*, draft: ApplicationDraft, data: dict[str, Any]) -> None:
    _seal(draft, "data_ciphertext", data)
    draft.save(update_fields=["data_ciphertext", "updated_at"])


def draft_add_record(*, draft: ApplicationDraft, upload: CheckedUpload) -> MedicalRecord:
    record = MedicalRecord(draft=draft, content_type=upload.content_type, size=len(upload.data))
    encrypted.seal(record, "name_ciphertext", upload.name.encode())
    storage.write(
        record.stored_name, crypto.seal(upload.data, storage.file_context(record.stored_name))
    )
    try:
        record.save()
    except Exception:
        storage.delete(record.stored_name)
        raise
    return record


def record_delete(*, record: MedicalRecord) -> None:
    name = record.stored_name
    record.delete()
    transaction.on_commit(lambda: storage.delete(name))


def record_name(record: MedicalRecord) -> str:
    return encrypted.unseal(record, "name_ciphertext").decode()  # type: ignore[union-attr]


def record_file(record: MedicalRecord) -> bytes:
    """The record's file, decrypted; ``crypto.CiphertextMisplaced`` if it is another's."""
    name = record.stored_name
    return crypto.unseal(storage.read(name), storage.file_context(name))


def draft_birth_date(data: dict[str, Any]) -> str | None:
    """The date of birth of a draft's last valid "about" step (ISO), which a resume link asks
    for; None until that step has been completed."""
    value = data.get("clean", {}).get("about", {}).get("date_of_birth")
    return value if isinstance(value, str) and value else None


def draft_check_birth_date(
    *, draft: ApplicationDraft, born: datetime.date, request: HttpRequest | None = None
) -> str:
    """Check a date of birth typed at a resume link: "ok", "wrong" or "locked".

    Wrong answers are counted on the draft under a row lock, so parallel guesses from many
    clients still stop at ``RESUME_ATTEMPTS``. The audit entries say only that a check passed
    or failed, never the date typed or the one stored.
    """
    with transaction.atomic():
        locked = ApplicationDraft.objects.select_for_update().get(pk=draft.pk)
        if locked.is_locked:
            return "locked"
        expected = draft_birth_date(draft_data(locked))
        if expected is not None and hmac.compare_digest(expected, born.isoformat()):
            audit.record(action="application.draft_resumed", obj=locked, request=request)
            return "ok"
        locked.failed_checks += 1
        locked.save(update_fields=["failed_checks"])
        draft.failed_checks = locked.failed_checks
        audit.record(
            action="application.draft_check_failed", obj=locked, request=request,
            details={"failed_checks": locked.failed_checks},
        )  # fmt: skip
        if locked.is_locked:
            audit.record(action="application.draft_locked", obj=locked, request=request)
            return "locked"
        return "wrong"


def draft_new_link(*, draft: ApplicationDraft) -> int:
    """Before e-mailing a fresh link from the browser that holds the draft: a locked draft is
    unlocked and its older links stop working. Returns the version to sign into the link."""
    if draft.is_locked:
        draft.failed_checks = 0
        draft.link_version += 1
        draft.save(update_fields=["failed_checks", "link_version"])
    return draft.link_version


def draft_discard(*, draft: ApplicationDraft) -> None:
    for record in draft.records.all():
        record_delete(record=record)
    draft.delete()


# --- submission ---------------------------------------------------------------------------


def screening_rules(condition: Condition) -> tuple[int | None, list[CriterionSpec]]:
    """The protocol an application for ``condition`` is screened against, and its criteria.

    Read once per cache generation, not on every submit: saving a protocol or a criterion
    bumps the generation (``core.signals``), after its commit too, so the next submit screens
    against what was saved.
    """

    def read() -> tuple[int | None, list[CriterionSpec]]:
        protocol = (
            TreatmentProtocol.objects.filter(condition=condition, is_active=True)
            .order_by("pk")
            .first()
        )
        return (protocol.pk, specs_for_protocol(protocol)) if protocol else (None, [])

    return remember(f"screening-rules:{condition.pk}", read)


HEALTH_KEYS = (
    "date_of_birth",
    "year_diagnosed",
    "diagnosis_confirmed",
    "treatments",
    "medicines",
    "flares_last_year",
    "kidney_involvement",
    "relapses_last_2_years",
    "walks_unaided",
    "cancer_last_5_years",
    "cancer_details",
    "pregnant",
    "active_infection",
    "infection_details",
    "other_conditions",
    "other_conditions_details",
)


def application_submit(
    *,
    draft: ApplicationDraft,
    data: dict[str, Any],
    condition: Condition,
    privacy_notice_version: str,
    request: HttpRequest | None = None,
    today: datetime.date | None = None,
) -> Application:
    """Screen, encrypt and commit the application, then queue the intake notification."""
    from .tasks import notify_intake

    today = today or timezone.localdate()
    answers = {key: data[key] for key in HEALTH_KEYS if key in data}
    protocol_id, specs = screening_rules(condition)
    result = screen(derive_answers(answers, today=today), specs)
    with transaction.atomic():
        for _attempt in range(5):  # a reference collision is astronomically rare; retry anyway
            try:
                with transaction.atomic():
                    application = Application(
                        full_name=data["full_name"],
                        email=data["email"],
                        phone=data["phone"],
                        country=data["country"],
                        condition=condition,
                        protocol_id=protocol_id,
                        from_draft=draft.pk,
                        screening_outcome=result.outcome.value,
                        screening_criteria=result.deciding_ids,
                        privacy_notice_version=privacy_notice_version,
                        consent_at=timezone.now(),
                    )
                    _seal(application, "answers_ciphertext", answers)  # for this reference
                    application.save(force_insert=True)
                break
            except IntegrityError:
                continue
        else:  # pragma: no cover
            raise RuntimeError("could not allocate a reference")
        MedicalRecord.objects.filter(draft=draft).update(application=application, draft=None)
        draft.delete()
        audit.record(action="application.submitted", obj=application, request=request)
        enqueue_after_commit(notify_intake, application.pk)
    return application


# --- clinic side: audited reads -----------------------------------------------------------


def application_answers(
    *, application: Application, user: Any, request: HttpRequest | None = None
) -> dict[str, Any]:
    """Decrypt the health answers; every call is an audited read."""
    audit.record(
        actor=_actor(user), action="application.health_data_viewed", obj=application,
        request=request,
    )  # fmt: skip
    return _open(application, "answers_ciphertext")


def _note_text(note: ClinicianNote) -> str:
    return encrypted.unseal(note, "body_ciphertext").decode()  # type: ignore[union-attr]


def application_notes(
    *, application: Application, user: Any, request: HttpRequest | None = None
) -> list[tuple[ClinicianNote, str]]:
    notes = list(application.notes.all())
    if notes:
        audit.record(
            actor=_actor(user), action="application.notes_viewed", obj=application,
            request=request, details={"count": len(notes)},
        )  # fmt: skip
    return [(note, _note_text(note)) for note in notes]


def record_read(
    *, record: MedicalRecord, user: Any, request: HttpRequest | None = None
) -> tuple[str, bytes]:
    """Decrypt one medical record (file name, bytes); audited."""
    audit.record(
        actor=_actor(user), action="application.record_downloaded", obj=record.application,
        request=request, details={"record": record.pk},
    )  # fmt: skip
    return record_name(record), record_file(record)


# --- clinic side: changes -----------------------------------------------------------------


def application_assign(
    *, application: Application, clinician: Any, actor: Any, request: HttpRequest | None = None
) -> Application:
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.is_decided:
            raise InvalidTransition("A decided application cannot be reassigned.")
        application.assigned_to = clinician
        if application.status == Application.Status.SUBMITTED:
            _transition(application, to=Application.Status.IN_REVIEW, actor=actor, request=request)
        application.save(update_fields=["assigned_to", "status", "updated_at"])
        audit.record(
            actor=_actor(actor), action="application.assigned", obj=application, request=request,
            details={"to": clinician.get_username() if clinician else None},
        )  # fmt: skip
    return application


def application_add_note(
    *,
    application: Application,
    author: Any,
    body: str,
    kind: str = ClinicianNote.Kind.NOTE,
    request: HttpRequest | None = None,
) -> ClinicianNote:
    with transaction.atomic():
        note = ClinicianNote(
            application=application,
            author=_actor(author),
            author_label=author.get_username() if _actor(author) else "system",
            kind=kind,
        )
        encrypted.seal(note, "body_ciphertext", body.encode())
        note.save(force_insert=True)
        audit.record(
            actor=_actor(author), action="application.note_added", obj=application,
            request=request, details={"note": note.pk, "kind": kind},
        )  # fmt: skip
    return note


def application_decide(
    *,
    application: Application,
    actor: Any,
    decision: str,
    reason: str,
    override_reason: str = "",
    request: HttpRequest | None = None,
) -> Application:
    """Accept or decline. Going against the screening needs a written override reason."""
    from .tasks import send_decision_email

    if decision not in (Application.Status.ACCEPTED, Application.Status.DECLINED):
        raise InvalidTransition("A decision is either accept or decline.")
    if not reason.strip():
        raise ValueError("A decision needs a reason.")
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        overrides = (
            decision == Application.Status.ACCEPTED
            and application.screening_outcome == "not_eligible"
        ) or (
            decision == Application.Status.DECLINED and application.screening_outcome == "eligible"
        )
        if overrides and not override_reason.strip():
            raise ValueError("Going against the screening result needs a written reason.")
        _transition(application, to=decision, actor=actor, request=request, overrides=overrides)
        application.decided_at = timezone.now()
        application.screening_overridden = overrides
        application.save(
            update_fields=["status", "decided_at", "screening_overridden", "updated_at"]
        )
        application_add_note(
            application=application, author=actor, body=reason,
            kind=ClinicianNote.Kind.DECISION, request=request,
        )  # fmt: skip
        if overrides:
            application_add_note(
                application=application, author=actor, body=override_reason,
                kind=ClinicianNote.Kind.OVERRIDE, request=request,
            )  # fmt: skip
        enqueue_after_commit(send_decision_email, application.pk)
    return application


# --- export and erasure -------------------------------------------------------------------


def application_export(
    *, application: Application, actor: Any, request: HttpRequest | None = None
) -> bytes:
    """One applicant's data as a zip: ``application.json`` + their files; audited."""
    answers = _open(application, "answers_ciphertext")
    notes = [
        {
            "kind": note.kind,
            "author": note.author_label,
            "at": note.created_at.isoformat(),
            "text": _note_text(note),
        }
        for note in application.notes.all()
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        files = []
        for index, record in enumerate(application.records.all(), start=1):
            arcname = f"records/{index}.{record.extension}"
            archive.writestr(arcname, record_file(record))
            files.append(
                {"file": arcname, "original_name": record_name(record),
                 "content_type": record.content_type, "size": record.size},
            )  # fmt: skip
        document = {
            "reference": application.reference,
            "status": application.status,
            "submitted_at": application.created_at.isoformat(),
            "decided_at": application.decided_at.isoformat() if application.decided_at else None,
            "contact": {
                "full_name": application.full_name,
                "email": application.email,
                "phone": application.phone,
                "country": application.country,
            },
            "condition": application.condition.name,
            "protocol": application.protocol.name if application.protocol else None,
            "answers": answers,
            "screening": {
                "outcome": application.screening_outcome,
                "deciding_criteria": application.screening_criteria,
                "overridden": application.screening_overridden,
            },
            "consent": {
                "privacy_notice_version": application.privacy_notice_version,
                "at": application.consent_at.isoformat(),
            },
            "notes": notes,
            "records": files,
        }
        archive.writestr("application.json", json.dumps(document, indent=2, ensure_ascii=False))
    audit.record(
        actor=_actor(actor), action="application.exported", obj=application, request=request
    )
    return buffer.getvalue()


def application_erase(
    *, application: Application, actor: Any, request: HttpRequest | None = None, reason: str = ""
) -> None:
    """Delete the application, its notes and files. The audit log keeps only the reference."""
    names = [record.stored_name for record in application.records.all()]
    with transaction.atomic():
        audit.record(
            actor=_actor(actor), action="application.erased", obj=application, request=request,
            details={"reference": application.reference, "reason": reason},
        )  # fmt: skip
        application.delete()
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
