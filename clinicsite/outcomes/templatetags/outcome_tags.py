from django import template

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


@register.filter
def ci(share: object) -> str:
    interval = getattr(share, "interval", None)
    if interval is None:
        return ""
    low, high = interval
    return f"95 % CI {round(low * 100)}–{round(high * 100)} %"


@register.filter
def grades(counts: dict[int, int], public: bool = True) -> str:
    """Adverse events by grade; in public, counts under 10 are shown as '<10'."""
    if not counts:
        return "none graded"
    parts = []
    for grade in sorted(counts):
        n = counts[grade]
        parts.append(f"grade {grade}: {'<10' if public and n < 10 else n}")
    return "; ".join(parts)
