"""Wire-agency credits: which agency a story says it comes from.

Only positions where a credit means "this story is from the agency" count: the
dateline at the very start, a closing credit line, and the byline. A mention in running
text ("reported the Associated Press (AP)") cites the agency as a source, not as the
origin, and is ignored.
"""

from __future__ import annotations

import re

# Canonical short name -> spellings (matched case-sensitively where the short form is
# an ordinary word in some language).
AGENCIES: dict[str, tuple[str, ...]] = {
    "AP": ("AP", "Associated Press", "The Associated Press"),
    "Reuters": ("Reuters", "REUTERS", "Thomson Reuters"),
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "PTI": ("PTI", "Press Trust of India"),
    "ANI": ("ANI", "Asian News International"),
    "IANS": ("IANS", "Indo-Asian News Service"),
    "UNI": ("UNI", "United News of India"),
    "TASS": ("TASS", "ITAR-TASS"),
    "RIA": ("RIA", "RIA Novosti", "RIA-Novosti"),
    "Interfax": ("Interfax",),
    "IRNA": ("IRNA", "Islamic Republic News Agency"),
    "Xinhua": ("Xinhua",),
    "dpa": ("dpa", "DPA", "Deutsche Presse-Agentur"),
    "EFE": ("EFE",),
    "ANSA": ("ANSA",),
    "Kyodo": ("Kyodo", "Kyodo News"),
    "Yonhap": ("Yonhap",),
    "Anadolu": ("Anadolu", "Anadolu Agency", "AA"),
    "APA": ("APA",),
    "Bernama": ("Bernama",),
    "CNA": ("CNA",),
    "WAFA": ("WAFA",),
    "Ukrinform": ("Ukrinform",),
    "KUNA": ("KUNA",),
    "WAM": ("WAM",),
    "SPA": ("SPA",),
}

_NAME_TO_AGENCY = {alias.lower(): name for name, aliases in AGENCIES.items() for alias in aliases}
_ALT = "|".join(
    sorted((re.escape(a) for aliases in AGENCIES.values() for a in aliases), key=len, reverse=True)
)
_AGENCY_LIST = rf"(?:{_ALT})(?:\s*(?:/|,|and|&)\s*(?:{_ALT}))*"

# "MOSCOW (Reuters) -", "(AP) —", "NEW DELHI, Oct 24 (PTI):", "Moscow, 24 October, TASS."
_DATELINE = re.compile(
    rf"^(?:[A-Z][\w .,'’-]{{0,60}}?\s*)?\(({_AGENCY_LIST})\)\s*[-—–:]"
    rf"|^[A-Z][A-Z .,'’-]{{1,40}},?\s.{{0,25}}?/?({_AGENCY_LIST})/?\s*[-—–:.]"
)
# "— Reuters", "(IANS)", "With inputs from PTI", "Source: TASS", "(AFP)"
_CLOSING = re.compile(
    rf"(?:^|[\s(])(?:[-—–]\s*|with inputs? from\s+|source:\s*|inputs? from\s+|courtesy:?\s*)"
    rf"({_AGENCY_LIST})\s*\)?\.?\s*$"
    rf"|^\(?({_AGENCY_LIST})\)?\.?$"
    rf"|^\((?:with inputs? from|reporting by)[^)]*?\b({_AGENCY_LIST})\b[^)]*\)\.?$",
    re.IGNORECASE,
)
_REUTERS_SIGNOFF = re.compile(
    r"^\((?:Reporting|Additional reporting) by [^)]+;\s*Editing by [^)]+\)$"
)
_BYLINE = re.compile(rf"^(?:by\s+)?({_AGENCY_LIST})(?:\s+staff|\s+news)?$", re.IGNORECASE)


def _names(match_text: str) -> list[str]:
    found = []
    for part in re.split(r"\s*(?:/|,|\band\b|&)\s*", match_text):
        name = _NAME_TO_AGENCY.get(part.strip().lower())
        if name and name not in found:
            found.append(name)
    return found


def detect_wire(text: str, byline: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Agencies credited as the story's source, each with the evidence that shows it."""
    found: dict[str, str] = {}
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    if paragraphs:
        first = paragraphs[0][:200]
        match = _DATELINE.search(first)
        if match:
            for name in _names(next(g for g in match.groups() if g)):
                found.setdefault(name, f"dateline: {match.group(0).strip()}")
        for para in paragraphs[-2:]:
            line = para.strip()
            if len(line) > 200:
                line = line[-120:]
            closing = _CLOSING.search(line)
            if closing:
                group = next(g for g in closing.groups() if g)
                for name in _names(group):
                    found.setdefault(name, f"closing credit: {closing.group(0).strip()}")
            elif _REUTERS_SIGNOFF.match(line):
                found.setdefault("Reuters", f"sign-off: {line[:80]}")
    for name_text in byline:
        credit = _BYLINE.match(name_text.strip())
        if credit:
            for name in _names(credit.group(1)):
                found.setdefault(name, f"byline: {name_text}")
    return sorted(found.items())


def agency_name(text: str) -> str | None:
    """The canonical agency for a credit string ("Associated Press" -> "AP")."""
    return _NAME_TO_AGENCY.get(text.strip().lower())
