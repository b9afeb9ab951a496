"""Reads of outcome statistics for pages: cached, invalidated when follow-up data changes.

Public callers get aggregates only; a cell computed from fewer than ``MIN_PUBLIC`` responders
is never shown with numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

from .stats import MIN_PUBLIC, OutcomeRow, outcome_table

CACHE_KEY = "outcomes:table:v1"
CACHE_SECONDS = 3600


def cached_table() -> list[OutcomeRow]:
    table = cache.get(CACHE_KEY)
    if table is None:
        table = outcome_table()
        cache.set(CACHE_KEY, table, CACHE_SECONDS)
    return table


def _drop() -> None:
    cache.delete(CACHE_KEY)


def invalidate(**kwargs: object) -> None:
    """Drop the cached table (signal receiver) from the cache every process shares.

    Signals fire before the saving transaction commits: a page rendered in between would
    cache the old figures again, so the table is dropped once more on commit."""
    _drop()
    transaction.on_commit(_drop)


@dataclass
class OutcomeCard:
    protocol: str
    rows: list[OutcomeRow]

    @property
    def has_data(self) -> bool:
        return any(row.publishable for row in self.rows)


def card_for(*, condition_id: int | None, protocol_id: int | None) -> OutcomeCard | None:
    """The outcome card shown beside a patient story: every time point of its protocol."""
    rows = [
        row
        for row in cached_table()
        if (protocol_id and row.protocol_id == protocol_id)
        or (not protocol_id and condition_id and row.condition_id == condition_id)
    ]
    if not rows:
        return None
    return OutcomeCard(protocol=rows[0].protocol, rows=rows)


__all__ = ["MIN_PUBLIC", "OutcomeCard", "cached_table", "card_for", "invalidate"]
