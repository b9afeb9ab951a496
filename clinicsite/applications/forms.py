"""The applicant's form, one Django form per step, validated on the server.

Every field carries a hint and a specific error; ``annotate`` wires ``aria-describedby`` and
``aria-invalid`` so screen readers hear both. Yes/no answers are stored as booleans.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinicsite.clinic.models import Condition
from clinicsite.core.forms import AccessibleForm

YES_NO = [("yes", "Yes"), ("no", "No")]
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,30}$")
TEXT_LIMIT = 2000

# Condition-specific activity questions, by condition slug (the clinic's own conditions).
ACTIVITY_QUESTIONS: dict[str, tuple[str, ...]] = {
    "lupus": ("flares_last_year", "kidney_involvement"),
    "multiple-sclerosis": ("relapses_last_2_years", "walks_unaided"),
}


def yes_no(label: str, help_text: str = "", required: bool = True) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        required=required,
        error_messages={"required": f"Select yes or no: {label[0].lower()}{label[1:]}"},
    )


def long_text(label: str, help_text: str = "", required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": f"Please keep this under {TEXT_LIMIT} characters "
            "(it has %(show_value)d).",
        },
    )


class StepForm(AccessibleForm):
    """One step of the application; accessible rendering comes from ``AccessibleForm``."""

    template_name = "applications/includes/form_fields.html"
    required_css_class = "required"

    def json_data(self) -> dict[str, Any]:
        """``cleaned_data`` as JSON-ready values (dates as ISO strings, models as slugs)."""
        out: dict[str, Any] = {}
        for key, value in self.cleaned_data.items():
            if isinstance(value, datetime.date):
                value = value.isoformat()
            elif isinstance(value, Condition):
                value = value.slug
            out[key] = value
        return out


class AboutForm(StepForm):
    title = "About you"
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={"required": "Enter your full name"},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        help_text="We send a link here to continue your application and to check its status.",
        error_messages={
            "required": "Enter your e-mail address",
            "invalid": "Enter an e-mail address like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label="Telephone number",
        max_length=40,
        help_text="Include the country code if you live outside the UK, e.g. +44 7700 900123.",
        error_messages={"required": "Enter a telephone number"},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    country = forms.CharField(
        label="Country you live in",
        max_length=100,
        error_messages={"required": "Enter the country you live in"},
        widget=forms.TextInput(attrs={"autocomplete": "country-name"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        help_text="For example 27/03/1985 (day/month/year).",
        input_formats=["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d"],
        error_messages={
            "required": "Enter your date of birth",
            "invalid": "Enter your date of birth as day/month/year, for example 27/03/1985",
        },
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"autocomplete": "bday"}),
    )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not PHONE_RE.match(phone):
            raise ValidationError(
                "Enter a telephone number using digits, spaces and + only, e.g. +44 7700 900123"
            )
        return phone

    def clean_date_of_birth(self) -> datetime.date:
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise ValidationError("Your date of birth must be in the past")
        if born.year < today.year - 120:
            raise ValidationError("Check the year of your date of birth")
        return born


class ConditionForm(StepForm):
    title = "Your condition"
    condition = forms.ModelChoiceField(
        label="Which condition do you have?",
        queryset=Condition.objects.all(),
        to_field_name="slug",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Select your condition",
            "invalid_choice": "Select one of the conditions listed",
        },
    )
    year_diagnosed = forms.IntegerField(
        label="Year you were diagnosed",
        help_text="For example 2016. An estimate is fine.",
        min_value=1900,
        error_messages={
            "required": "Enter the year you were diagnosed",
            "invalid": "Enter the year as a number, for example 2016",
            "min_value": "Enter a year after 1900",
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "4"}),
    )
    diagnosis_confirmed = yes_no(
        "Has a specialist confirmed the diagnosis?",
        "For example a rheumatologist for lupus or a neurologist for MS.",
    )
    treatments = long_text(
        "Treatments you have had for this condition", "Optional. List them in any order."
    )
    medicines = long_text("Medicines you take now", "Optional. Name and dose if you know them.")
    flares_last_year = forms.IntegerField(
        label="How many flares have you had in the last 12 months?",
        help_text="Answer if you have lupus. A flare is a spell when symptoms got clearly worse.",
        required=False,
        min_value=0,
        max_value=365,
        error_messages={"invalid": "Enter a whole number, for example 2"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "3"}),
    )
    kidney_involvement = yes_no(
        "Has lupus affected your kidneys (lupus nephritis)?",
        "Answer if you have lupus.",
        required=False,
    )
    relapses_last_2_years = forms.IntegerField(
        label="How many relapses have you had in the last 2 years?",
        help_text="Answer if you have multiple sclerosis.",
        required=False,
        min_value=0,
        max_value=100,
        error_messages={"invalid": "Enter a whole number, for example 1"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "3"}),
    )
    walks_unaided = yes_no(
        "Can you walk 100 metres without an aid?",
        "Answer if you have multiple sclerosis.",
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a missing answer to a yes/no question is None, not False
        for name in ("kidney_involvement", "walks_unaided"):
            self.fields[name].empty_value = None
        for names in ACTIVITY_QUESTIONS.values():
            for name in names:
                self.fields[name].conditional = True  # required for that condition only

    def activity_groups(self) -> list[tuple[str, list[Any]]]:
        return [
            ("Questions about lupus", [self["flares_last_year"], self["kidney_involvement"]]),
            (
                "Questions about multiple sclerosis",
                [self["relapses_last_2_years"], self["walks_unaided"]],
            ),
        ]

    def clean_year_diagnosed(self) -> int:
        year = self.cleaned_data["year_diagnosed"]
        if year > timezone.localdate().year:
            raise ValidationError("The year you were diagnosed cannot be in the future")
        return year

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        condition = data.get("condition")
        if condition is None:
            return data
        asked = ACTIVITY_QUESTIONS.get(condition.slug, ())
        for name in {n for names in ACTIVITY_QUESTIONS.values() for n in names}:
            if name not in asked:
                data[name] = None  # questions about another condition are not kept
            elif data.get(name) in (None, "") and name not in self.errors:
                label = self.fields[name].label
                self.add_error(name, f"Answer this question about {condition.name}: {label}")
        return data


class HistoryForm(StepForm):
    title = "Health history"
    FOLLOW_UPS = {
        "cancer_last_5_years": "cancer_details",
        "active_infection": "infection_details",
        "other_conditions": "other_conditions_details",
    }
    cancer_last_5_years = yes_no("Have you had cancer in the last 5 years?")
    cancer_details = long_text(
        "If yes: what kind of cancer, and when was it treated?", "Only needed if you answered yes."
    )
    pregnant = yes_no(
        "Are you pregnant, or planning a pregnancy in the next 12 months?",
        "Answer no if this does not apply to you.",
    )
    active_infection = yes_no(
        "Do you have an infection now that is being treated?",
        "For example pneumonia, a urine infection, hepatitis, HIV or tuberculosis.",
    )
    infection_details = long_text(
        "If yes: which infection, and how is it treated?", "Only needed if you answered yes."
    )
    other_conditions = yes_no("Do you have any other long-term health conditions?")
    other_conditions_details = long_text(
        "If yes: which conditions?", "Only needed if you answered yes."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for follow_up in self.FOLLOW_UPS.values():
            self.fields[follow_up].conditional = True  # required after a "yes"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for question, follow_up in self.FOLLOW_UPS.items():
            if data.get(question) is True:
                if not data.get(follow_up) and follow_up not in self.errors:
                    self.add_error(follow_up, "You answered yes: please tell us a little more")
            elif question in data:
                data[follow_up] = ""  # not asked, not kept
        return data


class RecordsForm(StepForm):
    title = "Medical records"
    file = forms.FileField(
        label="Add a file",
        required=False,
        help_text="PDF, JPEG or PNG, up to 10 MB each, at most 5 files. For example a clinic "
        "letter or recent blood test results.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class ConsentForm(StepForm):
    title = "Consent"
    privacy_notice_version = forms.CharField(widget=forms.HiddenInput, max_length=20)
    privacy_notice_read = forms.BooleanField(
        label="I have read the privacy notice above",
        error_messages={"required": "Confirm that you have read the privacy notice"},
    )
    consent_health_data = forms.BooleanField(
        label="I agree that the clinic may store and use the health information in this "
        "application to assess whether a treatment protocol may suit me",
        help_text="You can withdraw consent at any time; we will then delete your application.",
        error_messages={
            "required": "We can only assess your application if you agree to us using your "
            "health information"
        },
    )

    def __init__(self, *args: Any, current_version: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current_version = current_version
        self.fields["privacy_notice_version"].initial = current_version

    def clean_privacy_notice_version(self) -> str:
        version = self.cleaned_data["privacy_notice_version"]
        if version != self.current_version:
            raise ValidationError(
                "The privacy notice changed while you were filling in the form. Please read the "
                "new version and confirm again."
            )
        return version


class SaveForm(forms.Form):
    """Asks for an address to send the resume link to, when step 1 has none yet."""

    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        error_messages={
            "required": "Enter your e-mail address",
            "invalid": "Enter an e-mail address like name@example.com",
        },
    )


class ResumeCheckForm(AccessibleForm):
    """The question a resume link asks before it opens a draft: something the link does not
    carry and a forwarded e-mail does not tell."""

    template_name = "applications/includes/form_fields.html"
    date_of_birth = forms.DateField(
        label="Your date of birth",
        help_text="The one you gave in the application, for example 27/03/1985 (day/month/year).",
        input_formats=AboutForm.base_fields["date_of_birth"].input_formats,
        error_messages={
            "required": "Enter your date of birth",
            "invalid": "Enter your date of birth as day/month/year, for example 27/03/1985",
        },
        widget=forms.DateInput(attrs={"autocomplete": "bday", "spellcheck": "false"}),
    )
