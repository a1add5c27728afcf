"""Wire-agency credits: which agency a story says it comes from.

Only positions where a credit means "this story is from the agency" count: the
dateline at the very start, a closing credit line, and the byline. A mention in running
text ("reported the Associated Press (AP)") cites the agency as a source, not as the
origin, and is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

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


class WireDetector:
    """Credit patterns compiled for one set of agencies (built-in plus the user's)."""

    def __init__(self, agencies: Mapping[str, tuple[str, ...]]) -> None:
        self.name_of = {
            alias.lower(): name for name, aliases in agencies.items() for alias in aliases
        }
        alt = "|".join(
            sorted(
                (re.escape(a) for aliases in agencies.values() for a in aliases),
                key=len,
                reverse=True,
            )
        )
        agency_list = rf"(?:{alt})(?:\s*(?:/|,|and|&)\s*(?:{alt}))*"
        # "MOSCOW (Reuters) -", "(AP) —", "NEW DELHI, Oct 24 (PTI):", "Moscow, 24 October, TASS."
        self.dateline = re.compile(
            rf"^(?:[A-Z][\w .,'’-]{{0,60}}?\s*)?\(({agency_list})\)\s*[-—–:]"
            rf"|^[A-Z][A-Z .,'’-]{{1,40}},?\s.{{0,25}}?/?({agency_list})/?\s*[-—–:.]"
        )
        # "— Reuters", "(IANS)", "With inputs from PTI", "Source: TASS", "(AFP)"
        self.closing = re.compile(
            r"(?:^|[\s(])"
            r"(?:[-—–]\s*|with inputs? from\s+|source:\s*|inputs? from\s+|courtesy:?\s*)"
            rf"({agency_list})\s*\)?\.?\s*$"
            rf"|^\(?({agency_list})\)?\.?$"
            rf"|^\((?:with inputs? from|reporting by)[^)]*?\b({agency_list})\b[^)]*\)\.?$",
            re.IGNORECASE,
        )
        self.byline = re.compile(
            rf"^(?:by\s+)?({agency_list})(?:\s+staff|\s+news)?$", re.IGNORECASE
        )

    def names(self, match_text: str) -> list[str]:
        found = []
        for part in re.split(r"\s*(?:/|,|\band\b|&)\s*", match_text):
            name = self.name_of.get(part.strip().lower())
            if name and name not in found:
                found.append(name)
        return found

    def detect(self, text: str, byline: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """Agencies credited as the story's source, each with the evidence that shows it."""
        found: dict[str, str] = {}
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        if paragraphs:
            first = paragraphs[0][:200]
            match = self.dateline.search(first)
            if match:
                for name in self.names(next(g for g in match.groups() if g)):
                    found.setdefault(name, f"dateline: {match.group(0).strip()}")
            for para in paragraphs[-2:]:
                self._closing_credit(para.strip(), found)
        for name_text in byline:
            credit = self.byline.match(name_text.strip())
            if credit:
                for name in self.names(credit.group(1)):
                    found.setdefault(name, f"byline: {name_text}")
        return sorted(found.items())

    def _closing_credit(self, line: str, found: dict[str, str]) -> None:
        if len(line) > 200:
            line = line[-120:]
        closing = self.closing.search(line)
        if closing:
            group = next(g for g in closing.groups() if g)
            for name in self.names(group):
                found.setdefault(name, f"closing credit: {closing.group(0).strip()}")
        elif _REUTERS_SIGNOFF.match(line) and "Reuters" in self.name_of.values():
            found.setdefault("Reuters", f"sign-off: {line[:80]}")


_REUTERS_SIGNOFF = re.compile(
    r"^\((?:Reporting|Additional reporting) by [^)]+;\s*Editing by [^)]+\)$"
)
_DEFAULT = WireDetector(AGENCIES)


@lru_cache(maxsize=16)
def detector_for(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> WireDetector:
    """The built-in agencies plus the user's (outlet profiles that are agencies)."""
    if not extra:
        return _DEFAULT
    return WireDetector({**AGENCIES, **dict(extra)})


def detect_wire(
    text: str,
    byline: tuple[str, ...] = (),
    extra: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> list[tuple[str, str]]:
    """Agencies credited as the story's source, each with the evidence that shows it."""
    return detector_for(extra).detect(text, byline)


def agency_name(text: str) -> str | None:
    """The canonical agency for a credit string ("Associated Press" -> "AP")."""
    return _DEFAULT.name_of.get(text.strip().lower())
