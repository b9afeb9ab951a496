"""The applicant's side: a multi-step form kept server-side, encrypted, between requests.

Each step POST first stores what was typed (valid or not) in the encrypted draft, so Back,
Save and errors never lose input; then it validates. The draft id lives in the session and in
the signed resume link only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinicsite.clinic.models import Condition, Criterion
from clinicsite.core.mail import enqueue_after_commit

from . import services
from .forms import (
    AboutForm,
    ConditionForm,
    ConsentForm,
    HistoryForm,
    RecordsForm,
    ResumeCheckForm,
    SaveForm,
    StepForm,
)
from .models import Application, ApplicationDraft
from .ratelimit import over_limit
from .signing import read_resume_token, read_status_token, status_url
from .tasks import seal_address, send_resume_link
from .uploads import check_upload

SESSION_DRAFT = "applications.draft"
SESSION_SUBMITTED = "applications.submitted"
SESSION_PENDING = "applications.pending_draft"  # a checked link's draft, awaiting a choice

STEPS: list[tuple[str, type[StepForm]]] = [
    ("about", AboutForm),
    ("condition", ConditionForm),
    ("history", HistoryForm),
    ("records", RecordsForm),
    ("consent", ConsentForm),
]
STEP_NAMES = [name for name, _ in STEPS]
FORMS = dict(STEPS)


# --- draft plumbing -----------------------------------------------------------------------


def _load(request: HttpRequest) -> tuple[ApplicationDraft | None, dict[str, Any]]:
    draft_id = request.session.get(SESSION_DRAFT)
    if not draft_id:
        return None, {"raw": {}, "clean": {}}
    draft = ApplicationDraft.objects.filter(pk=draft_id).first()
    if draft is None:
        request.session.pop(SESSION_DRAFT, None)
        return None, {"raw": {}, "clean": {}}
    data = services.draft_data(draft)
    data.setdefault("raw", {})
    data.setdefault("clean", {})
    return draft, data


def _store(
    request: HttpRequest, draft: ApplicationDraft | None, data: dict[str, Any]
) -> ApplicationDraft:
    if draft is None:
        draft = services.draft_create(data=data)
        request.session[SESSION_DRAFT] = str(draft.pk)
    else:
        services.draft_save(draft=draft, data=data)
    return draft


def _first_incomplete(data: dict[str, Any]) -> str | None:
    for name in STEP_NAMES:
        if name not in data["clean"]:
            return name
    return None


def _make_form(name: str, *args: Any, **kwargs: Any) -> StepForm:
    if name == "consent":
        kwargs["current_version"] = settings.APPLICATION_PRIVACY_NOTICE_VERSION
    return FORMS[name](*args, **kwargs)


def _progress(current: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    reachable = True
    for index, (name, form_class) in enumerate(STEPS, start=1):
        items.append(
            {
                "name": name,
                "number": index,
                "title": form_class.title,
                "current": name == current,
                "done": name in data["clean"],
                "reachable": reachable,
                "url": reverse("applications:step", args=[name]),
            }
        )
        reachable = reachable and name in data["clean"]
    items.append(
        {
            "name": "review",
            "number": len(STEPS) + 1,
            "title": "Check and send",
            "current": current == "review",
            "done": False,
            "reachable": reachable,
            "url": reverse("applications:review"),
        }
    )
    return items


def _render_step(
    request: HttpRequest,
    name: str,
    form: StepForm,
    data: dict[str, Any],
    draft: ApplicationDraft | None,
    *,
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    form.annotate()
    number = STEP_NAMES.index(name) + 1
    records = []
    if name == "records" and draft is not None:
        records = [(r, services.record_name(r)) for r in draft.records.all()]
    return render(
        request,
        f"applications/step_{name}.html",
        {
            "form": form,
            "step": name,
            "step_number": number,
            "step_count": len(STEPS),
            "progress": _progress(name, data),
            "records": records,
            "notice": notice,
            "privacy_notice_version": settings.APPLICATION_PRIVACY_NOTICE_VERSION,
            "max_files": settings.APPLICATION_UPLOAD_MAX_FILES,
            "retention_days": settings.APPLICATION_RETENTION_DAYS,
        },
        status=status,
    )


def _too_many(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context["notice"] = (
        "You have sent a lot of requests in a short time. Please wait a minute and then press "
        "the button again; what you typed is still on this page."
    )
    return render(request, template, context, status=429)


# --- views --------------------------------------------------------------------------------


@never_cache
def start(request: HttpRequest) -> HttpResponse:
    _draft, data = _load(request)
    return render(
        request,
        "applications/start.html",
        {"has_draft": _draft is not None, "next_step": _first_incomplete(data) or "review"},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, name: str) -> HttpResponse:
    if name not in FORMS:
        raise Http404
    draft, data = _load(request)
    first_open = _first_incomplete(data)
    if first_open is not None and STEP_NAMES.index(name) > STEP_NAMES.index(first_open):
        return redirect("applications:step", first_open)
    if request.method == "GET":
        initial = dict(data["raw"].get(name, {}))
        initial.pop("privacy_notice_version", None)  # always show the current notice
        form = _make_form(name, initial=initial)
        return _render_step(request, name, form, data, draft)

    if over_limit(request, f"step:{name}"):
        form = _make_form(name, initial=request.POST.dict())
        form.annotate()
        return _render_step(
            request, name, form, data, draft, status=429,
            notice="You have sent a lot of requests in a short time. Please wait a minute and "
            "press the button again; what you typed is still on this page.",
        )  # fmt: skip

    action = request.POST.get("action", "continue")
    form = _make_form(name, request.POST, request.FILES)
    data["raw"][name] = {
        key: request.POST.get(key, "")[:5000] for key in form.fields if key != "file"
    }
    valid = form.is_valid()
    if valid:
        cleaned = form.json_data()
        cleaned.pop("file", None)
        data["clean"][name] = cleaned
    elif action == "continue" or action.startswith("remove:") or action == "upload":
        data["clean"].pop(name, None)
    notice = ""

    if name == "records":
        draft = _store(request, draft, data)
        upload = request.FILES.get("file")
        if action.startswith("remove:"):
            record_id = action.partition(":")[2]
            if not (record_id.isascii() and record_id.isdigit() and len(record_id) <= 18):
                # A tampered button: say so, without losing anything (not a 500).
                form.add_error(None, "That file could not be found. Please try again.")
                return _render_step(request, name, form, data, draft, status=400)
            record = draft.records.filter(pk=int(record_id)).first()
            if record is not None:
                services.record_delete(record=record)
            return redirect("applications:step", name)
        if upload is not None:
            if draft.records.count() >= settings.APPLICATION_UPLOAD_MAX_FILES:
                form.add_error(
                    "file", f"You can add at most {settings.APPLICATION_UPLOAD_MAX_FILES} files."
                )
            else:
                try:
                    checked = check_upload(upload)
                except ValidationError as exc:
                    form.add_error("file", exc)
                else:
                    services.draft_add_record(draft=draft, upload=checked)
                    notice = "Your file was added."
            if form.errors:
                data["clean"].pop(name, None)
                _store(request, draft, data)
                return _render_step(request, name, form, data, draft, status=400)
        if action == "upload":
            form = _make_form(name)
            return _render_step(request, name, form, data, draft, notice=notice)
        data["clean"][name] = {"files": draft.records.count()}

    draft = _store(request, draft, data)
    if action == "back":
        index = STEP_NAMES.index(name)
        return redirect("applications:step", STEP_NAMES[max(index - 1, 0)])
    if action == "save":
        return redirect("applications:save")
    if not valid:
        return _render_step(request, name, form, data, draft, status=400)
    next_index = STEP_NAMES.index(name) + 1
    if request.POST.get("return") == "review" and _first_incomplete(data) is None:
        return redirect("applications:review")
    if next_index >= len(STEP_NAMES):
        return redirect("applications:review")
    return redirect("applications:step", STEP_NAMES[next_index])


def _review_sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each step's answers as (question, answer) pairs, for the applicant's own review."""
    sections = []
    for name, form_class in STEPS:
        if name in ("records", "consent"):
            continue
        form = _make_form(name)
        clean = data["clean"].get(name, {})
        rows = []
        for field_name, field in form.fields.items():
            value = clean.get(field_name)
            if value in (None, ""):
                continue
            if value is True:
                value = "Yes"
            elif value is False:
                value = "No"
            elif field_name == "condition":
                condition = Condition.objects.filter(slug=value).first()
                value = condition.name if condition else value
            elif field_name == "date_of_birth":
                value = "/".join(reversed(str(value).split("-")))
            rows.append((field.label, value, field_name))
        sections.append(
            {
                "name": name,
                "title": form_class.title,
                "rows": rows,
                "url": reverse("applications:step", args=[name]) + "?return=review",
            }
        )
    return sections


@never_cache
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest) -> HttpResponse:
    draft, data = _load(request)
    first_open = _first_incomplete(data)
    if draft is None or first_open is not None:
        return redirect("applications:step", first_open or "about")

    def page() -> dict[str, Any]:
        # Only for showing the page (GET, or a refused POST): a submit that goes through
        # would decrypt the file names and rebuild every answer for nothing.
        return {
            "sections": _review_sections(data),
            "records": [(r, services.record_name(r)) for r in draft.records.all()],
            "progress": _progress("review", data),
            "step_count": len(STEPS),
        }

    if request.method == "GET":
        return render(request, "applications/review.html", page())
    if over_limit(request, "submit"):
        return _too_many(request, "applications/review.html", page())

    # Re-validate every step from what was typed: a condition or the privacy notice may have
    # changed since the step was completed.
    merged: dict[str, Any] = {}
    condition: Condition | None = None
    for name, _form_class in STEPS:
        if name == "records":
            continue
        form = _make_form(name, data["raw"].get(name, {}))
        if not form.is_valid():
            data["clean"].pop(name, None)
            services.draft_save(draft=draft, data=data)
            return redirect("applications:step", name)
        merged.update(form.json_data())
        if name == "condition":
            condition = form.cleaned_data["condition"]  # the row the form just validated
    merged.pop("condition")
    assert condition is not None  # the condition step is among the steps validated above
    application = services.application_submit(
        draft=draft,
        data=merged,
        condition=condition,
        privacy_notice_version=merged["privacy_notice_version"],
        request=request,
    )
    request.session.pop(SESSION_DRAFT, None)
    request.session[SESSION_SUBMITTED] = application.reference
    return redirect("applications:received")


@never_cache
def received(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(SESSION_SUBMITTED)
    application = Application.objects.filter(reference=reference).first() if reference else None
    if application is None:
        return redirect("applications:start")
    explanations: list[str] = []
    if application.screening_outcome == "not_eligible":
        explanations = list(
            dict.fromkeys(
                Criterion.objects.filter(pk__in=application.screening_criteria).values_list(
                    "explanation", flat=True
                )
            )
        )
    return render(
        request,
        "applications/received.html",
        {
            "application": application,
            "explanations": explanations,
            "status_url": status_url(application),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def save(request: HttpRequest) -> HttpResponse:
    """Send the applicant a signed link to continue later. The e-mail holds only the link."""
    draft, data = _load(request)
    if draft is None:
        return redirect("applications:start")
    email = data["raw"].get("about", {}).get("email", "")
    if services.draft_birth_date(data) is None:
        # The link will ask for the date of birth before it opens anything: without one
        # there is nothing to ask, so there is no link to send yet.
        return render(
            request, "applications/save.html",
            {"needs_about": True, "about_url": reverse("applications:step", args=["about"])},
            status=200 if request.method == "GET" else 400,
        )  # fmt: skip
    if request.method == "GET":
        form = SaveForm(initial={"email": email})
        return render(request, "applications/save.html", {"form": form})
    if over_limit(request, "save", limit=5):
        return render(
            request, "applications/save.html",
            {"form": SaveForm(initial=request.POST.dict()),
             "notice": "We have sent several links already. Please wait a minute and try again."},
            status=429,
        )  # fmt: skip
    form = SaveForm(request.POST)
    if not form.is_valid():
        return render(request, "applications/save.html", {"form": form}, status=400)
    address = form.cleaned_data["email"]
    services.draft_new_link(draft=draft)
    enqueue_after_commit(send_resume_link, str(draft.pk), seal_address(address, str(draft.pk)))
    return render(request, "applications/saved.html", {"email": address})


def _link_problem(
    request: HttpRequest,
    title: str,
    message: str,
    status: int,
    *,
    link_url: str = "",
    link_text: str = "",
) -> HttpResponse:
    return render(
        request,
        "applications/link_problem.html",
        {"title": title, "message": message, "link_url": link_url, "link_text": link_text},
        status=status,
    )


def _continue(draft: ApplicationDraft) -> HttpResponseRedirect:
    """Where a reopened draft picks up: its first unfinished step, or the review."""
    data = services.draft_data(draft)
    data.setdefault("clean", {})
    first_open = _first_incomplete(data)
    if first_open is None:
        return redirect("applications:review")
    return redirect("applications:step", first_open)


def _link_dead(request: HttpRequest) -> HttpResponse:
    return _link_problem(
        request, "This link no longer works",
        "To protect your answers, a link stops working after too many wrong dates of birth, "
        "or when a newer link was sent. If your application is still open in the browser you "
        "used, continue there and choose “Save and continue later” to get a new link. "
        "Otherwise please start a new application.", 410,
    )  # fmt: skip


def _bind(request: HttpRequest, draft: ApplicationDraft) -> HttpResponse:
    """The date of birth matched: this session may hold the draft. If it holds another one,
    nothing is replaced until the person chooses (``resume_choose``)."""
    request.session.cycle_key()
    current = request.session.get(SESSION_DRAFT)
    if (
        current
        and current != str(draft.pk)
        and ApplicationDraft.objects.filter(pk=current).exists()
    ):
        request.session[SESSION_PENDING] = str(draft.pk)
        return redirect("applications:resume_choose")
    request.session[SESSION_DRAFT] = str(draft.pk)
    return _continue(draft)


@never_cache
@require_http_methods(["GET", "POST"])
def resume(request: HttpRequest, token: str) -> HttpResponse:
    """A resume link: the draft opens only after its date of birth is typed again.

    The link alone shows no answer: what a forwarded or leaked e-mail gives is this question,
    five tries for the draft (``ApplicationDraft.RESUME_ATTEMPTS``), and then a dead link.
    """
    try:
        draft_id, version = read_resume_token(token)
    except signing.SignatureExpired:
        return _link_problem(
            request, "This link has expired",
            f"Links to continue an application work for {settings.APPLICATION_DRAFT_DAYS} days. "
            "Please start a new application.", 410,
        )  # fmt: skip
    except signing.BadSignature:
        return _link_problem(
            request, "This link is not valid",
            "The link may have been copied incompletely. Try copying the whole link from the "
            "e-mail, or start a new application.", 400,
        )  # fmt: skip
    draft = ApplicationDraft.objects.filter(pk=draft_id).first()
    if draft is None:
        application = Application.objects.filter(from_draft=draft_id).first()
        if application is not None:
            return _link_problem(
                request, "This application has been sent",
                "This link no longer opens it. You can see how your application is getting on "
                "from its status page.", 410,
                link_url=status_url(application), link_text="See the status of your application",
            )  # fmt: skip
        return _link_problem(
            request, "This application is no longer open",
            "It was deleted, or it has expired. Please start a new application.", 410,
        )  # fmt: skip
    if version != draft.link_version or draft.is_locked:
        return _link_dead(request)
    if request.session.get(SESSION_DRAFT) == str(draft.pk):
        return _continue(draft)  # this browser already holds it
    if services.draft_birth_date(services.draft_data(draft)) is None:
        return _link_dead(request)  # nothing to ask: an old link to a draft without step 1

    form = ResumeCheckForm(request.POST if request.method == "POST" else None)
    status_code = 200
    if request.method == "POST":
        if over_limit(request, "resume", limit=10):
            form = ResumeCheckForm()
            form.annotate()
            return _too_many(request, "applications/resume_check.html", {"form": form})
        status_code = 400
        if form.is_valid():
            outcome = services.draft_check_birth_date(
                draft=draft, born=form.cleaned_data["date_of_birth"], request=request
            )
            if outcome == "ok":
                return _bind(request, draft)
            if outcome == "locked":
                return _link_dead(request)
            left = draft.checks_left
            form.add_error(
                "date_of_birth",
                "This is not the date of birth given in the application. Check the day, month "
                f"and year and try again: {left} {'try' if left == 1 else 'tries'} left before "
                "this link stops working.",
            )
    form.annotate()
    return render(request, "applications/resume_check.html", {"form": form}, status=status_code)


@never_cache
@require_http_methods(["GET", "POST"])
def resume_choose(request: HttpRequest) -> HttpResponse:
    """This browser held one draft and a checked link opened another: the person picks."""
    pending = request.session.get(SESSION_PENDING)
    draft = ApplicationDraft.objects.filter(pk=pending).first() if pending else None
    if draft is None:
        request.session.pop(SESSION_PENDING, None)
        return redirect("applications:start")
    if request.method == "GET":
        return render(request, "applications/resume_choose.html")
    choice = request.POST.get("choice")
    if choice not in ("keep", "switch"):
        return render(request, "applications/resume_choose.html", status=400)
    request.session.pop(SESSION_PENDING, None)
    if choice == "switch":
        request.session[SESSION_DRAFT] = str(draft.pk)
        return _continue(draft)
    current, _data = _load(request)
    return _continue(current) if current is not None else redirect("applications:start")


@never_cache
def status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        reference = read_status_token(token)
    except signing.SignatureExpired:
        return _link_problem(
            request, "This link has expired",
            "Please contact the clinic with your reference and we will tell you the status.",
            410,
        )  # fmt: skip
    except signing.BadSignature:
        return _link_problem(
            request, "This link is not valid",
            "The link may have been copied incompletely. Try copying the whole link from the "
            "e-mail.", 400,
        )  # fmt: skip
    application = Application.objects.filter(reference=reference).first()
    if application is None:
        return _link_problem(
            request, "We no longer hold this application",
            "Its data has been deleted, as our privacy notice describes.", 410,
        )  # fmt: skip
    return render(request, "applications/status.html", {"application": application})


def start_over(request: HttpRequest) -> HttpResponseRedirect:
    """Forget the draft in this browser (POST only, so a link cannot discard someone's work)."""
    if request.method == "POST":
        draft, _data = _load(request)
        if draft is not None:
            services.draft_discard(draft=draft)
        request.session.pop(SESSION_DRAFT, None)
    return redirect("applications:start")
