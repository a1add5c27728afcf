"""Reading numbers, amounts, dates and times into comparable values (`compare.readings`)."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storylens.compare.readings import Reading, comparable, compatible, conflict, read_values

PUBLISHED = date(2021, 10, 24)


def only(text: str, published: date | None = PUBLISHED) -> Reading:
    """The one value in `text`."""
    found = read_values(text, published)
    assert len(found) == 1, f"{text!r}: {[(r.text, r.label) for r in found]}"
    return found[0]


def agree(a: str, b: str, published: date | None = PUBLISHED) -> bool:
    ra, rb = only(a, published), only(b, published)
    assert compatible(ra, rb) == compatible(rb, ra), "compatible must be symmetric"
    assert conflict(ra, rb) == conflict(rb, ra), "conflict must be symmetric"
    assert comparable(ra, rb), f"{a!r} and {b!r} should measure the same thing"
    return compatible(ra, rb)


# --- values that agree ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("about 6,000 people", "some 6000 people"),
        ("six people", "6 people"),
        ("$2.5 million", "2.5m dollars"),
        ("€3bn", "3 billion euros"),
        ("Nov. 1", "1 November"),
        ("from November 1, 2021", "2021-11-01"),
        ("on 1st of November", "November 1"),
        ("10:40 p.m.", "22:40"),
        ("10.40pm", "22:40"),
        ("3 p.m. GMT", "15:00 GMT"),
        ("noon", "12:00"),
        ("6:15", "18:15"),  # no a.m./p.m. and no leading zero: either half of the day
        ("more than 40 people", "40 people"),  # bounds are inclusive: outlets round
        ("nearly 100", "95"),
        ("40 to 50 people", "45 people"),
        ("two weeks", "14 days"),
        ("about 40", "41"),
    ],
)
def test_same_value_written_differently_agrees(a: str, b: str) -> None:
    assert agree(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("50 killed", "45 killed"),
        ("November 1", "November 2"),
        ("about 6,000", "6,500"),  # 8% off: beyond "about"
        ("6,000", "6,500"),
        ("between 40 and 50 people", "51 people"),
        ("$2.5 million", "$2.6 million"),
        ("10:40 p.m.", "21:40"),
        ("more than 40", "35"),
        ("1 November 2021", "1 November 2020"),
    ],
)
def test_values_that_cannot_both_be_true_conflict(a: str, b: str) -> None:
    assert not agree(a, b)


def test_readings_are_normalised_and_point_at_their_text() -> None:
    text = "Some 6,000 people fled on Nov. 1 at 10:40 p.m., costing $2.5 million."
    found = read_values(text, PUBLISHED)
    assert [(r.kind, r.label) for r in found] == [
        ("number", "about 6000"),
        ("date", "2021-11-01"),
        ("time", "22:40"),
        ("amount", "2500000 USD"),
    ]
    for r in found:
        assert text[r.start : r.end] == r.text


def test_yearless_date_takes_the_year_nearest_publication() -> None:
    assert only("on January 3", date(2021, 12, 30)).label == "2022-01-03"
    assert only("on December 30", date(2022, 1, 2)).label == "2021-12-30"
    # Without a publication date it is compared by month and day only.
    bare = only("November 1", None)
    assert bare.dim == "month-day"
    assert compatible(bare, only("1 November 2021"))
    assert conflict(bare, only("2 November 2021"))


def test_preposition_says_which_end_a_date_dates() -> None:
    assert only("from November 1").prep == "start"
    assert only("until November 17").prep == "end"
    assert only("on November 1").prep == "point"


def test_different_units_and_zones_are_not_comparable() -> None:
    assert not comparable(only("50 km"), only("50 miles"))
    assert not comparable(only("$5 million"), only("€5 million"))
    assert not comparable(only("15:00 GMT"), only("15:00"))
    assert not conflict(only("15:00 GMT"), only("16:00 CET"))


@pytest.mark.parametrize(
    "text",
    [
        "COVID-19 cases",
        "an A320 jet",
        "no one knows",
        "one of them",
        "thousands fled",
        "dozens were hurt",
        "the third day",
    ],
)
def test_names_ordinals_and_vague_plurals_are_not_values(text: str) -> None:
    assert read_values(text, PUBLISHED) == []


def test_an_impossible_date_is_no_value_at_all() -> None:
    # Not a date, and not the counts "31" and "2021" either.
    assert read_values("on 31 February 2021", PUBLISHED) == []


# --- fuzz ----------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "about ",
        "some ",
        "more than ",
        "nearly ",
        "between ",
        " and ",
        " to ",
        "-",
        "–",
        "$",
        "€",
        "£",
        "US$",
        "6,000",
        "2.5",
        "1",
        "12",
        "31",
        "2021",
        "0",
        "99999999999999999999999",
        "m",
        "bn",
        " million",
        " billion",
        " dollars",
        " people",
        " km",
        " per cent",
        "%",
        " weeks",
        "six",
        "one",
        "twenty-one",
        "hundred",
        "November",
        "Nov.",
        "Feb",
        " 29",
        " 30",
        "th",
        ", ",
        ". ",
        ":",
        "10:40",
        "24:00",
        " p.m.",
        "am",
        " GMT",
        " Moscow time",
        " o'clock",
        "noon",
        "in ",
        "from ",
        "until ",
        " or more",
        " or so",
        "+",
        "\n",
        " ",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=14).map("".join)))
def test_reader_never_raises_and_spans_stay_true(text: str) -> None:
    for published in (None, date(2020, 2, 29)):
        found = read_values(text, published)
        for r in found:
            assert 0 <= r.start <= r.end <= len(text)
            assert text[r.start : r.end] == r.text
            assert r.ranges
            assert all(lo <= hi for lo, hi in r.ranges)
        ends = [(r.start, r.end) for r in found]
        assert ends == sorted(ends)
        assert all(a[1] <= b[0] for a, b in pairwise(ends)), "overlap"


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=10).map("".join), st.lists(_PIECES, max_size=10).map("".join))
def test_compatibility_is_symmetric(a: str, b: str) -> None:
    for x in read_values(a, PUBLISHED):
        assert compatible(x, x) == comparable(x, x)
        for y in read_values(b, PUBLISHED):
            assert compatible(x, y) == compatible(y, x)
            assert conflict(x, y) == conflict(y, x)
            assert not (conflict(x, y) and compatible(x, y))
