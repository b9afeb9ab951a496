import re

import pytest

from clinicsite.outcomes.stats import MIN_PUBLIC, outcome_table

pytestmark = pytest.mark.django_db


def test_the_demo_history_produces_real_figures():
    rows = outcome_table()
    assert rows
    assert any(row.publishable for row in rows)
    for row in rows:
        assert row.improved <= row.responded <= row.due <= row.treated


def test_public_page_shows_aggregates_and_never_a_small_cell(client):
    content = client.get("/outcomes/").content.decode()
    assert "Outcomes of everyone we treat" in content
    assert "95 % CI" in content
    for row in outcome_table():
        if not row.publishable:
            assert row.responded < MIN_PUBLIC
    # no adverse-event count under 10 is printed
    assert not re.search(r"grade \d: [1-9](?!\d)", content)
    assert "Demo patient" not in content


def test_story_pages_carry_the_outcome_card(client):
    content = client.get("/stories/amaras-story/").content.decode()
    assert "What happened to everyone treated on this protocol" in content
    assert "MSC-L1" in content
    assert ("% CI" in content) or ("Not enough follow-up data yet" in content)


def test_new_responses_refresh_the_cached_figures_and_pages(client):
    from django.core.cache import cache

    from clinicsite.followups.models import Response
    from clinicsite.outcomes import selectors

    assert client.get("/outcomes/")["X-Page-Cache"] == "miss"
    assert client.get("/outcomes/")["X-Page-Cache"] == "hit"
    assert cache.get(selectors.CACHE_KEY) is not None
    Response.objects.first().save()
    assert cache.get(selectors.CACHE_KEY) is None
    assert client.get("/outcomes/")["X-Page-Cache"] == "miss"
