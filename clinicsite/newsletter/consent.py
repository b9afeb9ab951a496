"""The consent wording a subscriber sees, by version.

A new wording gets a new version and the old one stays here, so every ledger entry still
says exactly what that person agreed to. ``CURRENT`` is the one the forms show.
"""

WORDINGS: dict[str, str] = {
    "2026-12": (
        "Send me the clinic's newsletter: new articles, patient stories and news, at most once "
        "a month. I can leave at any time with the link in every e-mail. The clinic keeps my "
        "address, the topics and language I choose, and a record of this consent; it shares "
        "them with no one."
    ),
}
CURRENT = "2026-12"


def wording(version: str) -> str:
    return WORDINGS.get(version, "")
