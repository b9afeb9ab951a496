"""The subscriber's side: sign up, confirm, leave, change preferences.

Sign-up is exempt from Django's CSRF check on purpose: the box sits on pages served from the
anonymous page cache, which must not carry a per-visitor token, and a forged sign-up can do
no harm that filling in the form cannot — it only sends a confirmation e-mail, and nothing
happens until the mailbox's owner clicks. Bots meet a honeypot, a minimum fill time, and
per-IP and per-address limits instead. The manage links are authorised by their signed token.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clinicsite.core.audit import client_ip
from clinicsite.core.ratelimit import hit

from . import consent
from .forms import PreferencesForm, SignupForm
from .models import ConsentEvent, Subscriber
from .services import subscribers
from .tokens import form_age, form_token, manage_token, read_confirm_token, read_manage_token

logger = logging.getLogger(__name__)

SUCCESS = (
    "Thank you. Please check your inbox: we have sent you a link to confirm your "
    "subscription. Nothing is sent until you click it."
)
AGAIN = "Please check your details and press “Subscribe” once more."
TOO_MANY = "Too many sign-ups have come from your network in the last hour. Please try later."


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def signup_context(
    form: SignupForm | None = None,
    *,
    source: str = "",
    message: str = "",
    ok: bool = False,
    token: str | None = None,
) -> dict[str, Any]:
    """What the sign-up form (page or box) needs to render."""
    if form is None:
        form = SignupForm(initial={"source": source})
    form.annotate()
    return {
        "form": form,
        "form_token": token or form_token(),
        "wording": consent.wording(consent.CURRENT),
        "message": message,
        "ok": ok,
        "action": reverse("newsletter:signup"),
    }


def _answer(
    request: HttpRequest, form: SignupForm, *, message: str, ok: bool, status: int = 200
) -> HttpResponse:
    # The fill-time clock keeps running from the first render while the visitor corrects
    # their input; only a finished sign-up, or a missing or forged token, starts it again.
    sent = form.data.get("form_token")
    token = sent if not ok and form_age(sent) is not None else form_token()
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": ok,
                "message": message,
                "errors": {name: list(errors) for name, errors in form.errors.items()},
                "form_token": token,
            },
            status=status,
        )
    if ok:  # a fresh, empty form under the thank-you
        form = SignupForm(initial={"source": form.data.get("source", "")})
    return render(
        request,
        "newsletter/signup.html",
        signup_context(form, message=message, ok=ok, token=token),
        status=status,
    )


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "newsletter/signup.html", signup_context(source=request.path))
    form = SignupForm(request.POST)
    ip = client_ip(request) or "unknown"
    if hit("newsletter-signup", ip, limit=settings.NEWSLETTER_SIGNUPS_PER_IP_HOUR, window=3600):
        return _answer(request, form, message=TOO_MANY, ok=False, status=429)
    if not form.is_valid():
        return _answer(request, form, message="There is a problem", ok=False, status=400)
    data = form.cleaned_data
    if data["website"]:
        logger.info("newsletter sign-up refused: honeypot filled")
        return _answer(request, form, message=SUCCESS, ok=True)
    age = form_age(data["form_token"])
    if age is None or age > settings.NEWSLETTER_FORM_MAX_AGE:
        form.data = form.data.copy()
        form.data["form_token"] = ""  # start the clock now
        return _answer(request, form, message=AGAIN, ok=False)
    if age < settings.NEWSLETTER_MIN_FILL_SECONDS:
        return _answer(request, form, message=AGAIN, ok=False)
    subscribers.subscriber_signup(
        email=data["email"],
        topics=data["topics"],
        language=data["language"],
        source=data["source"] or request.path,
        request=request,
    )
    return _answer(request, form, message=SUCCESS, ok=True)


def _link_problem(request: HttpRequest, *, expired: bool = False) -> HttpResponse:
    status = 410 if expired else 400
    return render(request, "newsletter/link_problem.html", {"expired": expired}, status=status)


def _subscriber_from_manage(token: str) -> Subscriber | None:
    try:
        key = read_manage_token(token)
    except signing.BadSignature:
        return None
    return Subscriber.objects.filter(key=key).first()


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, so link scanners cannot opt anyone in."""
    try:
        key, opt_in_round = read_confirm_token(token)
    except signing.SignatureExpired:
        return _link_problem(request, expired=True)
    except signing.BadSignature:
        return _link_problem(request)
    if request.method == "GET":
        subscriber = Subscriber.objects.filter(key=key).first()
        if subscriber is None or subscriber.opt_in_round != opt_in_round:
            return _link_problem(request)
        return render(request, "newsletter/confirm.html", {"subscriber": subscriber})
    result = subscribers.subscriber_confirm(key=key, opt_in_round=opt_in_round, request=request)
    if result.outcome == "stale":
        return _link_problem(request)
    return render(
        request,
        "newsletter/confirmed.html",
        {
            "already": result.outcome == "already",
            "preferences_url": reverse(
                "newsletter:preferences", args=[manage_token(result.subscriber.key)]
            ),
        },
    )


@never_cache
@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookies
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber_from_manage(token)
    if subscriber is None:
        return _link_problem(request)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        method = ConsentEvent.Method.ONE_CLICK if one_click else ConsentEvent.Method.EMAIL_LINK
        subscribers.subscriber_unsubscribe(subscriber=subscriber, method=method, request=request)
        if one_click:
            return HttpResponse("Unsubscribed.", content_type="text/plain")
        subscriber.refresh_from_db()
    return render(
        request,
        "newsletter/unsubscribe.html",
        {
            "subscriber": subscriber,
            "preferences_url": reverse("newsletter:preferences", args=[token]),
            "left": subscriber.status == Subscriber.Status.UNSUBSCRIBED,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber_from_manage(token)
    if subscriber is None:
        return _link_problem(request)
    initial = {"topics": list(subscriber.topics.all()), "language": subscriber.language}
    form = PreferencesForm(initial=initial)
    message = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "unsubscribe":
            subscribers.subscriber_unsubscribe(
                subscriber=subscriber, method=ConsentEvent.Method.EMAIL_LINK, request=request
            )
            message = "You have left the list. We will not send you the newsletter again."
        elif action == "resubscribe" and subscriber.status == Subscriber.Status.UNSUBSCRIBED:
            subscribers.subscriber_resubscribe(subscriber=subscriber, request=request)
            message = "Please check your inbox: we have sent you a link to confirm."
        else:
            form = PreferencesForm(request.POST)
            if form.is_valid():
                subscribers.subscriber_update_preferences(
                    subscriber=subscriber,
                    topics=form.cleaned_data["topics"],
                    language=form.cleaned_data["language"],
                    request=request,
                )
                message = "Your preferences are saved."
            else:
                status = 400
        subscriber.refresh_from_db()
    form.annotate()
    return render(
        request,
        "newsletter/preferences.html",
        {"subscriber": subscriber, "form": form, "message": message, "token": token},
        status=status,
    )
