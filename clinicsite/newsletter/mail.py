"""The list's messages: confirmation, notices and digests, each with a plain-text and an HTML
part, an unsubscribe link in the footer and RFC 8058 one-click headers.

A digest is rendered once; each recipient's copy only swaps in their own links, which keeps a
large send fast and every copy identical apart from those links.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from wagtail.models import Page, Site

from clinicsite.clinic.models import ClinicSettings
from clinicsite.core.urls import absolute_url

from .models import Delivery, Digest, Subscriber
from .tokens import confirm_token, manage_token

UNSUBSCRIBE = "__NEWSLETTER_UNSUBSCRIBE_URL__"
PREFERENCES = "__NEWSLETTER_PREFERENCES_URL__"
RECIPIENT = "newsletter-recipient@placeholder.invalid"
MESSAGE_ID = "newsletter-message-id@placeholder.invalid"


def unsubscribe_url(subscriber: Subscriber, token: str | None = None) -> str:
    token = token or manage_token(subscriber.key)
    return absolute_url(reverse("newsletter:unsubscribe", args=[token]))


def preferences_url(subscriber: Subscriber, token: str | None = None) -> str:
    token = token or manage_token(subscriber.key)
    return absolute_url(reverse("newsletter:preferences", args=[token]))


def confirm_url(subscriber: Subscriber) -> str:
    token = confirm_token(subscriber.key, subscriber.opt_in_round)
    return absolute_url(reverse("newsletter:confirm", args=[token]))


def _mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def _clinic() -> ClinicSettings:
    site = Site.objects.filter(is_default_site=True).first()
    return ClinicSettings.for_site(site) if site else ClinicSettings()


def _message(
    *,
    subject: str,
    to: str,
    text: str,
    html: str,
    unsubscribe: str,
    message_id: str | None = None,
) -> EmailMultiAlternatives:
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(subject, text, None, [to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def _render_pair(name: str, context: dict[str, Any]) -> tuple[str, str]:
    return (
        render_to_string(f"newsletter/email/{name}.txt", context),
        render_to_string(f"newsletter/email/{name}.html", context),
    )


def list_notice(subscriber: Subscriber, kind: str) -> EmailMultiAlternatives:
    """``confirm``: the double opt-in link. ``already``: someone signed this address up again
    while it is confirmed; the owner gets their preferences link and nothing changes."""
    clinic = _clinic()
    context = {
        "clinic": clinic,
        "confirm_url": confirm_url(subscriber),
        "confirm_days": settings.NEWSLETTER_CONFIRM_DAYS,
        "unsubscribe_url": unsubscribe_url(subscriber),
        "preferences_url": preferences_url(subscriber),
        "why": "Someone, probably you, asked for this address to receive our newsletter.",
    }
    if kind == "already":
        subject = f"You already receive the {clinic.name} newsletter"
    else:
        subject = f"Please confirm your subscription to the {clinic.name} newsletter"
    text, html = _render_pair("already" if kind == "already" else "confirm", context)
    return _message(
        subject=subject,
        to=subscriber.email,
        text=text,
        html=html,
        unsubscribe=context["unsubscribe_url"],
    )


class DigestComposer:
    """Renders a digest once and stamps out each recipient's copy.

    ``raw`` goes further for large sends: the whole MIME message is serialised once with
    placeholders, and each copy is that byte string with the recipient's address, links and
    Message-ID swapped in — building and folding a MIME message costs more than the SMTP
    exchange. Addresses are ASCII (``addresses.normalise_email`` stores IDNA domains) and free
    of line breaks, and the parts are 8-bit text, so the swap cannot break the message.
    """

    def __init__(self, digest: Digest, pages: list[Page]) -> None:
        self.digest = digest
        clinic = _clinic()
        items = [
            {
                "title": page.title,
                "url": absolute_url(page.url or "/"),
                "summary": getattr(page, "summary_text", "") or "",
            }
            for page in pages
        ]
        context = {
            "digest": digest,
            "items": items,
            "clinic": clinic,
            "unsubscribe_url": UNSUBSCRIBE,
            "preferences_url": PREFERENCES,
            "why": (
                "You receive this because you subscribed to our newsletter on our website and "
                "confirmed your address."
            ),
        }
        self.text, self.html = _render_pair("digest", context)
        self.domain = _mail_domain()
        self._template: bytes | None = None

    def _copy(self, template: str, unsubscribe: str, preferences: str) -> str:
        return template.replace(UNSUBSCRIBE, unsubscribe).replace(PREFERENCES, preferences)

    def _message_id(self, row: Delivery) -> str:
        # The same id on a re-send after a crash lets mail clients fold the copies.
        return f"digest-{self.digest.pk}-{row.pk}@{self.domain}"

    def message(self, row: Delivery, subscriber: Subscriber) -> EmailMultiAlternatives:
        token = manage_token(subscriber.key)
        unsubscribe, preferences = (
            unsubscribe_url(subscriber, token),
            preferences_url(subscriber, token),
        )
        return _message(
            subject=self.digest.subject,
            to=subscriber.email,
            text=self._copy(self.text, unsubscribe, preferences),
            html=self._copy(self.html, unsubscribe, preferences),
            unsubscribe=unsubscribe,
            message_id=f"<{self._message_id(row)}>",
        )

    def raw(self, row: Delivery, subscriber: Subscriber) -> tuple[str, list[str], bytes]:
        """(envelope sender, recipients, message bytes) for ``smtplib.SMTP.sendmail``."""
        if self._template is None:
            message = _message(
                subject=self.digest.subject, to=RECIPIENT, text=self.text, html=self.html,
                unsubscribe=UNSUBSCRIBE, message_id=f"<{MESSAGE_ID}>",
            ).message()  # fmt: skip
            self._template = message.as_bytes(linesep="\r\n")
            for marker in (RECIPIENT, MESSAGE_ID, UNSUBSCRIBE, PREFERENCES):
                if marker.encode() not in self._template:  # pragma: no cover - a guard
                    raise ValueError(f"{marker} was encoded away; cannot stamp copies")
            self._sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        token = manage_token(subscriber.key)
        data = (
            self._template.replace(RECIPIENT.encode(), subscriber.email.encode("ascii"))
            .replace(MESSAGE_ID.encode(), self._message_id(row).encode())
            .replace(UNSUBSCRIBE.encode(), unsubscribe_url(subscriber, token).encode())
            .replace(PREFERENCES.encode(), preferences_url(subscriber, token).encode())
        )
        return self._sender, [subscriber.email], data

    def test_message(self, to: str) -> EmailMultiAlternatives:
        placeholder = absolute_url(reverse("newsletter:signup"))
        return _message(
            subject=f"[Test] {self.digest.subject}",
            to=to,
            text=self._copy(self.text, placeholder, placeholder),
            html=self._copy(self.html, placeholder, placeholder),
            unsubscribe=placeholder,
        )

    def preview_html(self) -> str:
        """The HTML part's body, for showing inside an admin page."""
        body = self.html.partition("<body>")[2].rpartition("</body>")[0]
        return self._copy(body, "#", "#")


class Sender:
    """Django's configured mail backend, held open for a whole batch.

    With the SMTP backend the stamped bytes of ``DigestComposer.raw`` go straight to its
    ``smtplib`` connection (TLS and login as configured); any other backend (files in the
    demo, memory in tests) gets ordinary message objects.
    """

    def __init__(self) -> None:
        from django.core.mail import get_connection
        from django.core.mail.backends.smtp import EmailBackend

        self.backend = get_connection(fail_silently=False)
        self.raw = isinstance(self.backend, EmailBackend)
        self.backend.open()

    def send(self, composer: DigestComposer, row: Delivery, subscriber: Subscriber) -> None:
        if self.raw:
            if self.backend.connection is None:
                self.backend.open()
            self.backend.connection.sendmail(*composer.raw(row, subscriber))
        else:
            self.backend.send_messages([composer.message(row, subscriber)])

    def reconnect(self) -> None:
        self.close()
        self.backend.open()

    def close(self) -> None:
        import contextlib

        with contextlib.suppress(Exception):  # a dead connection cannot be closed politely
            self.backend.close()
