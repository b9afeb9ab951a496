import datetime

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

import pytest

from clinicsite.accounts.testing import verified_login
from clinicsite.applications.screening import Outcome, derive_answers, screen, specs_for_protocol
from clinicsite.clinic.models import Criterion, TreatmentProtocol

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)
GOOD = {
    "date_of_birth": "1980-05-01",
    "diagnosis_confirmed": True,
    "cancer_last_5_years": False,
    "pregnant": False,
    "active_infection": False,
    "flares_last_year": 2,
}


def lupus_protocol() -> TreatmentProtocol:
    return TreatmentProtocol.objects.get(condition__slug="lupus")


def test_demo_protocol_screens_real_answers():
    specs = specs_for_protocol(lupus_protocol())
    assert len(specs) == 7
    assert screen(derive_answers(GOOD, today=TODAY), specs).outcome == Outcome.ELIGIBLE
    too_old = screen(derive_answers({**GOOD, "date_of_birth": "1940-01-01"}, today=TODAY), specs)
    assert too_old.outcome == Outcome.NOT_ELIGIBLE
    assert too_old.explanations == ["The protocol is open to adults aged 18 to 70."]
    pregnant = screen(derive_answers({**GOOD, "pregnant": True}, today=TODAY), specs)
    assert "pregnant" in pregnant.explanations[0]


def test_comparison_criterion_needs_a_number():
    criterion = Criterion(
        protocol=lupus_protocol(), kind="inclusion", answer="age", operator="gte",
        value="eighteen", explanation="x",
    )  # fmt: skip
    with pytest.raises(ValidationError):
        criterion.full_clean()
    criterion.value = "nan"
    with pytest.raises(ValidationError):
        criterion.full_clean()


def test_clinician_edits_criteria_inline_in_the_admin(client, django_user_model):
    user = django_user_model.objects.create_user("clin-crit", password="pw")
    user.groups.add(Group.objects.get(name="Clinician"))
    verified_login(client, user)
    protocol = lupus_protocol()
    response = client.get(f"/admin/snippets/clinic/treatmentprotocol/edit/{protocol.pk}/")
    assert response.status_code == 200
    assert b"Screening criteria" in response.content
    assert b"The protocol is open to adults aged 18 to 70." in response.content


def test_a_changed_criterion_screens_the_next_application(client):
    """Screening rules are remembered between submits; saving a criterion must end that."""
    from .factories import make_application

    assert make_application(with_record=False).screening_outcome == "eligible"
    age = lupus_protocol().criteria.get(answer="age", operator="lte")
    age.value = "30"  # the factory's applicant was born in 1980
    age.save()
    assert make_application(with_record=False).screening_outcome == "not_eligible"


def test_a_protocol_withdrawn_is_not_screened_against():
    from .factories import make_application

    assert make_application(with_record=False).protocol is not None
    protocol = lupus_protocol()
    protocol.is_active = False
    protocol.save()
    application = make_application(with_record=False)
    assert application.protocol is None
    assert application.screening_outcome == "needs_review"
