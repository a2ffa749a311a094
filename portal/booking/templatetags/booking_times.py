"""The free times as radio inputs: the one loop of the part htmx reloads on every change of
day, written with format_html_join (as a template loop it was about a fifth of the part's
processor time; this costs a fraction of that)."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

TIME_INPUT = (
    '<li><input type="radio" name="start" value="{}" id="{}"{}{}><label for="{}">{}</label></li>'
)
CHECKED = mark_safe(" checked")  # constants: nothing of the request in them
INVALID = mark_safe(' aria-invalid="true"')


@register.simple_tag
def time_inputs(times: list[tuple[str, str, str, bool]], invalid: bool) -> SafeString:
    """<li> per time of `_times_part` (value, label, id, checked); every input marked
    invalid when the time form has errors."""
    flagged = INVALID if invalid else ""
    return format_html_join(
        "\n",
        TIME_INPUT,
        (
            (value, id, CHECKED if checked else "", flagged, id, label)
            for value, label, id, checked in times
        ),
    )
