"""Form behaviour every public form shares."""

from __future__ import annotations

from django import forms


class AccessibleForm(forms.Form):
    """Wires each input to its hint and error (``aria-describedby``, ``aria-invalid``), so a
    screen reader announces both; render fields with ``includes/form_field.html``."""

    def annotate(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}_hint")
            if self.is_bound and self.errors.get(name):
                ids.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
