"""Sources as users see them: « Livret CPAM de l'Isère, 2026, p. 25-27 », never a line number or a file name.

The catalogue's ``source`` fields cite the transcribed booklet by line (« Livret CPAM Isère 004 L728-729 ») and
the project's research notes (« ANCHORS.md §1.9 (PAPS Occitanie, 26/01/2026) ») so that a reviewer can check
each figure; :func:`public_source` turns them into the public names. The booklet's own table of contents
(004:L45-56) gives the first page of each chapter, not the page of each line: a line is cited by the pages of
its chapter.
"""

from __future__ import annotations

import re

BOOKLET = "Livret CPAM de l'Isère, 2026"

# (first line, last line) of each chapter of the transcribed booklet → (first page, last page), from the table
# of contents (004:L47-56: chapter 3 starts p. 10, 4 p. 19, 5 p. 25, 6 p. 28, 7 p. 31) and the chapter
# markers « 03 » (L164), « 04 » (L396), « 05 » (L573), « 06 » (L789), « 07 » (L869).
BOOKLET_CHAPTERS = [
    (58, 87, 5, 5),
    (88, 163, 6, 9),
    (164, 395, 10, 18),
    (396, 572, 19, 24),
    (573, 788, 25, 27),
    (789, 868, 28, 30),
    (869, 963, 31, 32),
]
# Public names of the pages quoted in the research notes (ANCHORS.md §1.9, §1.10).
NOTES_SECTIONS = {
    "1.9": "PAPS (Portail d'accompagnement des professionnels de santé)",
    "1.10": "pages publiques des ARS sur le label France Santé (2025)",
}
INTERNAL = re.compile(r"ANCHORS|seed|\.md\b|\bL\d+|\b00\d\b", re.IGNORECASE)


def booklet_pages(lines: list[int]) -> str:
    """« p. 25-27 » for lines of the booklet (the pages of their chapters); "" when no line is in a chapter."""
    pages = [(first, last) for line in lines for start, end, first, last in BOOKLET_CHAPTERS if start <= line <= end]
    if not pages:
        return ""
    first, last = min(p[0] for p in pages), max(p[1] for p in pages)
    return f"p. {first}" if first == last else f"p. {first}-{last}"


def _public_part(part: str) -> str:
    if re.search(r"\b004\b", part):
        lines = [int(n) for n in re.findall(r"L(\d+)", part)]
        pages = booklet_pages(lines)
        return f"{BOOKLET}, {pages}" if pages else BOOKLET
    if "ANCHORS" in part:
        if named := re.search(r"\((PAPS [^,)]+)(?:, ([^)]+))?\)", part):
            return named.group(1) + (f" (mise à jour du {named.group(2)})" if named.group(2) else "")
        section = re.search(r"§\s*(\d+\.\d+)", part)
        return NOTES_SECTIONS.get(section.group(1), "") if section else ""
    return "" if INTERNAL.search(part) else part.strip()


def public_source(text: str) -> str:
    """The public citation of a catalogue ``source`` (parts separated by « ; », duplicates removed)."""
    parts: list[str] = []
    for part in (text or "").split(";"):
        public = _public_part(part)
        if public and public not in parts:
            parts.append(public)
    return " ; ".join(parts)
