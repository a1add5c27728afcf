"""Framing: attribution verbs, loaded terms, voices and headline contrasts, all spanned.

The lexicon and counting rules are checked on hand-made quotes; the realistic cases run
the spaCy pipeline through `storylens.nlp.analyze` so the quotes are the ones `compare`
would see. The seed checks read ../shared/seeds and skip when it is absent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import pytest

from storylens.compare.framing import UNATTRIBUTED, frame_article, lexicon
from storylens.compare.model import Framing, TermUse
from storylens.model import Article, Quote
from storylens.nlp.analyze import analyse
from tests.conftest import SEEDS, need
from tests.seed_compare import read_articles


def _assert_spans(article: Article, framing: Framing) -> None:
    """Every figure's span is an exact slice of the text it claims to come from."""
    terms = [*framing.attribution_verbs, *framing.loaded_terms, *framing.headline_terms]
    spans = [t.span for t in terms] + [s for v in framing.voices for s in v.spans]
    for span in spans:
        source = (article.title or "") if span.section == "headline" else article.text
        assert span.article_id == article.id
        assert source[span.start : span.end] == span.text, span
    assert all(t.span.section == "headline" for t in framing.headline_terms)
    assert all(
        t.span.section == "body" for t in [*framing.attribution_verbs, *framing.loaded_terms]
    )
    json.dumps(framing.to_dict())


def _at(terms: Sequence[TermUse], text: str, start: int) -> TermUse:
    found = [t for t in terms if t.span.start == start]
    assert len(found) == 1, f"{text!r} at {start}: {[(t.term, t.span.start) for t in terms]}"
    return found[0]


# --- lexicon ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "lemma"),
    [
        ("said", "say"),
        ("Warned", "warn"),
        ("slammed", "slam"),
        ("denied", "deny"),
        ("admits", "admit"),
        ("admitting", "admit"),
        ("quipped", "quip"),
        ("pointed  out", "point out"),
        ("declaring", "declare"),
    ],
)
def test_verb_forms_fold_to_their_lemma(form: str, lemma: str) -> None:
    lex = lexicon()
    assert lex.verb(form) == lemma
    assert lex.attribution_re.fullmatch(form)


def test_terms_match_inflected_whole_words_only() -> None:
    text = "Atrocities by the regimes; a regimented day; 'regime' and the regime's aggression."
    found = [(m.group(), lexicon().term(m.group())) for m in lexicon().terms_re.finditer(text)]
    assert found == [
        ("Atrocities", "atrocity"),
        ("regimes", "regime"),
        ("regime", "regime"),
        ("regime", "regime"),
        ("aggression", "aggression"),
    ]


# --- counting rules on hand-made quotes -----------------------------------------------------


def _quote(text: str, piece: str, kind: str, speaker: str | None, **extra: object) -> Quote:
    start = text.index(piece)
    parts = extra.pop("parts", ((start, start + len(piece)),) if kind == "direct" else ())
    return Quote(
        article_id="h",
        start=start,
        end=start + len(piece),
        text=piece,
        kind=kind,  # type: ignore[arg-type]
        speaker=speaker,
        parts=parts,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


def test_voices_count_quoted_words_only_and_shares_sum_to_one() -> None:
    text = (
        '"We will not back down now," Ana Ruiz said. '
        'Ruiz said the plan was "plainly unlawful" and must stop. '
        "Ben Ode argued that the plan would save money, while stressing that it was legal. "
        '"Nobody asked us," a resident said.'
    )
    article = Article(id="h", text=text, source="h.txt")
    partial = 'the plan was "plainly unlawful" and must stop'
    fragment = text.index("plainly unlawful")
    indirect = "that it was legal"
    quotes = [
        _quote(text, "We will not back down now,", "direct", "Ana Ruiz"),
        _quote(text, partial, "partial", "Ana Ruiz", parts=((fragment, fragment + 16),)),
        _quote(text, indirect, "indirect", "Ben Ode"),
        # two cues over one reported clause are one quote
        _quote(text, indirect, "indirect", "Ben Ode"),
        _quote(text, "Nobody asked us,", "direct", None),
    ]
    framing = frame_article(article, quotes, "Outlet")
    voices = {v.speaker: v for v in framing.voices}
    assert [v.speaker for v in framing.voices] == ["Ana Ruiz", UNATTRIBUTED, "Ben Ode"]
    assert (voices["Ana Ruiz"].quotes, voices["Ana Ruiz"].words) == (2, 8)
    assert (voices["Ben Ode"].quotes, voices["Ben Ode"].words) == (1, 0)
    assert (voices[UNATTRIBUTED].quotes, voices[UNATTRIBUTED].words) == (1, 3)
    assert math.isclose(sum(v.share for v in framing.voices), 1.0)
    assert math.isclose(voices["Ana Ruiz"].share, 8 / 11)
    body_words = len(text.replace('"', "").replace(",", "").replace(".", "").split())
    assert math.isclose(framing.quoted_share, 11 / body_words)
    assert [s.text for s in voices["Ana Ruiz"].spans] == ["We will not back down now,", partial]
    _assert_spans(article, framing)


def test_narration_verbs_need_a_speech_reading() -> None:
    text = (
        "Rudenko pointed out that the talks had stalled. Entry was denied to the press. "
        "The confirmed cases rose. Officials said little. Ruiz stressed the risks.\n\n"
        '"We never claimed victory," Ruiz said.'
    )
    article = Article(id="n", text=text, source="n.txt")
    cue = text.rindex("said")
    quote = _quote(
        text,
        "We never claimed victory,",
        "direct",
        "Ana Ruiz",
        cue="said",
        cue_start=cue,
        cue_end=cue + 4,
    )
    framing = frame_article(article, [quote], "Outlet")
    verbs = [(t.span.text, t.category, t.speaker) for t in framing.attribution_verbs]
    # "was denied" is passive, "confirmed cases" adjectival, "said" with no quote behind
    # it is not in the narration list, and "claimed" inside the quotation is Ruiz's word.
    assert verbs == [
        ("pointed out", "factive", None),  # no known speaker named before it
        ("stressed", "assertive", "Ana Ruiz"),  # "Ruiz" stands just before it
        ("said", "neutral", "Ana Ruiz"),  # the quote's cue
    ]
    assert framing.loaded_terms == ()


def test_empty_article_has_no_figures() -> None:
    framing = frame_article(Article(id="e", text="", source="e.txt"), [], "Outlet")
    assert framing.voices == () and framing.quoted_share == 0.0
    assert framing.headline_terms == () and framing.notes == ()


# --- real analysis --------------------------------------------------------------------------

TEXT = (
    "The regime has ruled Korvhaven since 2010.\n\n"
    "Mayor Anna Brenn claimed that the regime had failed the city. "
    '"The regime lied to us and nobody listened," Brenn said.\n\n'
    'Police chief Tom Harlow warned that the protests would grow. "We are ready," Harlow said.\n\n'
    "The city council admitted it had been slow."
)
TITLE = "Harlow warns of unrest as Brenn slams 'regime'"


@pytest.fixture(scope="module")
def analysed() -> tuple[Article, Framing]:
    article = Article(id="k1", text=TEXT, source="k1.txt", title=TITLE)
    (analysis,) = analyse([article])
    return article, frame_article(article, analysis.quotes, "Korvhaven Post")


def test_attribution_verbs_are_classified_with_their_speakers(
    analysed: tuple[Article, Framing],
) -> None:
    article, framing = analysed
    verbs = framing.attribution_verbs
    claimed = _at(verbs, "claimed", TEXT.index("claimed"))
    assert (claimed.term, claimed.category, claimed.speaker) == ("claim", "doubting", "Anna Brenn")
    warned = _at(verbs, "warned", TEXT.index("warned"))
    assert (warned.term, warned.category, warned.speaker) == ("warn", "alarm", "Tom Harlow")
    admitted = _at(verbs, "admitted", TEXT.index("admitted"))
    assert (admitted.term, admitted.category) == ("admit", "concession")
    said = [v for v in verbs if v.span.text == "said"]
    assert {v.speaker for v in said} == {"Anna Brenn", "Tom Harlow"}
    assert {v.category for v in said} == {"neutral"}
    assert not any(v.in_quote for v in verbs)
    _assert_spans(article, framing)


def test_loaded_term_in_narration_paraphrase_and_quote(analysed: tuple[Article, Framing]) -> None:
    _, framing = analysed
    regimes = [t for t in framing.loaded_terms if t.term == "regime"]
    assert [(t.category, t.speaker, t.in_quote) for t in regimes] == [
        ("loaded", None, False),  # the outlet's own narration
        ("loaded", "Anna Brenn", False),  # its paraphrase of Brenn
        ("loaded", "Anna Brenn", True),  # Brenn's own word
    ]
    assert "'regime' is the outlet's own wording" in framing.notes
    assert "'regime' paraphrases Anna Brenn, outside quotation marks" in framing.notes


def test_voices_and_quoted_share(analysed: tuple[Article, Framing]) -> None:
    _, framing = analysed
    voices = {v.speaker: v for v in framing.voices}
    assert framing.voices[0].speaker == "Anna Brenn"
    assert voices["Anna Brenn"].words == 8  # The regime lied to us and nobody listened
    assert voices["Tom Harlow"].words == 3
    assert math.isclose(sum(v.share for v in framing.voices), 1.0)
    assert 0 < framing.quoted_share < 1


def test_headline_terms_point_into_the_title(analysed: tuple[Article, Framing]) -> None:
    _, framing = analysed
    found = [
        (t.span.text, t.term, t.category, t.speaker, t.in_quote) for t in framing.headline_terms
    ]
    assert found == [
        ("warns", "warn", "alarm", "Harlow", False),
        ("slams", "slam", "critical", "Brenn", False),
        ("regime", "regime", "loaded", None, True),
    ]
    # "slams" is a kind of attribution the body never uses; "warns" is not.
    assert any(n.startswith("headline uses 'slams' (critical); body uses") for n in framing.notes)
    assert not any("'warns'" in n for n in framing.notes)
    assert not any(n.startswith("headline names") for n in framing.notes)  # both are quoted


# --- the seeds ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_framings() -> list[tuple[Article, Framing]]:
    need(SEEDS)
    analyses = analyse(read_articles(sorted(SEEDS.glob("*.txt"))))
    return [(a.article, frame_article(a.article, a.quotes, a.article.id)) for a in analyses]


def test_seeds_peskov_is_the_most_quoted_voice(
    seed_framings: list[tuple[Article, Framing]],
) -> None:
    assert len(seed_framings) == 2
    for article, framing in seed_framings:
        top = framing.voices[0]
        assert top.speaker == "Dmitry Peskov", article.title
        assert top.share > 0.9
        assert math.isclose(sum(v.share for v in framing.voices), 1.0)
        _assert_spans(article, framing)


def test_seeds_report_aggression_terms_with_spans(
    seed_framings: list[tuple[Article, Framing]],
) -> None:
    for article, framing in seed_framings:
        aggression = [t for t in framing.loaded_terms if t.term.startswith("aggress")]
        # Both outlets quote "aggressiveness" twice and paraphrase "aggression" once.
        assert sorted((t.term, t.in_quote) for t in aggression) == [
            ("aggression", False),
            ("aggressiveness", True),
            ("aggressiveness", True),
        ], article.title
        assert {t.speaker for t in aggression} == {"Dmitry Peskov"}
        assert all(article.text[t.span.start : t.span.end].casefold() == t.term for t in aggression)
        assert "'aggression' paraphrases Dmitry Peskov, outside quotation marks" in framing.notes


def test_seeds_headlines_name_an_institution_the_body_quotes_peskov_for(
    seed_framings: list[tuple[Article, Framing]],
) -> None:
    notes = {article.title: framing.notes for article, framing in seed_framings}
    by_start = {title.split()[0]: n for title, n in notes.items() if title}
    assert "headline names Kremlin; body quotes Dmitry Peskov most" in by_start["Russia"]
    assert "headline names Moscow; body quotes Dmitry Peskov most" in by_start["Moscow"]
    moscow = next(f for a, f in seed_framings if (a.title or "").startswith("Moscow"))
    assert [(t.span.text, t.category, t.speaker) for t in moscow.headline_terms] == [
        ("Says", "neutral", "Moscow")
    ]
    verbs = {
        (t.span.text, t.category, t.speaker)
        for f in (f for _, f in seed_framings)
        for t in f.attribution_verbs
    }
    assert ("warned", "alarm", "Andrey Rudenko") in verbs


def test_a_capitalised_kicker_is_no_headline_source() -> None:
    from storylens.compare.framing import _headline_source

    assert _headline_source("TOXIC INFERNO: Families flee as blaze rips through port") is None
    assert _headline_source("BREAKING: Plant fire") is None
    assert _headline_source("Ukraine cannot be stopped from joining NATO: Kremlin") == "Kremlin"
    assert _headline_source("NATO: Russia is an adversary") == "NATO"


def test_speaker_before_prefers_the_fullest_name_whatever_the_set_order() -> None:
    """Two quoted speakers share a surname: the nearest mention is credited to the fuller
    name, the same in every process (the names were once read from a set)."""
    from storylens.compare.framing import _speaker_before

    text = "Rep. Todd Akin said the plan was a disaster for farmers."
    offset = text.index("disaster")
    for order in (["Akin", "Todd Akin"], ["Todd Akin", "Akin"]):
        quotes = [Quote("a", 0, 5, "x", "direct", speaker=name) for name in order]
        assert _speaker_before(text, offset, quotes) == "Todd Akin"
