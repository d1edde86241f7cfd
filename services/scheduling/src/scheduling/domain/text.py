"""Free text people type (names, emails, cancel reasons, availability notes, consent wording versions).

Control characters (Unicode category Cc: NUL, escape, ...) are refused everywhere: nobody types
them, PostgreSQL cannot store NUL, and they garble logs, messages and exports. A multi-line text
(a cancel reason) may still hold line breaks and tabs. Text that must say something (a name, a
reason, a wording version) is blank when it shows nothing, invisible characters included.
"""

from __future__ import annotations

import unicodedata

from scheduling.domain.errors import RuleBroken

LINE_BREAKS = frozenset("\n\r\t")
# Characters that show nothing though str.strip() keeps them: Hangul and Braille blanks (format
# characters, category Cf, such as zero-width spaces, are found by their category).
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def has_control_characters(text: str, *, multi_line: bool = False) -> bool:
    return any(unicodedata.category(char) == "Cc" and not (multi_line and char in LINE_BREAKS) for char in text)


def check_text(field_name: str, text: str, *, multi_line: bool = False) -> list[RuleBroken]:
    """The rule `text` breaks, if any (it is never echoed: it may be someone's name)."""
    if has_control_characters(text, multi_line=multi_line):
        return [RuleBroken(field_name, "must not contain control characters")]
    return []


def is_blank(text: str) -> bool:
    """Nothing anyone would see: empty, spaces, or only invisible characters (a zero-width space)."""
    return all(char.isspace() or char in BLANKS or unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp")
               for char in text)
