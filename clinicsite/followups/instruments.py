"""The questionnaires the clinic ships with. Clinics can edit them or add their own."""

from __future__ import annotations

from typing import Any

PGIC_CHOICES = [
    [1, "Very much improved"],
    [2, "Much improved"],
    [3, "Minimally improved"],
    [4, "No change"],
    [5, "Minimally worse"],
    [6, "Much worse"],
    [7, "Very much worse"],
]

SHIPPED: list[dict[str, Any]] = [
    {
        "slug": "pgic",
        "name": "Patient Global Impression of Change",
        "description": "How you feel now compared with before your treatment.",
        "questions": [
            {
                "key": "pgic",
                "answer_type": "choice",
                "choices": PGIC_CHOICES,
                "improved_values": [1, 2],
                "text": "Since your treatment, how would you describe the change (if any) "
                "in your condition?",
            },
        ],
    },
    {
        "slug": "nrs",
        "name": "Symptom scores (0–10)",
        "description": "Think about the last seven days.",
        "questions": [
            {
                "key": "pain",
                "answer_type": "scale",
                "scale_min": 0,
                "scale_max": 10,
                "min_label": "no pain",
                "max_label": "worst pain imaginable",
                "text": "On average, how bad was your pain?",
            },
            {
                "key": "fatigue",
                "answer_type": "scale",
                "scale_min": 0,
                "scale_max": 10,
                "min_label": "no tiredness",
                "max_label": "worst tiredness imaginable",
                "text": "On average, how tired have you felt?",
            },
            {
                "key": "wellbeing",
                "answer_type": "scale",
                "scale_min": 0,
                "scale_max": 10,
                "min_label": "very poor",
                "max_label": "excellent",
                "text": "Overall, how would you rate your wellbeing?",
            },
        ],
    },
    {
        "slug": "update",
        "name": "Your update",
        "description": "",
        "questions": [
            {
                "key": "update",
                "answer_type": "text",
                "required": False,
                "text": "Is there anything else you would like to tell us about how you are?",
            },
        ],
    },
    {
        "slug": "adverse-events",
        "name": "New health problems",
        "description": "",
        "is_adverse_event_set": True,
        "questions": [
            {
                "key": "ae_any",
                "answer_type": "yes_no",
                "text": "Since your last questionnaire, have you had any new or worse "
                "health problem?",
            },
            {
                "key": "ae_description",
                "answer_type": "text",
                "required": False,
                "text": "If yes: what happened, when did it start, and did you need medical care?",
            },
        ],
    },
]


def ensure_instruments(instrument_model: Any, question_model: Any) -> None:
    """Create the shipped questionnaires if missing (idempotent; never overwrites edits)."""
    for spec in SHIPPED:
        spec = dict(spec)
        questions = spec.pop("questions")
        instrument, created = instrument_model.objects.get_or_create(
            slug=spec["slug"], defaults=spec
        )
        if not created:
            continue
        for order, question in enumerate(questions):
            question_model.objects.create(instrument=instrument, sort_order=order, **question)
