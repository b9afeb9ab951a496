"""Digests: what one lists and to whom, scheduling and starting it (writing its send log), its
progress and its test copy. Sending the send log is ``delivery``'s."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from wagtail.models import Page

from clinicsite.core import audit
from clinicsite.core.mail import enqueue_after_commit

from ..models import Delivery, Digest, InvalidTransition, Subscriber


def move_digest(digest: Digest, status: str) -> None:
    """Change ``digest.status`` (unsaved) if ``Digest.TRANSITIONS`` allows it."""
    if not digest.can_become(status):
        raise InvalidTransition(f"A digest cannot go from {digest.status} to {status}.")
    digest.status = status


def digest_since(digest: Digest) -> datetime.datetime:
    """Start of "everything published since the last digest" (30 days for the first)."""
    last = (
        Digest.objects.filter(status__in=[Digest.Status.SENT, Digest.Status.SENDING])
        .exclude(pk=digest.pk)
        .exclude(started_at__isnull=True)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return last or (timezone.now() - datetime.timedelta(days=30))


def digest_pages(digest: Digest) -> list[Page]:
    """The pages the digest lists, in order, live and public only."""
    from clinicsite.content.models import ArticlePage, PatientStoryPage

    if digest.page_ids:  # frozen when sending started
        pages = Page.objects.live().public().filter(pk__in=digest.page_ids).specific()
        by_id = {p.pk: p for p in pages}
        return [by_id[pk] for pk in digest.page_ids if pk in by_id]
    if digest.mode == Digest.Mode.CHOSEN:
        ids = [item.page_id for item in digest.items.all()]
        pages = Page.objects.live().public().filter(pk__in=ids).specific()
        by_id = {p.pk: p for p in pages}
        return [by_id[pk] for pk in ids if pk in by_id]
    return list(
        Page.objects.live()
        .public()
        .type(ArticlePage, PatientStoryPage)
        .filter(first_published_at__gt=digest_since(digest))
        .order_by("-first_published_at")
        .specific()[:50]
    )


def digest_recipients(digest: Digest):  # noqa: ANN201 - a QuerySet of Subscriber
    """Confirmed subscribers in the digest's language whose topics (if any) it touches."""
    from clinicsite.content.models import ArticlePage, PatientStoryPage

    pages = digest_pages(digest)
    conditions: set[int] = set()
    for page in pages:
        if isinstance(page, ArticlePage):
            conditions.update(page.related_conditions.values_list("condition_id", flat=True))
        elif isinstance(page, PatientStoryPage):
            conditions.add(page.condition_id)
    return (
        Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED, language=digest.language)
        .filter(Q(topics__isnull=True) | Q(topics__in=conditions))
        .distinct()
    )


@transaction.atomic
def digest_schedule(
    *, digest: Digest, when: datetime.datetime | None, actor: Any, request: Any = None
) -> Digest:
    """Queue a digest to start at ``when`` (now if None)."""
    digest = Digest.objects.select_for_update().get(pk=digest.pk)
    digest.check_sendable()
    if not digest_pages(digest):
        raise InvalidTransition("This digest lists no published pages yet, so it cannot be sent.")
    move_digest(digest, Digest.Status.SCHEDULED)
    digest.scheduled_for = when or timezone.now()
    digest.save(update_fields=["status", "scheduled_for"])
    audit.record(
        actor=actor, action="digest.scheduled", obj=digest, request=request,
        details={"scheduled_for": digest.scheduled_for.isoformat()},
    )  # fmt: skip
    from ..tasks import start_digest, to_run_at

    task_obj = to_run_at(start_digest, digest.scheduled_for)
    if task_obj is not None:  # else the periodic ``send_digests`` starts it when it is due
        enqueue_after_commit(task_obj, digest.pk)
    return digest


@transaction.atomic
def digest_unschedule(*, digest: Digest, actor: Any, request: Any = None) -> None:
    digest = Digest.objects.select_for_update().get(pk=digest.pk)
    move_digest(digest, Digest.Status.DRAFT)
    digest.save(update_fields=["status"])
    audit.record(actor=actor, action="digest.unscheduled", obj=digest, request=request)


def digest_start(*, digest_id: int, now: datetime.datetime | None = None) -> bool:
    """Freeze the page list and write one pending send-log row per recipient. Idempotent:
    False unless the digest was scheduled and is due."""
    now = now or timezone.now()
    with transaction.atomic():
        digest = Digest.objects.select_for_update().filter(pk=digest_id).first()
        if digest is None or digest.status != Digest.Status.SCHEDULED:
            return False
        if digest.scheduled_for and digest.scheduled_for > now:
            return False
        pages = digest_pages(digest)
        if not pages:
            move_digest(digest, Digest.Status.CANCELLED)
            digest.save(update_fields=["status"])
            audit.record(action="digest.cancelled_empty", obj=digest)
            return False
        digest.page_ids = [p.pk for p in pages]
        move_digest(digest, Digest.Status.SENDING)
        digest.started_at = now
        digest.save(update_fields=["page_ids", "status", "started_at"])
        ids = digest_recipients(digest).values_list("pk", flat=True).order_by("pk")
        batch: list[Delivery] = []
        for subscriber_id in ids.iterator(chunk_size=2000):
            batch.append(Delivery(digest_id=digest.pk, subscriber_id=subscriber_id))
            if len(batch) >= 2000:
                Delivery.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        Delivery.objects.bulk_create(batch, ignore_conflicts=True)
    return True


def digest_progress(digest: Digest) -> dict[str, int]:
    counts = dict(
        digest.deliveries.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Delivery.Status.values}


@transaction.atomic
def digest_send_test(*, digest: Digest, user: Any, request: Any = None) -> None:
    """Queue a copy of the digest for the member of staff only, marked as a test."""
    from ..tasks import send_digest_test

    if not user.email:
        raise InvalidTransition("Add an e-mail address to your account to receive a test.")
    digest.check_sendable()
    audit.record(actor=user, action="digest.test_sent", obj=digest, request=request)
    enqueue_after_commit(send_digest_test, digest.pk, user.pk)
