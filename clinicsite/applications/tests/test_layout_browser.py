"""The application pages lay out like every other page: at desktop width the header and
footer span the window and only the form's column is narrow (they were cut off at 768 px)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("path", ["/apply/", "/apply/about/"])
def test_header_and_footer_span_the_window(page: Page, live_site, width: int, path: str):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_site.url + path)
    widths = page.evaluate(
        """() => ({
            header: document.querySelector('.site-header').getBoundingClientRect().width,
            footer: document.querySelector('.site-footer').getBoundingClientRect().width,
            page: document.documentElement.scrollWidth,
            column: document.querySelector('main h1').getBoundingClientRect().width,
        })"""
    )
    assert widths["header"] == width
    assert widths["footer"] == width
    assert widths["page"] == width  # nothing overflows sideways
    assert widths["column"] <= min(width, 48 * 16)  # the form keeps its reading measure
