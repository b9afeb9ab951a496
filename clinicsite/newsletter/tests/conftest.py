import pytest


@pytest.fixture(autouse=True)
def _empty_list(request):
    """Newsletter tests start from an empty list (the demo's subscribers are rolled back in)."""
    if "django_db_blocker" in request.fixturenames or request.node.get_closest_marker("django_db"):
        from clinicsite.newsletter.models import Digest, Subscriber

        request.getfixturevalue("db")
        Subscriber.objects.all().delete()
        Digest.objects.all().delete()
