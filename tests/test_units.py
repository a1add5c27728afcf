"""Claim units: headline, sentences and clauses with exact spans; furniture dropped.

Most tests give the sentence spans by hand (no model needed); the seed and example
checks run the real spaCy pipeline through `storylens.nlp.analyze`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from storylens.compare.model import ClaimUnit
from storylens.compare.units import claim_units, split_clauses
from storylens.model import Article, Quote
from storylens.nlp.quote_match import quote_key
from tests.conftest import EXAMPLES, SEEDS, need


def _article(text: str, title: str | None = None, article_id: str = "a1") -> Article:
    return Article(id=article_id, text=text, source=f"{article_id}.txt", title=title)


def _sentences(text: str) -> list[tuple[int, int]]:
    """A naive splitter standing in for spaCy: after . ! ? and at line breaks."""
    spans = []
    for match in re.finditer(r"[^\n]+?(?:[.!?][\"”]?(?=\s)|$)", text, re.MULTILINE):
        if match.group().strip():
            spans.append((match.start(), match.end()))
    return spans


def _texts(units: Sequence[ClaimUnit], section: str | None = None) -> list[str]:
    return [u.text for u in units if section is None or u.section == section]


def _assert_exact(article: Article, units: Sequence[ClaimUnit]) -> None:
    for unit in units:
        source = article.title if unit.section == "headline" else article.text
        assert source is not None
        assert source[unit.start : unit.end] == unit.text
        assert unit.text == unit.text.strip() and unit.text
        prefix = "h" if unit.section == "headline" else ""
        assert unit.id == f"{article.id}:{prefix}{unit.start}-{unit.end}"
    assert [u.index for u in units] == list(range(len(units)))


# --------------------------------------------------------------------------- headline


def test_headline_is_the_first_unit_with_offsets_into_the_title() -> None:
    article = _article("The plant burned overnight.", title="  Fire at the plant  ")
    units = claim_units(article, _sentences(article.text), [])
    assert units[0].section == "headline"
    assert units[0].text == "Fire at the plant"
    assert units[0].id == "a1:h2-19"
    _assert_exact(article, units)


def test_headline_joining_two_claims_with_but_is_split() -> None:
    title = "Russia cannot prevent Ukraine from joining NATO but can minimise consequences"
    units = claim_units(_article("Text here is long enough.", title=title), [(0, 25)], [])
    assert _texts(units, "headline") == [
        "Russia cannot prevent Ukraine from joining NATO",
        "but can minimise consequences",
    ]


def test_no_title_no_headline_unit() -> None:
    article = _article("The plant burned overnight.")
    assert _texts(claim_units(article, _sentences(article.text), [])) == [
        "The plant burned overnight."
    ]


# --------------------------------------------------------------------------- furniture


def test_page_furniture_is_dropped() -> None:
    text = (
        "Updated October 24th, 2021 at 21:14 IST\n\n"
        "MOSCOW (Reuters) - The Kremlin said on Sunday it would not change course.\n\n"
        "Reported by: Bhavya Sukheja\n"
        "Image: AP | Image:self\n"
        "Advertisement\n\n"
        "Story Code : 960351\n\n"
        "By John Smith\n\n"
        "A troubled record\n\n"
        "The plant opened in 1994.\n\n"
        "Nobody died.\n\n"
        "Fire\n\n"
        "With inputs from MPA"
    )
    article = _article(text)
    units = claim_units(article, _sentences(text), [])
    assert _texts(units) == [
        "The Kremlin said on Sunday it would not change course.",
        "The plant opened in 1994.",
        "Nobody died.",
    ]
    _assert_exact(article, units)


@pytest.mark.parametrize(
    ("line", "rest"),
    [
        ("KORVHAVEN, March 2 (MPA) — A fire injured 41 people.", "A fire injured 41 people."),
        ("WASHINGTON — Lawmakers voted on Monday.", "Lawmakers voted on Monday."),
        ("LONDON, Oct 24 (Reuters) - Prices rose.", "Prices rose."),
        ("(AP) — Crews fought the fire.", "Crews fought the fire."),
        ("NATO said on Monday it would meet.", "NATO said on Monday it would meet."),
    ],
)
def test_datelines_are_cut_from_the_first_sentence(line: str, rest: str) -> None:
    units = claim_units(_article(line), [(0, len(line))], [])
    assert _texts(units) == [rest]


def test_a_subheading_with_a_verb_is_a_claim() -> None:
    text = "Ukraine's possible NATO entry would be a 'dangerous step'\n\nA troubled record"
    assert _texts(claim_units(_article(text), _sentences(text), [])) == [
        "Ukraine's possible NATO entry would be a 'dangerous step'"
    ]


# --------------------------------------------------------------------------- sentences


def test_sentence_repairs() -> None:
    text = (
        '"Nothing terrible will happen if... against the background of this, we simply '
        "abandon these relations,\" he added. Mr. Smith met St. Aldric's staff on Monday.\n\n"
        '"We cannot prevent it. It is impossible. But we can act," he said.'
    )
    first = text.index("against")
    smith = text.index("Mr. Smith")
    staff = text.index("Smith met")
    second = text.index('"We cannot')
    # spaCy-like mistakes: a split inside the quote before a lower-case word, a split
    # after "Mr.", and a multi-sentence quote left as one sentence across a paragraph
    spans = [(0, first), (first, smith), (smith, staff), (staff, second), (second, len(text))]
    article = _article(text)
    units = claim_units(article, spans, [])
    assert _texts(units) == [
        '"Nothing terrible will happen if... against the background of this, we simply '
        'abandon these relations," he added.',
        "Mr. Smith met St. Aldric's staff on Monday.",
        '"We cannot prevent it.',
        "It is impossible.",
        'But we can act," he said.',
    ]
    assert [u.paragraph for u in units] == [0, 0, 1, 1, 1]
    assert [u.section for u in units] == ["lead", "lead", "body", "body", "body"]
    _assert_exact(article, units)


def test_lead_is_the_first_paragraph_with_a_claim() -> None:
    text = "Advertisement\n\nFirst claim is here. Second claim is here.\n\nLater claim is here."
    units = claim_units(_article(text), _sentences(text), [])
    assert [(u.section, u.paragraph) for u in units] == [("lead", 1), ("lead", 1), ("body", 2)]


# --------------------------------------------------------------------------- clauses


@pytest.mark.parametrize(
    ("sentence", "clauses"),
    [
        (
            "Peskov said that Russia cannot prevent Ukraine from joining NATO, but it is "
            "possible to minimise the consequences of such steps.",
            [
                "Peskov said that Russia cannot prevent Ukraine from joining NATO",
                "but it is possible to minimise the consequences of such steps.",
            ],
        ),
        (
            "Nobody died, but two firefighters suffered serious burns.",
            ["Nobody died", "but two firefighters suffered serious burns."],
        ),
        (
            "About 120 firefighters were deployed, and the fire was brought under control.",
            ["About 120 firefighters were deployed", "and the fire was brought under control."],
        ),
        (
            "The ban starts on Tuesday; fishermen will be compensated.",
            ["The ban starts on Tuesday", "fishermen will be compensated."],
        ),
        (
            "He said Moscow can minimise the consequences, adding that it will do everything.",
            ["He said Moscow can minimise the consequences", "adding that it will do everything."],
        ),
        (
            'The firm claimed the fire was "contained" - but bosses admitted the sprinklers '
            "were off.",
            [
                'The firm claimed the fire was "contained"',
                "but bosses admitted the sprinklers were off.",
            ],
        ),
        (
            "Lavrov said Moscow would suspend its mission from November 1, in response to "
            "the reduction in the number of its staff.",
            [
                "Lavrov said Moscow would suspend its mission from November 1",
                "in response to the reduction in the number of its staff.",
            ],
        ),
        (
            "The council closed all schools in the three districts, because smoke from the "
            "fire kept spreading.",
            [
                "The council closed all schools in the three districts",
                "because smoke from the fire kept spreading.",
            ],
        ),
        # one claim: shared subjects, lists, participles, imperatives, short adjuncts
        ("Schools closed, because of smoke.", None),
        (
            "Austin reaffirmed support for Kyiv while emphasising that others had no veto.",
            None,
        ),
        ("Police evacuated East Quay, Marrowfield and Lindholm districts.", None),
        ("The agency warned that levels rose overnight and advised people to stay in.", None),
        ("I know people are tired, but please be patient for one more day.", None),
        ("A fire injured 41 people, leaving a black cloud and crews exhausted.", None),
    ],
)
def test_clauses(sentence: str, clauses: list[str] | None) -> None:
    pieces = [sentence[a:b] for a, b in split_clauses(sentence, 0, len(sentence))]
    assert pieces == (clauses or [sentence])


# --------------------------------------------------------------------------- quotes


def test_units_carry_the_quotes_they_overlap_and_the_speaker() -> None:
    text = (
        '"We cannot prevent it. It is impossible," Peskov told Rossiya 1.\n\nThe weather was fine.'
    )
    inner = (1, text.index('," Peskov'))
    quote = Quote("a1", *inner, text[inner[0] : inner[1]], "direct", speaker="Dmitry Peskov")
    units = claim_units(_article(text), _sentences(text), [quote])
    assert [(u.text, u.quote_ids, u.speaker) for u in units] == [
        ('"We cannot prevent it.', (quote_key(quote),), "Dmitry Peskov"),
        ('It is impossible," Peskov told Rossiya 1.', (quote_key(quote),), "Dmitry Peskov"),
        ("The weather was fine.", (), None),
    ]


# --------------------------------------------------------------------------- real parses


def _analysed(paths: Sequence[str]) -> list[tuple[Article, list[ClaimUnit]]]:
    pipeline = pytest.importorskip("storylens.nlp.pipeline")
    try:
        pipeline.load()
    except pipeline.ModelMissingError as exc:
        pytest.skip(str(exc))
    from storylens.extract import ExtractOptions, extract
    from storylens.nlp.analyze import analyse
    from storylens.readers import ReadOptions, read_inputs
    from storylens.readers.base import RawDocument

    articles = [
        extract(raw, ExtractOptions())
        for raw in read_inputs(list(paths), ReadOptions())
        if isinstance(raw, RawDocument)
    ]
    return [(r.article, claim_units(r.article, r.sentences, r.quotes)) for r in analyse(articles)]


def test_seeds_units() -> None:
    need(SEEDS)
    older, newer = sorted(
        _analysed([str(p) for p in sorted(SEEDS.glob("*.txt"))]), key=lambda x: x[0].source
    )
    for article, units in (older, newer):
        _assert_exact(article, units)
        assert not any(
            u.text.startswith(("Reported by", "Image", "Advertisement", "Story Code"))
            for u in units
        )
    texts = _texts(newer[1])
    opening = [u for u in newer[1] if u.text in ('"We cannot prevent it.', "It is impossible.")]
    assert len(opening) == 2
    assert all(u.speaker and u.speaker.endswith("Peskov") for u in opening)
    assert opening[0].quote_ids == opening[1].quote_ids != ()
    assert "So far, let us not get ahead of things." in texts
    lead = _texts(older[1], "lead")
    assert any(
        t.endswith("said that Russia cannot prevent Ukraine from joining NATO") for t in lead
    )
    assert "but it is possible to minimise the consequences of such steps." in lead


def test_examples_units() -> None:
    paths = [EXAMPLES / "national-ledger.txt", EXAMPLES / "strait-gazette.html"]
    for article, units in _analysed([str(p) for p in paths]):
        _assert_exact(article, units)
        texts = _texts(units)
        assert "A troubled record" not in texts
        assert "With inputs from MPA" not in texts
        assert not any(t.startswith("KORVHAVEN") for t in texts)
        assert units[0].section == "headline"
