from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from clinicsite.clinic.models import Condition, TreatmentProtocol

from .models import Application, ScreeningOutcome


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Application.Status.choices], required=False
    )
    condition = forms.ModelChoiceField(
        Condition.objects.all(), required=False, empty_label="Any condition"
    )
    protocol = forms.ModelChoiceField(
        TreatmentProtocol.objects.select_related("condition"),
        required=False,
        empty_label="Any protocol",
    )
    screening = forms.ChoiceField(
        choices=[("", "Any screening result"), *ScreeningOutcome.choices], required=False
    )


class AssignForm(forms.Form):
    clinician = forms.ModelChoiceField(get_user_model().objects.none(), label="Assign to")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = (
            get_user_model()
            .objects.filter(is_active=True, groups__name="Clinician")
            .order_by("username")
            .distinct()
        )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="New note", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(Application.Status.ACCEPTED, "Accept"), (Application.Status.DECLINED, "Decline")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason for the decision", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    override_reason = forms.CharField(
        label="Reason for going against the screening result",
        help_text="Required when accepting someone the screening found not eligible, or "
        "declining someone it found eligible.",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
