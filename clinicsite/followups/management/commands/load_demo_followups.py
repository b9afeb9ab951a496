"""Give the demo clinic a plausible, clearly fictional follow-up history.

Creates fictional accepted applicants ("Demo patient NNN (fictional)", addresses under
``demo.invalid``) treated on each active protocol over the past 14 months, their scheduled
questionnaires, answers drawn from a fixed random seed (so the figures are the same on every
machine) and a few graded adverse events, so the outcome pages and story cards show real
computation. Idempotent: it does nothing if the demo history already exists.
"""

from __future__ import annotations

import datetime
import json
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from clinicsite.applications.models import Application, ScreeningOutcome
from clinicsite.clinic.models import TreatmentProtocol
from clinicsite.core import encrypted
from clinicsite.followups import services
from clinicsite.followups.models import AdverseEvent, Invitation, Response, Score

PATIENTS_PER_PROTOCOL = 48
DEMO_DOMAIN = "demo.invalid"


def _seal(instance: Any, field: str, value: Any) -> None:
    encrypted.seal(instance, field, json.dumps(value).encode())


class Command(BaseCommand):
    help = "Load a fictional follow-up history for the demo (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if Application.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exists():
            return
        rng = random.Random(20261125)  # noqa: S311 - demo data, not security
        now = timezone.now()
        with transaction.atomic():
            clinician = self.demo_clinician()
            for protocol in TreatmentProtocol.objects.filter(is_active=True).order_by("pk"):
                for n in range(PATIENTS_PER_PROTOCOL):
                    self.patient(protocol, n, clinician, rng, now)
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS("Demo follow-up history is loaded."))

    def demo_clinician(self) -> Any:
        user, created = get_user_model().objects.get_or_create(
            username="demo-clinician", defaults={"email": "clinician@clinic.example"}
        )
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get(name="Clinician"))
        return user

    def patient(
        self,
        protocol: TreatmentProtocol,
        n: int,
        clinician: Any,
        rng: random.Random,
        now: datetime.datetime,
    ) -> None:
        treated_on = (now - datetime.timedelta(days=rng.randint(20, 420))).date()
        number = f"{protocol.pk:02d}{n:03d}"
        application = Application(
            full_name=f"Demo patient {number} (fictional)",
            email=f"patient{number}@{DEMO_DOMAIN}",
            phone="+44 1632 960 999",
            country="United Kingdom",
            condition_id=protocol.condition_id,
            protocol=protocol,
            screening_outcome=ScreeningOutcome.ELIGIBLE,
            privacy_notice_version="demo",
            consent_at=now,
            status=Application.Status.ACCEPTED,
            decided_at=now,
        )
        _seal(application, "answers_ciphertext", {"demo": True})
        application.save(force_insert=True)
        recorded = timezone.make_aware(datetime.datetime.combine(treated_on, datetime.time(9)))
        treatment = services.treatment_record(
            application=application,
            protocol=protocol,
            treated_on=treated_on,
            time_zone="Europe/London",
            clinician=clinician,
            notes="Fictional demo patient.",
            now=recorded,
        )
        responder = rng.random() < 0.8
        for invitation in treatment.invitations.select_related("time_point").order_by("due_at"):
            if invitation.due_at > now:
                continue
            if not responder or rng.random() < 0.15:
                status = (
                    Invitation.Status.EXPIRED
                    if invitation.expires_at <= now
                    else Invitation.Status.SENT
                )
                Invitation.objects.filter(pk=invitation.pk).update(status=status)
                continue
            self.respond(invitation, rng)

    def respond(self, invitation: Invitation, rng: random.Random) -> None:
        months = invitation.time_point.months
        # A modest, fading effect, many people unchanged or worse: plausible, not flattering.
        pgic = min(7, max(1, round(rng.gauss(3.6 - 0.1 * min(months, 6), 1.3))))
        pain = min(10, max(0, round(rng.gauss(5.5 - 0.1 * min(months, 6), 2))))
        fatigue = min(10, max(0, round(rng.gauss(6 - 0.1 * min(months, 6), 2))))
        wellbeing = min(10, max(0, round(rng.gauss(5 + 0.1 * min(months, 6), 2))))
        answers = {
            "pgic": pgic,
            "pain": pain,
            "fatigue": fatigue,
            "wellbeing": wellbeing,
            "ae_any": False,
        }
        response = Response(
            invitation=invitation,
            treatment_id=invitation.treatment_id,
            time_point_id=invitation.time_point_id,
            protocol_id=invitation.protocol_id,
            condition_id=invitation.condition_id,
            submitted_at=invitation.due_at + datetime.timedelta(days=rng.randint(0, 6)),
            improved=pgic in (1, 2),
        )
        _seal(response, "answers_ciphertext", answers)
        response.save(force_insert=True)
        Score.objects.bulk_create(
            Score(
                response=response,
                protocol_id=invitation.protocol_id,
                time_point_id=invitation.time_point_id,
                key=key,
                value=answers[key],
            )
            for key in ("pgic", "pain", "fatigue", "wellbeing")
        )
        Invitation.objects.filter(pk=invitation.pk).update(status=Invitation.Status.RESPONDED)
        if rng.random() < 0.06:
            event = AdverseEvent(
                treatment_id=invitation.treatment_id,
                response=response,
                protocol_id=invitation.protocol_id,
                condition_id=invitation.condition_id,
                time_point_id=invitation.time_point_id,
                reported_at=response.submitted_at,
                status=AdverseEvent.Status.ACKNOWLEDGED,
                grade=rng.choice([1, 1, 1, 2, 2, 3]),
                acknowledged_at=response.submitted_at,
            )
            _seal(event, "description_ciphertext", "Fictional demo event: headache and fever.")
            _seal(event, "action_ciphertext", "Fictional: reviewed by telephone; resolved.")
            event.save(force_insert=True)
