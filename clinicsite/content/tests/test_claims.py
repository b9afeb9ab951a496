"""The claim block: validation in the editor and what readers see."""

import re

from wagtail.blocks import StreamValue
from wagtail.blocks.struct_block import StructBlockValidationError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.content import citations
from clinicsite.content.blocks import ClaimBlock

from .factories import COMPLETE_CLAIM

pytestmark = pytest.mark.django_db


def clean(**change):
    block = ClaimBlock()
    return block.clean(block.to_python({**COMPLETE_CLAIM, **change}))


def test_a_complete_claim_is_accepted_and_normalised():
    value = clean(doi="https://doi.org/10.1186/ar4520", registration="nct 01539902")
    assert value["doi"] == "10.1186/ar4520"
    assert value["registration"] == "NCT01539902"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"doi": "", "pmid": "", "registration": ""}, "doi"),
        ({"doi": "10.1/short"}, "doi"),
        ({"registration": "NCT12"}, "registration"),
        ({"control_result": ""}, "control_result"),
        ({"design": "case_report"}, "control_result"),
    ],
)
def test_an_incomplete_claim_is_refused_at_the_field(change, field):
    with pytest.raises(StructBlockValidationError) as excinfo:
        clean(**change)
    assert field in excinfo.value.block_errors


def test_the_demo_article_shows_claims_with_badges_and_source_links(client):
    content = client.get("/articles/can-stem-cells-help-lupus/").content.decode()
    assert content.count('<div class="claim" role="group"') == 4
    assert "Fair test: randomised, with a comparison group" in content
    assert content.count("No comparison group</span>") == 3
    assert "Small study" in content
    assert 'href="https://doi.org/10.1136/annrheumdis-2017-211073" rel="noopener">Deng' in content
    assert "Remission in 5 of the 6 given a placebo (83%)." in content
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/29478901/"' in content


def test_claim_text_is_escaped(client):
    from clinicsite.content.models import ArticlePage

    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    raw = list(article.body.raw_data)
    raw.append({"type": "claim", "value": {**COMPLETE_CLAIM, "statement": "<script>x()</script>"}})
    article.body = StreamValue(article.body.stream_block, raw, is_lazy=True)
    article.save_revision().publish()
    content = client.get("/articles/can-stem-cells-help-lupus/").content.decode()
    assert "<script>x()" not in content
    assert "&lt;script&gt;x()" in content


@given(st.text(max_size=40))
def test_trial_registration_validation_never_crashes(value):
    try:
        citations.validate_trial_registration(value)
    except citations.ValidationError:
        return
    assert re.match(
        r"^(NCT|ISRCTN|ACTRN|ChiCTR|DRKS|\d{4}-)", citations.normalise_trial_registration(value)
    )
    assert citations.trial_registration_url(value).startswith("https://")


def test_condition_page_shows_questions_to_ask(client):
    content = client.get("/conditions/lupus/").content.decode()
    assert "Questions to ask before treatment: MSC-L1" in content
    assert "Is this a registered clinical trial, and where?" in content
    assert "No. This protocol is not registered" in content
    assert "DREC-2025-014" in content
    assert 'href="#evidence-heading"' in content
    assert "Standard care led by your rheumatologist" in content
