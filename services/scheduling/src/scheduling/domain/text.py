"""Free text people type (names, emails, cancel reasons, availability notes, consent wording versions).

Control characters (Unicode category Cc: NUL, escape, ...) are refused everywhere: nobody types
them, PostgreSQL cannot store NUL, and they garble logs, messages and exports. A multi-line text
(a cancel reason) may still hold line breaks and tabs.
"""

from __future__ import annotations

import unicodedata

from scheduling.domain.errors import RuleBroken

LINE_BREAKS = frozenset("\n\r\t")


def has_control_characters(text: str, *, multi_line: bool = False) -> bool:
    return any(unicodedata.category(char) == "Cc" and not (multi_line and char in LINE_BREAKS) for char in text)


def check_text(field_name: str, text: str, *, multi_line: bool = False) -> list[RuleBroken]:
    """The rule `text` breaks, if any (it is never echoed: it may be someone's name)."""
    if has_control_characters(text, multi_line=multi_line):
        return [RuleBroken(field_name, "must not contain control characters")]
    return []
