"""Text from AutoSync made safe to store and to put in an email header: no control characters."""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
LINE_BREAKS = re.compile("[\t\n\r]+")


def clean(value: str, *, multiline: bool = False) -> str:
    """`value` without control characters: in a single-line field, line breaks and tabs become
    one space and the ends are trimmed (a newline in a shop's name once broke the invite
    emails); multi-line text keeps its line breaks and tabs."""
    if multiline:
        return CONTROL_IN_TEXT.sub("", value)
    return CONTROL.sub("", LINE_BREAKS.sub(" ", value)).strip()
