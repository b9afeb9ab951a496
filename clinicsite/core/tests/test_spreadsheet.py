"""Every CSV export neutralises formula cells: the helper, and Wagtail's own page report."""

from __future__ import annotations

import csv
import io

from wagtail.models import Page

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.core.spreadsheet import FORMULA_STARTS, neutralise_cell


@given(st.text())
def test_no_cell_comes_out_starting_like_a_formula(value):
    cell = neutralise_cell(value)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (value, f"'{value}")


def test_non_text_cells_are_left_alone():
    assert neutralise_cell(-3) == -3
    assert neutralise_cell(None) is None


@pytest.mark.django_db
def test_wagtail_page_report_csv_neutralises_a_formula_title(admin_client):
    page = Page.objects.filter(depth=3).first().specific
    page.title = '=HYPERLINK("http://evil.example","x")'
    page.save_revision().publish()
    response = admin_client.get("/admin/reports/aging-pages/", {"export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    titles = [row[0] for row in rows[1:]]
    assert f"'{page.title}" in titles
    assert page.title not in titles
