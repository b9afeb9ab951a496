"""Subscriber lifecycle: double opt-in, the consent ledger, leaving, erasure."""

from django.core import mail
from django.db import IntegrityError, transaction

import pytest

from clinicsite.clinic.models import Condition
from clinicsite.core.models import AuditEntry
from clinicsite.newsletter import consent
from clinicsite.newsletter.mail import confirm_url
from clinicsite.newsletter.models import ConsentEvent, InvalidTransition, Subscriber
from clinicsite.newsletter.services import subscribers
from clinicsite.newsletter.tokens import read_confirm_token

from . import factories

pytestmark = pytest.mark.django_db


def signup(email="ana@example.org", **kwargs):
    kwargs.setdefault("topics", [])
    kwargs.setdefault("language", "en")
    kwargs.setdefault("source", "/articles/can-stem-cells-help-lupus/")
    return subscribers.subscriber_signup(email=email, **kwargs)


def confirm(subscriber):
    key, round_ = read_confirm_token(confirm_url(subscriber).rstrip("/").rsplit("/", 1)[1])
    return subscribers.subscriber_confirm(key=key, opt_in_round=round_)


def test_signup_is_pending_records_consent_and_mails_a_confirmation(
    django_capture_on_commit_callbacks,
):
    lupus = Condition.objects.get(slug="lupus")
    with django_capture_on_commit_callbacks(execute=True):
        subscriber = signup(topics=[lupus], language="es")
    assert subscriber.status == Subscriber.Status.PENDING
    (event,) = subscriber.events.all()
    assert event.kind == ConsentEvent.Kind.SIGNUP
    assert event.wording_version == consent.CURRENT
    assert event.source == "/articles/can-stem-cells-help-lupus/"
    assert event.details == {"topics": ["lupus"], "language": "es"}
    assert event.ip_address is None  # off unless the clinic turns it on
    (message,) = mail.outbox
    assert message.to == ["ana@example.org"]
    assert "/newsletter/confirm/" in message.body


def test_confirmation_confirms_once_and_is_idempotent():
    subscriber = signup()
    assert confirm(subscriber).outcome == "confirmed"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.confirmed_at is not None
    assert confirm(subscriber).outcome == "already"
    kinds = list(subscriber.events.values_list("kind", flat=True))
    assert kinds == ["signup", "confirmed"]


def test_addresses_are_unique_whatever_their_case():
    signup("Ana@Example.org")
    signup("ana@example.org")
    assert (
        Subscriber.objects.count()
        == Subscriber.objects.filter(email__iexact="ana@example.org").count()
        == 1
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(email="ANA@EXAMPLE.ORG", language="en")


def test_signing_up_a_confirmed_address_changes_nothing_and_tells_its_owner(
    django_capture_on_commit_callbacks,
):
    subscriber = factories.subscriber(email="ben@example.org", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        signup("ben@example.org", language="es", topics=list(Condition.objects.all()))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.language == "en"
    assert not subscriber.topics.exists()
    (message,) = mail.outbox
    assert "already" in message.subject
    assert "/newsletter/preferences/" in message.body


def test_repeated_signups_resend_but_are_capped_per_address(
    settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_MAILS_PER_ADDRESS_DAY = 3
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            signup("cara@example.org")
    assert len(mail.outbox) == 3
    assert Subscriber.objects.get(email="cara@example.org").events.count() == 6


def test_unsubscribe_is_immediate_and_old_confirmation_links_stop_working():
    subscriber = signup()
    old_link = confirm_url(subscriber)
    assert subscribers.subscriber_unsubscribe(
        subscriber=subscriber, method=ConsentEvent.Method.ONE_CLICK
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    key, round_ = read_confirm_token(old_link.rstrip("/").rsplit("/", 1)[1])
    assert subscribers.subscriber_confirm(key=key, opt_in_round=round_).outcome == "stale"
    assert not subscribers.subscriber_unsubscribe(
        subscriber=subscriber, method=ConsentEvent.Method.EMAIL_LINK
    )  # already out: no second ledger line
    assert subscriber.events.filter(kind="unsubscribed").count() == 1


def test_coming_back_needs_a_new_opt_in():
    subscriber = factories.subscriber(status=Subscriber.Status.UNSUBSCRIBED)
    signup(subscriber.email)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert confirm(subscriber).outcome == "confirmed"


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("pending", "confirmed", True),
        ("pending", "unsubscribed", True),
        ("confirmed", "unsubscribed", True),
        ("unsubscribed", "pending", True),
        ("confirmed", "pending", False),
        ("unsubscribed", "confirmed", False),
        ("confirmed", "confirmed", False),
    ],
)
def test_transitions_are_checked(start, target, allowed):
    subscriber = Subscriber(email="x@example.org", status=start, language="en")
    assert subscriber.can_become(target) is allowed
    if not allowed:
        with pytest.raises(InvalidTransition):
            subscribers._move(subscriber, target)


def test_ip_address_is_kept_only_when_the_clinic_turns_it_on(rf):
    from clinicsite.newsletter.models import NewsletterSettings

    request = rf.post("/newsletter/", REMOTE_ADDR="203.0.113.9")
    first = signup("dee@example.org", request=request)
    assert first.events.get().ip_address is None
    NewsletterSettings.objects.update_or_create(
        pk=NewsletterSettings.load().pk, defaults={"record_ip_address": True}
    )
    second = signup("eve@example.org", request=request)
    assert second.events.get().ip_address == "203.0.113.9"


def test_export_holds_everything_and_erase_leaves_no_address():
    subscriber = signup("fay@example.org", topics=[Condition.objects.get(slug="lupus")])
    confirm(subscriber)
    data = subscribers.subscriber_export(subscriber=subscriber)
    assert data["email"] == "fay@example.org"
    assert [e["kind"] for e in data["consent_events"]] == ["signup", "confirmed"]
    assert data["consent_events"][0]["wording"] == consent.wording(consent.CURRENT)
    assert data["topics"] == ["Systemic lupus erythematosus"]
    subscribers.subscriber_erase(subscriber=subscriber)
    assert not Subscriber.objects.filter(email__iexact="fay@example.org").exists()
    assert not ConsentEvent.objects.filter(subscriber_id=subscriber.pk).exists()
    entries = AuditEntry.objects.filter(action__startswith="subscriber.")
    assert {e.action for e in entries} == {"subscriber.exported", "subscriber.erased"}
    assert "fay@example.org" not in str(list(entries.values()))


def test_demo_list_is_fictional_consented_and_idempotent():
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo_newsletter", stdout=StringIO())
    call_command("load_demo_newsletter", stdout=StringIO())
    assert Subscriber.objects.count() == 4
    assert all(s.email.endswith("@demo.invalid") for s in Subscriber.objects.all())
    for subscriber in Subscriber.objects.filter(status="confirmed"):
        assert list(subscriber.events.values_list("kind", flat=True)) == ["signup", "confirmed"]


def test_a_racing_second_sign_up_of_a_new_address_joins_the_first(monkeypatch):
    """Another request commits the address between our lookup and our insert: no 500."""
    Subscriber.objects.create(email="ray@example.org", language="en")  # the other request
    real = Subscriber.objects.select_for_update
    lookups = []

    def first_lookup_sees_nothing_yet(*args, **kwargs):
        lookups.append(True)
        return Subscriber.objects.none() if len(lookups) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(Subscriber.objects, "select_for_update", first_lookup_sees_nothing_yet)
    subscriber = signup("ray@example.org")
    assert len(lookups) == 2
    assert Subscriber.objects.filter(email__iexact="ray@example.org").count() == 1
    assert subscriber.events.get().kind == ConsentEvent.Kind.SIGNUP_REPEATED


def reads_that_miss(monkeypatch, misses):
    """Reads of the address miss the row ``misses`` times: as if another request's insert
    committed just after this one looked."""
    real = Subscriber.objects.select_for_update
    reads = []

    def read(*args, **kwargs):
        reads.append(1)
        queryset = real(*args, **kwargs)
        return queryset.none() if len(reads) <= misses else queryset

    monkeypatch.setattr(Subscriber.objects, "select_for_update", read)
    return reads


def test_two_sign_ups_of_a_new_address_at_once_end_in_one_subscriber(monkeypatch):
    other = factories.subscriber(email="race@example.org", status=Subscriber.Status.PENDING)
    reads = reads_that_miss(monkeypatch, misses=1)
    assert signup("race@example.org") == other  # the insert failed; the row was read again
    assert len(reads) == 2
    assert Subscriber.objects.filter(email="race@example.org").count() == 1


def test_the_sign_up_race_is_re_read_a_bounded_number_of_times(monkeypatch):
    factories.subscriber(email="ghost@example.org")
    reads = reads_that_miss(monkeypatch, misses=100)
    with pytest.raises(IntegrityError):
        signup("ghost@example.org")
    assert len(reads) == subscribers.SIGNUP_READS
