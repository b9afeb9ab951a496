"""Sign-up and preferences forms. The address is checked by ``addresses.normalise_email``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from clinicsite.clinic.models import Condition
from clinicsite.core.forms import AccessibleForm

from .addresses import normalise_email


class _ChoicesForm(AccessibleForm):
    topics = forms.ModelMultipleChoiceField(
        label="Topics",
        help_text="Leave all unticked to hear about everything.",
        queryset=Condition.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose topics from the list."},
    )
    language = forms.ChoiceField(
        label="Language",
        choices=settings.NEWSLETTER_LANGUAGES,
        initial=settings.NEWSLETTER_LANGUAGES[0][0],
        error_messages={
            "required": "Choose the language you want to read the newsletter in.",
            "invalid_choice": "Choose a language from the list.",
        },
    )


class SignupForm(_ChoicesForm):
    """E-mail, optional topics and language, plus two quiet bot checks.

    ``website`` is a honeypot: hidden from people (and from assistive technology), filled in
    by naive bots. ``form_token`` is the signed time the form was rendered.
    """

    email = forms.CharField(
        label="E-mail address",
        max_length=1000,  # longer input gets normalise_email's clear message, not a 500
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your e-mail address.",
            "max_length": "That address is too long: e-mail addresses have at most 254 characters.",
        },
    )
    website = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    form_token = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    source = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    field_order = ["email", "topics", "language"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "newsletter-%s")
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean_source(self) -> str:
        source = self.cleaned_data["source"]
        # A path on this site only (it is shown to staff in the consent ledger).
        if not source.startswith("/") or source.startswith("//"):
            return ""
        return source[:200]


class PreferencesForm(_ChoicesForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "prefs-%s")
        super().__init__(*args, **kwargs)
