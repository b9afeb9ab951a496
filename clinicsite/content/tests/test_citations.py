import string

from django.core.exceptions import ValidationError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.content.citations import (
    doi_url,
    normalise_doi,
    pmid_url,
    validate_doi,
    validate_pmid,
)

suffix_chars = string.ascii_letters + string.digits + "-._;()/:"
dois = st.builds(
    lambda registrant, suffix: f"10.{registrant}/{suffix}",
    st.integers(min_value=1000, max_value=999_999_999),
    st.text(alphabet=suffix_chars, min_size=1, max_size=40),
)


@given(dois, st.sampled_from(["", "doi:", "https://doi.org/", "http://dx.doi.org/", "  "]))
def test_every_well_formed_doi_is_accepted_however_it_is_pasted(doi, prefix):
    validate_doi(prefix + doi)
    assert normalise_doi(prefix + doi) == doi
    assert doi_url(prefix + doi) == f"https://doi.org/{doi}"


@pytest.mark.parametrize(
    "bad",
    ["", "10.1136", "11.1136/ard.2009", "10.12/short-registrant", "ard.2009.123463",
     "10.1136/has space", "10.1136/<script>", "javascript:alert(1)"],
)  # fmt: skip
def test_malformed_dois_are_rejected_with_an_example(bad):
    with pytest.raises(ValidationError, match=r"10\.1136/ard"):
        validate_doi(bad)


@given(st.integers(min_value=1, max_value=999_999_999))
def test_pmids_are_positive_integers(pmid):
    validate_pmid(str(pmid))
    assert pmid_url(str(pmid)).endswith(f"/{pmid}/")


@given(st.text(max_size=20).filter(lambda s: not s.strip().isdigit() or s.strip().startswith("0")))
def test_anything_else_is_not_a_pmid(text):
    with pytest.raises(ValidationError):
        validate_pmid(text)
