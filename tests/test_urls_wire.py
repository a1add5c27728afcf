from __future__ import annotations

import pytest

from storylens.extract.urls import canonical_url, country_of, domain_of
from storylens.extract.wire import detect_wire


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.Example.com/a/b/?utm_source=x&id=3#frag", "https://example.com/a/b?id=3"),
        ("http://example.com", "https://example.com/"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("ftp://example.com/x", None),
        ("not a url", None),
    ],
)
def test_canonical_url(url: str, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_domains_and_countries() -> None:
    assert domain_of("https://www.bbc.co.uk/news/x") == "bbc.co.uk"
    assert domain_of("https://edition.cnn.com/x") == "cnn.com"
    assert country_of("timesofindia.in") == "in"
    assert country_of("cnn.com") is None


@pytest.mark.parametrize(
    ("text", "agencies"),
    [
        ("MOSCOW (Reuters) - Russia said on Sunday.\n\nMore.", ["Reuters"]),
        ("(AP) — The storm hit.\n\nMore.", ["AP"]),
        ("NEW DELHI, Oct 24 (PTI): India said.\n\n(With inputs from IANS)", ["IANS", "PTI"]),
        ("Body.\n\n— AFP", ["AFP"]),
        ("Body.\n\n(Reporting by Jane Doe; Editing by John Roe)", ["Reuters"]),
        # A citation in running text is not a credit for the story.
        ("Shoigu spoke, reported the Associated Press (AP).\n\nImage: AP", []),
    ],
)
def test_wire_credits_only_where_they_credit_the_story(text: str, agencies: list[str]) -> None:
    assert [name for name, _ in detect_wire(text)] == agencies


def test_wire_credit_in_byline() -> None:
    assert [n for n, _ in detect_wire("Body.", ("By Associated Press",))] == ["AP"]


def test_user_declared_agency_is_credited() -> None:
    extra = (("MPA", ("MPA", "Meridian Press Agency")),)
    text = "KORVHAVEN, March 2 (MPA) — A fire broke out.\n\nWith inputs from MPA"
    assert [n for n, _ in detect_wire(text, (), extra)] == ["MPA"]
    assert detect_wire(text) == []  # unknown without the profile
