"""Digests: who gets them, what they contain, and the send log that keeps every recipient
at exactly once through retries, crashes and a mail server outage."""

import datetime
import threading
import time
import urllib.parse

from django.test import Client
from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from clinicsite.clinic.models import Condition
from clinicsite.content.models import ArticlePage
from clinicsite.newsletter.models import (
    Delivery,
    Digest,
    DigestItem,
    InvalidTransition,
    Subscriber,
)
from clinicsite.newsletter.services import delivery, digests, subscribers

from . import factories

pytestmark = pytest.mark.django_db

ARTICLE = "/articles/can-stem-cells-help-lupus/"


def started(digest, **kwargs):
    digests.digest_schedule(digest=digest, when=None, actor=None)
    assert digests.digest_start(digest_id=digest.pk, **kwargs)
    digest.refresh_from_db()
    return digest


def chosen_digest(**fields):
    digest = factories.digest(mode=Digest.Mode.CHOSEN, **fields)
    DigestItem.objects.create(
        digest=digest, page=ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    )
    return digest


def test_since_last_lists_what_was_published_after_the_previous_digest():
    first = factories.digest()
    pages = digests.digest_pages(first)
    assert ARTICLE in [p.url for p in pages]
    Digest.objects.filter(pk=first.pk).update(status="sent", started_at=timezone.now())
    second = factories.digest()
    assert digests.digest_pages(second) == []
    with pytest.raises(InvalidTransition, match="lists no published pages"):
        digests.digest_schedule(digest=second, when=None, actor=None)


def test_recipients_are_confirmed_in_the_language_and_topics_of_the_digest():
    lupus = Condition.objects.get(slug="lupus")
    ms = Condition.objects.get(slug="multiple-sclerosis")
    everything = factories.subscriber()
    lupus_reader = factories.subscriber()
    lupus_reader.topics.set([lupus])
    ms_reader = factories.subscriber()
    ms_reader.topics.set([ms])
    factories.subscriber(status=Subscriber.Status.PENDING)
    factories.subscriber(status=Subscriber.Status.UNSUBSCRIBED)
    factories.subscriber(language="es")
    recipients = set(digests.digest_recipients(chosen_digest()))  # a lupus article
    assert recipients == {everything, lupus_reader}


def test_message_has_both_parts_one_click_headers_footer_and_working_links(smtp):
    subscriber = factories.subscriber(email="ida@example.org")
    digest = started(chosen_digest(subject="Lupus research this month"))
    outcome = delivery.digest_send_pending(digest_id=digest.pk)
    assert (outcome.sent, outcome.done) == (1, True)
    (message,) = smtp.messages
    assert message["Subject"] == "Lupus research this month"
    assert message["To"] == "ida@example.org"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert message["Message-ID"].startswith(f"<digest-{digest.pk}-")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Can stem cells help lupus?" in part
        assert unsubscribe in part
        assert "Harbour Cell Therapy Clinic" in part
        assert "because you subscribed" in part
    assert "http://testserver" + ARTICLE in text
    # the links work when followed
    client = Client()
    assert client.get(urllib.parse.urlsplit("http://testserver" + ARTICLE).path).status_code == 200
    path = urllib.parse.urlsplit(unsubscribe).path
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"
    digest.refresh_from_db()
    assert digest.status == "sent"


def test_nobody_gets_a_digest_twice_however_often_it_runs(smtp):
    readers = [factories.subscriber() for _ in range(7)]
    digest = started(chosen_digest())
    assert not digests.digest_start(digest_id=digest.pk)  # starting again adds nobody
    delivery.digest_send_pending(digest_id=digest.pk, max_batches=1)
    for _ in range(3):
        delivery.digest_send_pending(digest_id=digest.pk)
        delivery.run_due()
    assert sorted(m["To"] for m in smtp.messages) == sorted(r.email for r in readers)
    assert Delivery.objects.filter(digest=digest, status="sent").count() == 7


def test_a_subscriber_who_leaves_before_their_turn_is_skipped(smtp, settings):
    settings.NEWSLETTER_BATCH_SIZE = 1
    first, leaver = factories.subscriber(), factories.subscriber()
    digest = started(chosen_digest())
    delivery.digest_send_pending(digest_id=digest.pk, max_batches=1)
    subscribers.subscriber_unsubscribe(subscriber=leaver, method="email_link")
    delivery.digest_send_pending(digest_id=digest.pk)
    assert [m["To"] for m in smtp.messages] == [first.email]
    assert Delivery.objects.get(subscriber=leaver).status == "skipped"


def test_a_crashed_worker_s_claims_are_released_and_sent_once(smtp, settings):
    settings.NEWSLETTER_BATCH_SIZE = 5
    readers = [factories.subscriber() for _ in range(8)]
    digest = started(chosen_digest())
    # a worker claimed five rows and died
    claimed = delivery._claim(digest, 5)
    delivery.digest_send_pending(digest_id=digest.pk)
    assert len(smtp.messages) == 3  # the live claims are left alone
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    Delivery.objects.filter(pk__in=[c.pk for c in claimed]).update(claimed_at=long_ago)
    delivery.digest_send_pending(digest_id=digest.pk)
    assert sorted(m["To"] for m in smtp.messages) == sorted(r.email for r in readers)
    digest.refresh_from_db()
    assert digest.status == "sent"


def test_smtp_outage_mid_digest_loses_and_duplicates_nothing(smtp, settings):
    settings.NEWSLETTER_BATCH_SIZE = 10
    readers = [factories.subscriber() for _ in range(30)]
    digest = started(chosen_digest())
    smtp.delay = 0.02

    def pull_the_plug():
        while len(smtp.messages) < 12:
            time.sleep(0.005)
        smtp.stop()

    cutter = threading.Thread(target=pull_the_plug)
    cutter.start()
    outcome = delivery.digest_send_pending(digest_id=digest.pk)
    cutter.join()
    assert outcome.retry
    assert not outcome.done
    received = len(smtp.messages)
    assert 12 <= received < 30
    assert Delivery.objects.filter(digest=digest, status="sent").count() == received
    assert Delivery.objects.filter(digest=digest, status="pending").count() == 30 - received
    # while it is down, further attempts fail fast and change nothing
    assert delivery.digest_send_pending(digest_id=digest.pk).retry
    smtp.delay = 0
    smtp.start()  # back, same port
    assert delivery.digest_send_pending(digest_id=digest.pk).done
    addresses = [m["To"] for m in smtp.messages]
    assert sorted(addresses) == sorted(r.email for r in readers)  # each exactly once


def test_the_task_backs_off_while_the_mail_server_is_down(smtp, settings):
    from clinicsite.newsletter.tasks import send_digest

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MAIL_RETRY_SECONDS = 10
    settings.MAIL_RETRY_MAX_SECONDS = 60
    factories.subscriber()
    digest = started(chosen_digest())
    smtp.stop()
    delays = []
    for attempt in range(5):
        before = timezone.now()
        assert send_digest.call(digest.pk, attempt)["retry"]
        retry = DBTaskResult.objects.order_by("-enqueued_at").first()
        assert retry.args_kwargs["args"] == [digest.pk, attempt + 1]
        delays.append(round((retry.run_after - before).total_seconds()))
    assert delays == [10, 20, 40, 60, 60]
    smtp.start()
    assert send_digest.call(digest.pk, 5) == {"sent": 1, "failed": 0, "retry": False}


def test_a_permanent_refusal_marks_that_recipient_failed_and_goes_on(smtp):

    good = factories.subscriber(email="good@example.org")
    factories.subscriber(email="refused@example.org")
    digest = started(chosen_digest())

    async def handle_RCPT(server, session, envelope, address, options):
        if address.startswith("refused"):
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp.handle_RCPT = handle_RCPT
    outcome = delivery.digest_send_pending(digest_id=digest.pk)
    assert (outcome.sent, outcome.failed, outcome.done) == (1, 1, True)
    assert [m["To"] for m in smtp.messages] == [good.email]


def test_scheduled_digests_start_when_due():
    factories.subscriber()
    digest = chosen_digest()
    later = timezone.now() + datetime.timedelta(hours=2)
    digests.digest_schedule(digest=digest, when=later, actor=None)
    assert delivery.run_due()["started"] == 0
    assert delivery.run_due(now=later + datetime.timedelta(minutes=1), dry_run=True)["started"] == 1
    assert delivery.run_due(now=later + datetime.timedelta(minutes=1))["started"] == 1
    digest.refresh_from_db()
    assert digest.status == "sent"


START = "clinicsite.newsletter.tasks.start_digest"
TEST_COPY = "clinicsite.newsletter.tasks.send_digest_test"


def test_scheduling_queues_the_start_in_the_same_transaction(settings):
    from django.db import transaction

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    factories.subscriber()
    digest = chosen_digest()
    later = timezone.now() + datetime.timedelta(hours=2)

    def failing_request():
        with transaction.atomic():
            digests.digest_schedule(digest=digest, when=later, actor=None)
            assert DBTaskResult.objects.filter(task_path=START).exists()
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        failing_request()
    assert not DBTaskResult.objects.filter(task_path=START).exists()
    digest.refresh_from_db()
    assert digest.status == "draft"
    digests.digest_schedule(digest=digest, when=later, actor=None)
    (start,) = DBTaskResult.objects.filter(task_path=START)
    assert start.args_kwargs["args"] == [digest.pk]
    assert start.run_after == later


def test_a_test_copy_is_queued_by_ids_and_retried_while_the_server_is_down(
    smtp, settings, django_user_model
):
    from clinicsite.newsletter.tasks import send_digest_test

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MAIL_RETRY_SECONDS = 5
    user = django_user_model.objects.create_user("mia", email="mia@clinic.example")
    digest = chosen_digest(subject="December at the clinic")
    digests.digest_send_test(digest=digest, user=user)
    (queued,) = DBTaskResult.objects.filter(task_path=TEST_COPY)
    assert queued.args_kwargs == {"args": [digest.pk, user.pk], "kwargs": {}}  # no address
    assert smtp.messages == []
    smtp.stop()
    assert send_digest_test.call(digest.pk, user.pk) is None  # re-enqueued itself
    retry = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert retry.args_kwargs["kwargs"] == {"mail_attempt": 1}
    smtp.start()
    assert send_digest_test.call(digest.pk, user.pk, mail_attempt=1) is True
    (copy,) = smtp.messages
    assert copy["To"] == "mia@clinic.example"
    assert copy["Subject"] == "[Test] December at the clinic"
