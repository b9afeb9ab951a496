"""The patient's questionnaire, built from the instrument's questions (questions are data)."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import AdverseEvent, Question, validate_time_zone

MAX_TEXT = 2000


class SurveyForm(forms.Form):
    """One field per question; scale and list answers are radio buttons (large touch targets)."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[question.key] = self._field(question)

    @staticmethod
    def _field(question: Question) -> forms.Field:
        required = question.required
        kind = question.answer_type
        if kind == Question.AnswerType.SCALE:
            values = question.allowed_values()
            choices = []
            for value in values:
                label = str(value)
                if value == question.scale_min and question.min_label:
                    label = f"{value} – {question.min_label}"
                elif value == question.scale_max and question.max_label:
                    label = f"{value} – {question.max_label}"
                choices.append((str(value), label))
            return forms.TypedChoiceField(
                label=question.text,
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
                required=required,
                empty_value=None,
                error_messages={"required": "Choose a number for this question."},
            )
        if kind == Question.AnswerType.CHOICE:
            return forms.TypedChoiceField(
                label=question.text,
                choices=[(str(v), label) for v, label in question.choices],
                coerce=int,
                widget=forms.RadioSelect,
                required=required,
                empty_value=None,
                error_messages={"required": "Choose one answer."},
            )
        if kind == Question.AnswerType.YES_NO:
            return forms.TypedChoiceField(
                label=question.text,
                choices=[("yes", "Yes"), ("no", "No")],
                coerce=lambda value: value == "yes",
                widget=forms.RadioSelect,
                required=required,
                empty_value=None,
                error_messages={"required": "Answer yes or no."},
            )
        return forms.CharField(
            label=question.text,
            required=required,
            max_length=MAX_TEXT,
            widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_TEXT}),
            error_messages={"max_length": f"Please keep this under {MAX_TEXT} characters."},
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("ae_any") is True and not (data.get("ae_description") or "").strip():
            self.add_error(
                "ae_description", "Tell us briefly what happened, so a clinician can help."
            )
        return data

    def answers(self) -> dict[str, Any]:
        return {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}


class AcknowledgeForm(forms.Form):
    grade = forms.TypedChoiceField(
        label="Grade (CTCAE)",
        coerce=int,
        choices=[
            ("", "Choose a grade"),
            *[(str(v), label) for v, label in AdverseEvent.Grade.choices],
        ],
    )
    action = forms.CharField(
        label="What was done", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )


class TreatmentForm(forms.Form):
    treated_on = forms.DateField(
        label="Date of treatment", widget=forms.DateInput(attrs={"type": "date"})
    )
    time_zone = forms.CharField(label="Patient's time zone", initial="Europe/London", max_length=64)
    notes = forms.CharField(
        label="Clinical notes (encrypted)", required=False, widget=forms.Textarea, max_length=8000
    )

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        validate_time_zone(value)
        return value
