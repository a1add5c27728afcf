"""Alignment of claim units into facts, and the fact matrix.

The grouping rules (coverage, origins, ids, order, no chaining, speakers, quote groups)
are tested with a word-overlap judge written here, so they do not move when the model
does. What the alignment finds on the seeds and the examples corpus is tested with the
real same-fact judge and the real spaCy pipeline; those tests skip, saying why, when the
judge, the model or `../shared` is absent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from storylens.compare.align import align_facts, context_texts, coverage_of, fact_id
from storylens.compare.matrix import fact_matrix, headline_only
from storylens.compare.model import ClaimUnit, Fact
from storylens.compare.units import claim_units
from storylens.model import Article, Quote
from storylens.nlp.quote_match import QuoteGroup, Rendering, match_quotes, with_groups
from tests.conftest import EXAMPLES, SEEDS, need

_WORD = re.compile(r"[a-z0-9]+")
_STOP_TEXT = "the a an of to in on at and but is was were it we he she they said"
_STOP = frozenset(_STOP_TEXT.split())


class WordJudge:
    """Same fact when most content words are shared: predictable, for rule tests."""

    threshold = 0.5

    def _words(self, text: str) -> set[str]:
        return {w for w in _WORD.findall(text.lower()) if w not in _STOP}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in self._words(text):
                out[row, sum(map(ord, word)) % 256] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def scores(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        out = []
        for a, b in pairs:
            wa, wb = self._words(a), self._words(b)
            out.append(len(wa & wb) / max(1, min(len(wa), len(wb))) if wa and wb else 0.0)
        return out


def _units(article_id: str, sentences: Sequence[str], **extra: Any) -> list[ClaimUnit]:
    units, offset = [], 0
    for index, text in enumerate(sentences):
        units.append(
            ClaimUnit(
                id=f"{article_id}:{offset}-{offset + len(text)}",
                article_id=article_id,
                start=offset,
                end=offset + len(text),
                text=text,
                index=index,
                **extra,
            )
        )
        offset += len(text) + 1
    return units


def _align(
    units: Sequence[ClaimUnit],
    article_ids: Sequence[str],
    origin_of: dict[str, str] | None = None,
    groups: Sequence[QuoteGroup] = (),
) -> list[Fact]:
    return align_facts(
        units,
        article_ids=article_ids,
        quote_groups=groups,
        origin_of=origin_of or {a: a for a in article_ids},
        judge=WordJudge(),
    )


def _fact_of(facts: Sequence[Fact], article_id: str, needle: str) -> Fact:
    for fact in facts:
        if any(u.article_id == article_id and needle in u.text for u in fact.units):
            return fact
    raise AssertionError(f"no fact of {article_id} holds {needle!r}")


# --------------------------------------------------------------------------- rules


def test_every_unit_in_exactly_one_fact_coverage_and_order() -> None:
    a = _units("A", ["Fire broke out in the harbour warehouse.", "Mayor praised volunteers."])
    b = _units("B", ["Rail services suspended today.", "Harbour warehouse fire broke out."])
    c = _units("C", ["Fire broke out at harbour warehouse.", "Rail services were suspended."])
    facts = _align([*a, *b, *c], ["A", "B", "C"])
    ids = [u.id for f in facts for u in f.units]
    assert sorted(ids) == sorted(u.id for u in [*a, *b, *c])
    fire = _fact_of(facts, "A", "Fire broke out")
    assert fire.coverage == "all" and fire.article_ids == ("A", "B", "C")
    rail = _fact_of(facts, "B", "Rail")
    assert rail.coverage == "some" and rail.article_ids == ("B", "C")
    assert _fact_of(facts, "A", "Mayor").coverage == "one"
    # first appearance: article order, then unit order
    assert [f.units[0].text for f in facts] == [
        "Fire broke out in the harbour warehouse.",
        "Mayor praised volunteers.",
        "Rail services suspended today.",
    ]
    assert fire.id == fact_id(fire.units)
    assert all(link.via == "same-fact" for link in fire.evidence)
    assert {u for link in fire.evidence for u in (link.a, link.b)} <= {u.id for u in fire.units}


def test_fact_ids_do_not_depend_on_input_order() -> None:
    a = _units("A", ["Fire broke out in the harbour warehouse.", "Mayor praised volunteers."])
    b = _units("B", ["Harbour warehouse fire broke out.", "Volunteers praised by mayor."])
    first = _align([*a, *b], ["A", "B"])
    second = _align([*reversed(b), *reversed(a)], ["A", "B"])
    assert [f.id for f in first] == [f.id for f in second]


def test_origins_count_independent_sources() -> None:
    a = _units("A", ["Fire broke out in the harbour warehouse."])
    b = _units("B", ["Fire broke out in the harbour warehouse today."])
    c = _units("C", ["Harbour warehouse fire broke out."])
    facts = _align([*a, *b, *c], ["A", "B", "C"], origin_of={"A": "A", "B": "A", "C": "C"})
    assert len(facts) == 1
    assert facts[0].origins == 2
    only_reprints = _align([*a, *b], ["A", "B"], origin_of={"A": "A", "B": "A"})
    assert only_reprints[0].origins == 1 and only_reprints[0].single_source


def test_near_copies_link_without_the_judge() -> None:
    text = "The regional fisheries authority banned fishing in the bay from March 3."

    class Refuses(WordJudge):
        def scores(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
            return [0.0] * len(pairs)

    a = _units("A", [text])
    b = _units("B", [text.replace("authority", "authority,")])
    facts = align_facts(
        [*a, *b], article_ids=["A", "B"], quote_groups=[], origin_of={}, judge=Refuses()
    )
    assert len(facts) == 1
    assert [link.via for link in facts[0].evidence] == ["near-copy"]


def test_a_chain_of_loose_links_does_not_glue_unrelated_facts() -> None:
    # each sentence shares half its words with the next one only
    chain = [
        "bridge closed overnight police",
        "police overnight water main repaired",
        "main repaired schools shut monday",
        "schools shut monday ferries cancelled",
    ]
    units = [u for name, text in zip("ABCD", chain, strict=True) for u in _units(name, [text])]
    facts = _align(units, list("ABCD"))
    assert _fact_of(facts, "A", "bridge") is not _fact_of(facts, "D", "ferries")
    assert max(len(f.units) for f in facts) <= 2


def test_incompatible_speakers_never_join() -> None:
    a = _units("A", ["We will win this election."], speaker="Mary Cheney")
    b = _units("B", ["We will win this election."], speaker="Dick Cheney")
    c = _units("C", ["We will win this election, he said."], speaker="Cheney")
    facts = _align([*a, *b, *c], ["A", "B", "C"])
    assert _fact_of(facts, "A", "win") is not _fact_of(facts, "B", "win")


def test_quote_groups_join_a_pronoun_heavy_quote_to_the_paraphrase() -> None:
    a = Article("A", "Peskov said Russia cannot prevent Ukraine from joining NATO.", "a")
    b_text = '"We cannot prevent it. So be it," Peskov said. The weather was fine.'
    b = Article("B", b_text, "b")
    qa = Quote("A", 12, 60, a.text[12:60], "indirect", speaker="Dmitry Peskov")
    qb = Quote("B", 1, 31, b_text[1:31], "direct", speaker="Peskov")
    group = QuoteGroup(
        id="g",
        speaker="Dmitry Peskov",
        renderings=(
            Rendering("B:1-31", qb, None, "verbatim", 1.0, "B:1-31", (), fullest=True),
            Rendering("A:12-60", qa, None, "paraphrase", 0.8, "B:1-31", ()),
        ),
        fullest="B:1-31",
        first=None,
        evidence=(),
    )
    units = [
        *claim_units(a, [(0, len(a.text))], [qa]),
        *claim_units(b, [(0, 23), (24, 47), (48, len(b_text))], [qb]),
    ]

    class Doubtful(WordJudge):
        """Too little shared for the judge alone: "it" is not "Ukraine joining NATO"."""

        def scores(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
            return [0.3 * s for s in super().scores(pairs)]

    facts = align_facts(
        units, article_ids=["A", "B"], quote_groups=[group], origin_of={}, judge=Doubtful()
    )
    fact = _fact_of(facts, "B", "We cannot prevent it")
    assert fact.article_ids == ("A", "B")
    assert [link.via for link in fact.evidence] == ["quote-group"]
    # the other sentence of the quote is not the paraphrase's best match: on its own
    assert _fact_of(facts, "B", "So be it").article_ids == ("B",)
    assert _fact_of(facts, "B", "weather").article_ids == ("B",)


def test_a_dependent_unit_is_read_with_its_context() -> None:
    """ "It is impossible." alone shares nothing; read after the sentence it leans on, it
    meets the other article's reported speech."""
    a = _units("A", ["Peskov said Russia cannot stop Ukraine joining NATO."])
    b = _units("B", ["Russia cannot stop Ukraine joining NATO, Peskov said.", "It is impossible."])
    b = [replace(u, paragraph=0) for u in b]
    context = context_texts(b, [u.text for u in b], [False, True])
    assert context == {1: b[0].text + " It is impossible."}
    facts = _align([*a, *b], ["A", "B"])
    assert _fact_of(facts, "B", "impossible").article_ids == ("A", "B")
    # another paragraph is no context
    b2 = [b[0], replace(b[1], paragraph=1)]
    assert context_texts(b2, [u.text for u in b2], [False, True]) == {}


def test_a_dependent_unit_does_not_join_the_context_it_is_read_with() -> None:
    """Read after "Moscow can minimise the consequences", "adding that it will do it"
    contains that clause: the two would match trivially, and are two claims."""
    a = _units("A", ["Moscow can minimise the consequences", "adding that it will do it all."])
    b = _units("B", ["Russia will do it all, the Kremlin said."])
    assert context_texts(a, [u.text for u in a], [False, True]) == {1: a[0].text + " " + a[1].text}
    facts = _align([*a, *b], ["A", "B"])
    assert _fact_of(facts, "A", "minimise") is not _fact_of(facts, "A", "adding")


def test_a_dependent_lead_unit_leans_on_the_headline() -> None:
    article = Article("B", "We cannot prevent it. Other news follows here today.", "b")
    article = replace(article, title="Russia cannot stop Ukraine joining NATO")
    units = claim_units(article, [(0, 21), (22, len(article.text))], [])
    assert [u.section for u in units] == ["headline", "lead", "lead"]
    context = context_texts(units, [u.text for u in units], [False, True, False])
    assert context == {1: "Russia cannot stop Ukraine joining NATO We cannot prevent it."}


def test_an_article_restating_a_fact_carries_both_units() -> None:
    a = _units("A", ["Lavrov announced the mission suspension from November.", "Rain fell."])
    b = _units(
        "B",
        [
            "Lavrov announced the mission suspension from November, officials said.",
            "The weather was fine.",
            "Officials repeated: Lavrov announced the mission suspension from November.",
        ],
    )
    fact = _fact_of(_align([*a, *b], ["A", "B"]), "A", "Lavrov")
    assert len([u for u in fact.units if u.article_id == "B"]) == 2


def test_coverage_of() -> None:
    assert coverage_of(["A"], ["A"]) == "one"
    assert coverage_of(["A", "B"], ["A", "B"]) == "all"
    assert coverage_of(["A", "B"], ["A", "B", "C"]) == "some"
    assert coverage_of(["A", "A"], ["A", "B"]) == "one"


def test_no_units_no_facts() -> None:
    assert _align([], ["A"]) == []


# --------------------------------------------------------------------------- matrix


def _fact(name: str, carriers: Sequence[str], section: str = "body") -> Fact:
    units = tuple(
        ClaimUnit(f"{a}:{name}", a, 0, 1, name, 0, section=section)  # type: ignore[arg-type]
        for a in carriers
    )
    return Fact(name, units, tuple(carriers), coverage_of(carriers, "ABCD"))


def test_matrix_two_articles() -> None:
    facts = [_fact("f1", "AB"), _fact("f2", "A"), _fact("f3", "B"), _fact("h", "A", "headline")]
    matrix = fact_matrix(facts, ["A", "B"], {"A": "Outlet A", "B": "Outlet B"})
    assert matrix.rows == (("f1", ("A", "B")), ("f2", ("A",)), ("f3", ("B",)), ("h", ("A",)))
    a, b = matrix.deltas
    assert (a.outlet, a.adds, a.omits, a.shared) == ("Outlet A", ("f2",), ("f3",), ("f1",))
    assert (b.adds, b.omits, b.shared) == (("f3",), ("f2",), ("f1",))
    assert headline_only(facts[3]) and not headline_only(facts[0])


def test_matrix_omits_what_most_others_carry() -> None:
    facts = [_fact("f1", "ABC"), _fact("f2", "BC"), _fact("f3", "BD"), _fact("f4", "B")]
    matrix = fact_matrix(facts, ["A", "B", "C", "D"], {})
    deltas = {d.article_id: d for d in matrix.deltas}
    # A: f2 is carried by 2 of its 3 others (more than half); f3 by 2 of 3 as well
    assert deltas["A"].omits == ("f2", "f3")
    assert deltas["D"].omits == ("f1", "f2")  # f1: B, C of {A, B, C}; f2: B, C
    assert deltas["B"].adds == ("f4",) and deltas["B"].omits == ()
    assert deltas["C"].omits == ("f3",) and deltas["C"].outlet == "C"


def test_matrix_single_article_adds_nothing() -> None:
    matrix = fact_matrix([_fact("f1", "A")], ["A"], {})
    assert matrix.deltas[0].adds == () and matrix.deltas[0].omits == ()


# --------------------------------------------------------------------------- real models


@lru_cache(maxsize=1)
def _judge() -> Any:
    try:
        from storylens.compare.same_fact import default_judge
    except ImportError as exc:
        pytest.skip(f"the same-fact judge is not there yet: {exc}")
    return default_judge()


def _pipeline() -> None:
    pipeline = pytest.importorskip("storylens.nlp.pipeline")
    try:
        pipeline.load()
    except pipeline.ModelMissingError as exc:
        pytest.skip(str(exc))


def _read(paths: Sequence[Path]) -> list[Article]:
    """Articles read and extracted as the CLI does."""
    from storylens.extract import ExtractOptions, extract
    from storylens.readers import ReadOptions, read_inputs
    from storylens.readers.base import RawDocument

    return [
        extract(raw, ExtractOptions())
        for raw in read_inputs([str(p) for p in paths], ReadOptions())
        if isinstance(raw, RawDocument)
    ]


def _align_story(
    articles: Sequence[Article], origin_of: dict[str, str] | None = None
) -> tuple[list[ClaimUnit], list[Fact]]:
    """Parse, group quotes, split into units and align, as `compare` does."""
    _pipeline()
    judge = _judge()
    from storylens.nlp.analyze import analyse
    from storylens.nlp.quote_match import default_encoder

    analyses = analyse(articles)
    quotes = {r.article.id: list(r.quotes) for r in analyses}
    groups = match_quotes(quotes, articles, encoder=default_encoder())
    units = [
        u
        for r in analyses
        for u in claim_units(r.article, r.sentences, with_groups(quotes[r.article.id], groups))
    ]
    ids = [a.id for a in articles]
    facts = align_facts(
        units,
        article_ids=ids,
        quote_groups=groups,
        origin_of=origin_of or {i: i for i in ids},
        judge=judge,
    )
    return units, facts


@pytest.fixture(scope="module")
def seed_story() -> tuple[list[Article], list[ClaimUnit], list[Fact]]:
    need(SEEDS)
    articles = sorted(_read(sorted(SEEDS.glob("*.txt"))), key=lambda a: a.source)
    units, facts = _align_story(articles)
    return articles, units, facts


@pytest.mark.parametrize(
    ("in_000", "in_001"),
    [
        ("said that Russia cannot prevent Ukraine from joining NATO", "We cannot prevent it"),
        ("Peskov said it is “impossible” to prevent Ukraine", None),
        ("but it is possible to minimise the consequences", "we can minimize the consequences"),
        ("it will do everything that is necessary", "everything that is necessary will be done"),
        ("all of Moscow’s efforts for cooperation have been in vain", "efforts for cooperation"),
        ("we just made official what was real", "we just made official what was real"),
        ("NATO considers Russia to be its adversary", "NATO considers Russia to be its adversary"),
        ("Joe Biden should meet in the foreseeable future", "Joe Biden should meet"),
        ("the Kremlin will inform the world", "After the presidents make a decision"),
        ("from November 1", "from November 1"),
    ],
)
def test_seed_facts_in_both(
    seed_story: tuple[list[Article], list[ClaimUnit], list[Fact]],
    in_000: str,
    in_001: str | None,
) -> None:
    (older, newer), _, facts = seed_story
    fact = _fact_of(facts, older.id, in_000)
    assert newer.id in fact.article_ids, [u.text for u in fact.units]
    assert fact.coverage == "all"
    if in_001 is not None:
        assert any(u.article_id == newer.id and in_001 in u.text for u in fact.units), [
            u.text for u in fact.units
        ]


@pytest.mark.parametrize(
    "needle",
    [
        "very dangerous step",
        "third nations had no power to veto",
        "NATO buildup along the country's borders",
        "Brest region near Poland",
    ],
)
def test_seed_facts_only_in_000(
    seed_story: tuple[list[Article], list[ClaimUnit], list[Fact]], needle: str
) -> None:
    (older, newer), _, facts = seed_story
    fact = _fact_of(facts, older.id, needle)
    assert fact.article_ids == (older.id,), [u.text for u in fact.units]
    matrix = fact_matrix(facts, [older.id, newer.id], {})
    assert fact.id in matrix.deltas[0].adds and fact.id in matrix.deltas[1].omits


def test_seed_001_adds_almost_nothing_but_quote_wording(
    seed_story: tuple[list[Article], list[ClaimUnit], list[Fact]],
) -> None:
    (_, newer), _, facts = seed_story
    own = [f for f in facts if f.article_ids == (newer.id,) and not headline_only(f)]
    texts = [u.text for f in own for u in f.units]
    assert len(own) <= 4, texts
    assert all(u.quote_ids for f in own for u in f.units), texts
    assert any("let us not get ahead of things" in t for t in texts)


def test_seed_facts_do_not_chain(
    seed_story: tuple[list[Article], list[ClaimUnit], list[Fact]],
) -> None:
    (older, _), _, facts = seed_story
    cannot = _fact_of(facts, older.id, "said that Russia cannot prevent Ukraine")
    for other in ("NATO considers Russia", "Joe Biden should meet", "from November 1"):
        assert _fact_of(facts, older.id, other) is not cannot
    assert max(len(f.units) for f in facts) <= 8


# --------------------------------------------------------------------------- examples

_FILES = ("meridian-press-feed.xml", "strait-gazette.html", "korvhaven-courier.txt")


@pytest.fixture(scope="module")
def fire_story() -> tuple[dict[str, Article], list[ClaimUnit], list[Fact]]:
    articles = _read([EXAMPLES / name for name in (*_FILES, "national-ledger.txt")])
    # the feed's two other items are other stories
    by_outlet = {_outlet(a): a for a in articles if _outlet(a)}
    assert set(by_outlet) == {"MPA", "SG", "KC", "NL"}
    ordered = [by_outlet[k] for k in ("MPA", "SG", "KC", "NL")]
    mpa = ordered[0].id
    origin_of = {a.id: a.id for a in ordered} | {ordered[1].id: mpa}  # SG reprints MPA
    units, facts = _align_story(ordered, origin_of)
    return by_outlet, units, facts


def _outlet(article: Article) -> str:
    title = article.title or ""
    starts = {"Chemical plant fire": "MPA", "Ilvany": "SG", "TOXIC": "KC", "Government": "NL"}
    return next((name for head, name in starts.items() if title.startswith(head)), "")


def _carriers(by_outlet: dict[str, Article], fact: Fact) -> set[str]:
    names = {a.id: k for k, a in by_outlet.items()}
    return {names[a] for a in fact.article_ids}


@pytest.mark.parametrize(
    ("outlet", "needle", "carriers"),
    [
        ("MPA", "Schools in the three districts were closed", {"MPA", "SG", "KC", "NL"}),
        ("MPA", "No one was killed", {"MPA", "SG", "KC", "NL"}),
        ("MPA", "About 120 firefighters and 30 engines", {"MPA", "SG", "KC"}),
        ("MPA", "Rail services on the coastal line", {"MPA"}),  # F17
        ("SG", "Strait Line Ferries cancelled", {"SG"}),  # F18
        ("KC", "It sounded like thunder", {"KC"}),  # F19
        ("NL", "opened in 1994", {"NL"}),  # F20
        ("MPA", "Halcyon Polymers admitted", {"MPA", "KC", "NL"}),  # F15: trimmed from SG
    ],
)
def test_examples_planted_facts(
    fire_story: tuple[dict[str, Article], list[ClaimUnit], list[Fact]],
    outlet: str,
    needle: str,
    carriers: set[str],
) -> None:
    by_outlet, _, facts = fire_story
    fact = _fact_of(facts, by_outlet[outlet].id, needle)
    assert _carriers(by_outlet, fact) == carriers, [u.text for u in fact.units]


def test_examples_matrix_and_origins(
    fire_story: tuple[dict[str, Article], list[ClaimUnit], list[Fact]],
) -> None:
    by_outlet, _, facts = fire_story
    ids = [by_outlet[k].id for k in ("MPA", "SG", "KC", "NL")]
    matrix = fact_matrix(facts, ids, {by_outlet[k].id: k for k in by_outlet})
    deltas = {d.outlet: d for d in matrix.deltas}
    crews = _fact_of(facts, by_outlet["MPA"].id, "About 120 firefighters")
    assert crews.id in deltas["NL"].omits
    rail = _fact_of(facts, by_outlet["MPA"].id, "Rail services")
    assert rail.id in deltas["MPA"].adds
    # MPA and its syndicated copy SG are one origin
    copied = _fact_of(facts, by_outlet["SG"].id, "Police evacuated everyone")
    if _carriers(by_outlet, copied) == {"MPA", "SG"}:
        assert copied.origins == 1
