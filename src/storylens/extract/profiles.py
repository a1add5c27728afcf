"""Outlet profiles: what a user knows about an outlet that its pages do not say.

A profile file (TOML) lists outlets with a name, a domain, the time zone its page
times are written in, and optional ways to recognise its inputs when they carry no URL
(a path glob, or a regular expression that matches the raw text). Example::

    [[outlet]]
    name = "Republic World"
    domain = "republicworld.com"
    tz = "Asia/Kolkata"
    paths = ["dumps/republic/*"]
    text_markers = ["^Reported by: "]

    [[outlet]]
    name = "Meridian Press Agency"   # a wire agency: credits "(MPA)", "— MPA" count as wire
    agency = ["MPA"]
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from storylens.errors import InputError


@dataclass(frozen=True, slots=True)
class OutletProfile:
    name: str
    domain: str | None = None
    tz: str | None = None
    paths: tuple[str, ...] = ()
    text_markers: tuple[re.Pattern[str], ...] = field(default=())
    agency: tuple[str, ...] = ()  # a wire agency known by these credits ("MPA")


@dataclass(frozen=True, slots=True)
class OutletProfiles:
    profiles: tuple[OutletProfile, ...] = ()

    @property
    def agencies(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Agencies the user declared, as (short name, credits) for wire detection."""
        return tuple((p.agency[0], (*p.agency, p.name)) for p in self.profiles if p.agency)

    def match(self, *, domain: str | None, source: str, text: str) -> OutletProfile | None:
        """The first profile whose domain, path glob or text marker fits the input."""
        for profile in self.profiles:
            if (
                domain
                and profile.domain
                and (domain == profile.domain or domain.endswith("." + profile.domain))
            ):
                return profile
        for profile in self.profiles:
            if any(fnmatch.fnmatch(source, pattern) for pattern in profile.paths):
                return profile
            if any(marker.search(text) for marker in profile.text_markers):
                return profile
        return None


def load_profiles(path_or_file: str | Path | IO[bytes]) -> OutletProfiles:
    """Read a TOML profile file; a bad file is a one-line error naming it."""
    name = str(getattr(path_or_file, "name", path_or_file))
    try:
        if isinstance(path_or_file, str | Path):
            with open(path_or_file, "rb") as handle:
                data = tomllib.load(handle)
        else:
            data = tomllib.load(path_or_file)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(name, f"cannot read outlet profiles ({exc})") from exc
    return OutletProfiles(tuple(_profile(entry, name) for entry in data.get("outlet", [])))


def _profile(entry: dict[str, Any], name: str) -> OutletProfile:
    if not isinstance(entry, dict) or not entry.get("name"):
        raise InputError(name, "every [[outlet]] needs a name")
    try:
        markers = tuple(re.compile(m, re.MULTILINE) for m in entry.get("text_markers", []))
    except re.error as exc:
        raise InputError(name, f"bad text marker for {entry['name']!r} ({exc})") from exc
    return OutletProfile(
        name=str(entry["name"]),
        domain=entry.get("domain"),
        tz=entry.get("tz"),
        paths=tuple(entry.get("paths", [])),
        text_markers=markers,
        agency=_agency(entry.get("agency"), entry["name"], name),
    )


def _agency(value: Any, outlet: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    credits = [value] if isinstance(value, str) else value
    if not isinstance(credits, list) or not all(isinstance(c, str) and c for c in credits):
        raise InputError(name, f"agency for {outlet!r} must be a credit or a list of credits")
    return tuple(credits)
