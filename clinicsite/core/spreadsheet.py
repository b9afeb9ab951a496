"""CSV exports that a spreadsheet cannot run as formulas.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking) is read as a formula when the file is opened, so a
subscriber who signed up as ``=HYPERLINK(...)@example.org``, or a page titled so, could make
the member of staff who opens the export run it. Every CSV the admin writes goes through
Wagtail's ``SpreadsheetExportMixin`` (the subscriber list, the page and audit reports);
``patch_wagtail_exports`` makes that mixin pass every cell through ``neutralise_cell``.
Wagtail's XLSX export already stores formula-looking cells as text.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run with ``'``, which it shows as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def patch_wagtail_exports() -> None:
    """Route every cell of Wagtail's CSV exports, headings included, through the helper."""
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    if getattr(SpreadsheetExportMixin, "_cells_neutralised", False):
        return
    original_row = SpreadsheetExportMixin.write_csv_row
    original_heading = SpreadsheetExportMixin.get_heading

    def write_csv_row(self: Any, writer: Any, row_dict: dict[str, Any]) -> Any:
        values = {
            field: self.preprocess_field_value(field, value, self.FORMAT_CSV)
            for field, value in row_dict.items()
        }
        return writer.writerow({field: neutralise_cell(value) for field, value in values.items()})

    def get_heading(self: Any, queryset: Any, field: str) -> str:
        return neutralise_cell(original_heading(self, queryset, field))

    write_csv_row.__doc__ = original_row.__doc__
    SpreadsheetExportMixin.write_csv_row = write_csv_row
    SpreadsheetExportMixin.get_heading = get_heading
    SpreadsheetExportMixin._cells_neutralised = True
