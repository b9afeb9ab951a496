"""Validation of bibliographic identifiers, so every reference can be followed to its source."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# Crossref's recommended pattern for modern DOIs: "10." + 4–9 digit registrant + "/" + suffix.
# Angle brackets and square brackets, which that pattern also admits, are refused here: they
# only appear in a handful of legacy DOIs and are the characters markup injection needs.
DOI_RE = re.compile(r"^10\.\d{4,9}/[-._;()/:A-Za-z0-9]+$")
_DOI_PREFIX_RE = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
PMID_RE = re.compile(r"^[1-9]\d{0,8}$")


def normalise_doi(value: str) -> str:
    """Strip the forms people paste ("doi:", resolver URLs) down to the bare DOI."""
    return _DOI_PREFIX_RE.sub("", value).strip()


def validate_doi(value: str) -> None:
    if not DOI_RE.match(normalise_doi(value)):
        raise ValidationError(
            "Enter a DOI such as 10.1136/ard.2009.117366 (it starts with '10.' and has a '/').",
            code="invalid_doi",
        )


def validate_pmid(value: str) -> None:
    if not PMID_RE.match(value.strip()):
        raise ValidationError(
            "Enter a PubMed ID: digits only, up to 9, e.g. 29478901.", code="invalid_pmid"
        )


def doi_url(doi: str) -> str:
    return f"https://doi.org/{normalise_doi(doi)}"


def pmid_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid.strip()}/"


# Trial registries whose identifiers readers can look up. Each pattern is the registry's own
# identifier format; anything else is refused so a typo cannot pass as a registration.
_REGISTRIES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^NCT\d{8}$"), "https://clinicaltrials.gov/study/{id}"),
    (re.compile(r"^ISRCTN\d{8}$"), "https://www.isrctn.com/{id}"),
    (re.compile(r"^ACTRN\d{14}$"), "https://trialsearch.who.int/Trial2.aspx?TrialID={id}"),
    (re.compile(r"^ChiCTR[-A-Z0-9]{6,20}$"), "https://trialsearch.who.int/Trial2.aspx?TrialID={id}"),
    (re.compile(r"^DRKS\d{8}$"), "https://trialsearch.who.int/Trial2.aspx?TrialID={id}"),
    (re.compile(r"^\d{4}-\d{6}-\d{2}(-\d{2})?$"), "https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT={id}"),
]  # fmt: skip


def normalise_trial_registration(value: str) -> str:
    return value.strip().replace(" ", "").upper().replace("CHICTR", "ChiCTR")


def validate_trial_registration(value: str) -> None:
    ident = normalise_trial_registration(value)
    if not any(pattern.match(ident) for pattern, _ in _REGISTRIES):
        raise ValidationError(
            "Enter a trial registration such as NCT01539902, ISRCTN12345678, "
            "ACTRN12617000123456, ChiCTR2000012345 or an EU trial number (2019-001234-56).",
            code="invalid_trial_registration",
        )


def trial_registration_url(value: str) -> str:
    ident = normalise_trial_registration(value)
    for pattern, template in _REGISTRIES:
        if pattern.match(ident):
            return template.format(id=ident)
    raise ValueError(f"not a trial registration: {value!r}")
