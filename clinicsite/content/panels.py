"""Editor panel that shows the medical review checks while the page is being written."""

from __future__ import annotations

from typing import Any

from wagtail.admin.panels import Panel


class EvidenceCheckPanel(Panel):
    """Lists what Medical review would send back, so editors can fix it before submitting."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "content/admin/evidence_check_panel.html"

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            from .review import page_findings

            context = super().get_context_data(parent_context)
            saved = bool(self.instance and self.instance.pk)
            context["saved"] = saved
            context["findings"] = page_findings(self.instance) if saved else []
            return context
