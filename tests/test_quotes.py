"""Quote extraction: mark pairing, direct/partial/indirect quotes, speakers, channels.

The seed acceptance tests read ../shared/seeds and skip when it is absent; every other
case is a fixture written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.language import Language

from storylens.model import Article, Quote
from storylens.nlp.analyze import ArticleAnalysis, analyse
from storylens.nlp.pipeline import load, parse
from storylens.nlp.quotemarks import find_quotes, paragraphs
from storylens.nlp.quotes import extract_quotes
from tests.conftest import SEEDS, need


@pytest.fixture(scope="session")
def nlp() -> Language:
    return load()


def quotes_of(text: str, nlp: Language) -> list[Quote]:
    article = Article(id="t", text=text, source="test")
    return extract_quotes(article, parse(article, nlp))


def one(quotes: list[Quote], fragment: str) -> Quote:
    found = [q for q in quotes if fragment in q.text]
    assert len(found) == 1, f"{fragment!r} in {[q.text for q in quotes]}"
    return found[0]


# --- quotation marks, no parse --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('He said "yes" and "no."', ["yes", "no."]),
        ("“Curly,” she said.", ["Curly,"]),
        ("„Wir schaffen das“, sagte sie.", ["Wir schaffen das"]),
        ("«Bonjour», dit-il. »Hallo«, sagte er.", ["Bonjour", "Hallo"]),
        ("‘British style,’ he said.", ["British style,"]),
        ("It was 'sacred', he added.", ["sacred"]),
        ("The voters' rights and Clinton's plan in the '90s.", []),
        ('He said,"It is," "In that sense."', ["It is,", "In that sense."]),
    ],
)
def test_every_mark_style_pairs(text: str, expected: list[str]) -> None:
    assert [" ".join(text[a:b] for a, b in q.parts) for q in find_quotes(text)] == expected


def test_quote_running_over_paragraphs_reopens_each_paragraph() -> None:
    text = '"First part of it.\n\n"Second part of it.\n\n"Last part," she said.'
    (quote,) = find_quotes(text)
    assert [text[a:b] for a, b in quote.parts] == [
        "First part of it.",
        "Second part of it.",
        "Last part,",
    ]
    assert quote.closed


def test_unbalanced_marks_close_at_the_paragraph_end() -> None:
    text = 'He said "this never closes.\n\nA stray close" here, and ” another “ one.'
    quotes = find_quotes(text)
    assert text[quotes[0].start : quotes[0].end] == "this never closes."
    assert not quotes[0].closed


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .,:\n'\"“”‘’«»„-—")), max_size=80))
def test_mark_pairing_never_raises_and_stays_in_bounds(text: str) -> None:
    for q in find_quotes(text):
        for a, b in q.parts:
            assert 0 <= a < b <= len(text)
    for a, b in paragraphs(text):
        assert 0 <= a < b <= len(text)


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab Hes aid.,:\n'\"“”‘’«»-")), max_size=60))
def test_extraction_never_raises(nlp: Language, text: str) -> None:
    for q in quotes_of(text, nlp):
        assert q.text == text[q.start : q.end]


# --- direct quotes --------------------------------------------------------------------

STYLES = (
    "Anna Schmidt, the mayor, spoke on Monday.\n\n"
    "„Wir schaffen das“, said Schmidt.\n\n"
    "«We will rebuild the bridge this year,» Schmidt told reporters.\n\n"
    "‘The money is there,’ she said.\n\n"
    '"Nobody will be left behind," she added.\n\n'
    "“Work starts in May,” the mayor said."
)


def test_every_style_is_a_direct_quote_with_speaker(nlp: Language) -> None:
    quotes = quotes_of(STYLES, nlp)
    for fragment in ("Wir schaffen", "rebuild the bridge", "money is there", "left behind", "May"):
        quote = one(quotes, fragment)
        assert quote.kind == "direct"
        assert quote.speaker == "Anna Schmidt"
        assert STYLES[quote.start : quote.end] == quote.text
    told = one(quotes, "rebuild the bridge")
    assert (told.cue, told.channel) == ("told", "reporters")
    assert told.text == "We will rebuild the bridge this year"  # no trailing comma


def test_pronoun_and_title_speakers_resolve(nlp: Language) -> None:
    quotes = quotes_of(STYLES, nlp)
    she = one(quotes, "money is there")
    assert she.speaker_mention == "she"
    assert (she.speaker_start, she.speaker_end) is not None
    assert STYLES[she.speaker_start : she.speaker_end] == "she"
    assert one(quotes, "May").speaker_mention == "the mayor"


def test_multi_paragraph_quote_is_one_quote_in_parts(nlp: Language) -> None:
    text = (
        "Senator John Miller spoke at length.\n\n"
        '"We have a plan for the region. It will take years.\n\n'
        '"But we will not give up on the people who live here," Miller said.'
    )
    (quote,) = [q for q in quotes_of(text, nlp) if q.kind == "direct"]
    assert quote.speaker == "John Miller"
    assert [text[a:b] for a, b in quote.parts] == [
        "We have a plan for the region. It will take years.",
        "But we will not give up on the people who live here",
    ]


def test_colon_introduced_quotes(nlp: Language) -> None:
    text = (
        "Prime Minister Laura Chen said:\n\n"
        '"We will not raise taxes this year."\n\n'
        'Chen also wrote on Twitter: "The budget is balanced."'
    )
    quotes = quotes_of(text, nlp)
    taxes = one(quotes, "raise taxes")
    assert (taxes.kind, taxes.speaker, taxes.cue) == ("direct", "Laura Chen", "said")
    budget = one(quotes, "budget")
    assert (budget.speaker, budget.cue, budget.channel) == ("Laura Chen", "wrote", "Twitter")


def test_quote_split_by_its_cue(nlp: Language) -> None:
    text = '"We cannot prevent it," Peskov said, "but we can minimise the consequences."'
    (quote,) = quotes_of(text, nlp)
    assert quote.kind == "direct"
    assert quote.speaker_mention == "Peskov"
    assert [text[a:b] for a, b in quote.parts] == [
        "We cannot prevent it",
        "but we can minimise the consequences.",
    ]


def test_quote_credited_after_a_dash(nlp: Language) -> None:
    (quote,) = quotes_of("“We have waited too long.” — Carla Sanchez", nlp)
    assert (quote.kind, quote.speaker) == ("direct", "Carla Sanchez")


def test_quote_standing_alone_continues_the_last_speaker(nlp: Language) -> None:
    text = (
        '"The vote is close," said Governor Amy Ross.\n\n'
        '"We need every volunteer we can get this weekend."'
    )
    assert one(quotes_of(text, nlp), "volunteer").speaker == "Amy Ross"


def test_transcript_turns(nlp: Language) -> None:
    text = (
        "WALLACE: Let me start with the debate, Governor.\n\n"
        "PENCE: Well, look, we are ready for it.\n\n"
        "WALLACE: Will she attend?"
    )
    quotes = quotes_of(text, nlp)
    assert one(quotes, "ready for it").speaker_mention == "PENCE"
    assert one(quotes, "Will she attend").speaker_mention == "WALLACE"


def test_unbalanced_marks_do_not_crash(nlp: Language) -> None:
    text = 'He said "this never closes.\n\nAnother paragraph " with a stray mark. And ” one “.'
    quotes = quotes_of(text, nlp)
    assert all(text[q.start : q.end] == q.text for q in quotes)


# --- partial and indirect -------------------------------------------------------------


def test_partial_quote_keeps_the_clause_and_the_quoted_words(nlp: Language) -> None:
    text = "Minister Omar Haddad said it is “impossible” to meet the deadline."
    (quote,) = quotes_of(text, nlp)
    assert quote.kind == "partial"
    assert quote.text == "it is “impossible” to meet the deadline"
    assert [text[a:b] for a, b in quote.parts] == ["impossible"]
    assert quote.speaker == "Omar Haddad"


def test_according_to_both_ways(nlp: Language) -> None:
    text = (
        "According to the health ministry, 40 people were injured in the blast. "
        "The death toll rose to 12, according to Mayor Tom Briggs."
    )
    quotes = quotes_of(text, nlp)
    injured = one(quotes, "injured")
    assert (injured.kind, injured.cue) == ("indirect", "According to")
    assert injured.speaker_mention == "the health ministry"
    toll = one(quotes, "death toll")
    assert toll.speaker == "Tom Briggs"
    assert "according" not in toll.text


def test_indirect_speech_and_channels(nlp: Language) -> None:
    text = (
        "Company spokesman David Park confirmed the layoffs on Tuesday. "
        "The spokesman said that about 200 jobs would go. "
        "Park told CNN in an interview that he was optimistic. "
        "Officials warned the plant could close."
    )
    quotes = quotes_of(text, nlp)
    jobs = one(quotes, "200 jobs")
    assert (jobs.kind, jobs.speaker, jobs.speaker_mention) == (
        "indirect",
        "David Park",
        "The spokesman",
    )
    assert jobs.text == "that about 200 jobs would go"
    cnn = one(quotes, "optimistic")
    assert (cnn.speaker, cnn.channel) == ("David Park", "CNN")
    warned = one(quotes, "plant could close")
    assert warned.cue == "warned" and warned.speaker is None


def test_quotes_round_trip_through_dicts(nlp: Language) -> None:
    for quote in quotes_of(STYLES, nlp):
        assert Quote.from_dict(quote.to_dict()) == quote
        assert quote.group is None


# --- the seeds ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_story(nlp: Language) -> dict[str, ArticleAnalysis]:
    from storylens.extract import ExtractOptions, extract
    from storylens.readers import ReadOptions, read_inputs
    from storylens.readers.base import RawDocument

    root = need(SEEDS)
    articles = [
        extract(doc, ExtractOptions())
        for doc in read_inputs([str(root)], ReadOptions())
        if isinstance(doc, RawDocument)
    ]
    by_file = {Path(a.source).name[:3]: a for a in articles}
    need(SEEDS / "000_dfa6510828831f01.txt")
    results = {r.article.id: r for r in analyse(articles, nlp)}
    return {prefix: results[a.id] for prefix, a in by_file.items()}


def test_seed_001_four_peskov_quotes_on_rossiya_1(seed_story: dict[str, ArticleAnalysis]) -> None:
    direct = [q for q in seed_story["001"].quotes if q.kind == "direct"]
    assert len(direct) == 4
    for quote in direct:
        assert quote.speaker == "Dmitry Peskov"
        assert quote.channel == "Rossiya 1"


def test_seed_he_added_is_peskov_in_both(seed_story: dict[str, ArticleAnalysis]) -> None:
    for prefix in ("000", "001"):
        quote = one(list(seed_story[prefix].quotes), "Nothing terrible will happen")
        assert quote.speaker == "Dmitry Peskov"
        assert quote.speaker_mention == "he"
        assert quote.cue == "added"


def test_seed_000_very_dangerous_step_is_rudenko(seed_story: dict[str, ArticleAnalysis]) -> None:
    quote = one(list(seed_story["000"].quotes), "very dangerous step")
    assert quote.kind == "partial"
    assert quote.speaker == "Andrey Rudenko"
    text = seed_story["000"].article.text
    assert [text[a:b] for a, b in quote.parts] == ["very dangerous step"]


def test_seed_000_partial_impossible(seed_story: dict[str, ArticleAnalysis]) -> None:
    quote = one(list(seed_story["000"].quotes), "“impossible”")
    assert (quote.kind, quote.speaker, quote.channel) == ("partial", "Dmitry Peskov", "Rossiya 1")
