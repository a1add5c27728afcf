"""The cited extractive summary: which facts, which sentence for each, in what order.

Small stories written here pin each rule (support first, shared before single-outlet,
reported speech over quotation, no dangling pronoun or headline, no repetition, story
order, determinism); the seeds compared by the real pipeline check the acceptance facts.
"""

from __future__ import annotations

import random

from storylens.compare.model import ClaimUnit, Fact
from storylens.compare.summary import summarise, unit_quality
from tests.seed_compare import seed_comparison

OUTLETS = {"a": "Alpha", "b": "Beta", "c": "Gamma"}


def unit(article: str, index: int, text: str, **extra: object) -> ClaimUnit:
    """A unit at a made-up offset: position 100 * index in its article."""
    start = 100 * index
    section = extra.pop("section", "lead" if index == 1 else "body")
    return ClaimUnit(
        id=f"{article}:{'h' if section == 'headline' else ''}{start}-{start + len(text)}",
        article_id=article,
        start=start,
        end=start + len(text),
        text=text,
        index=index,
        section=section,  # type: ignore[arg-type]
        paragraph=int(extra.pop("paragraph", index)),  # type: ignore[call-overload]
        **extra,  # type: ignore[arg-type]
    )


def fact(fact_id: str, *units: ClaimUnit, origins: int | None = None) -> Fact:
    articles = tuple(dict.fromkeys(u.article_id for u in units))
    coverage = "one" if len(articles) == 1 else "all" if len(articles) == 3 else "some"
    return Fact(
        fact_id,
        units,
        articles,
        coverage,  # type: ignore[arg-type]
        len(articles) if origins is None else origins,
    )


# --------------------------------------------------------------------------- sentence choice


def test_reported_statement_beats_quotation_pronoun_and_headline() -> None:
    headline = unit("a", 0, "Minister says 50 killed in flood", section="headline")
    quoted = unit("b", 2, '"Fifty people died in this flood," he said.')
    pronoun = unit("c", 3, "He said that 50 people were killed in the flood.")
    reported = unit("a", 4, "The interior minister said 50 people were killed in the flood.")
    f = fact("f1", headline, quoted, pronoun, reported)
    [sentence] = summarise([f], [headline, quoted, pronoun, reported], OUTLETS)
    assert sentence.text == reported.text
    assert sentence.source == reported.span
    assert sentence.outlets == ("Alpha", "Beta", "Gamma")


def test_sentences_inside_a_multi_sentence_quotation_count_as_quoted() -> None:
    opening = unit("b", 1, '"We cannot prevent it.', paragraph=1)
    middle = unit("b", 2, "Russia will not allow it to happen.", paragraph=1)
    closing = unit("b", 3, 'It is impossible," Peskov told the broadcaster.', paragraph=1)
    reported = unit("a", 2, "Peskov said Russia cannot prevent Ukraine from joining the alliance.")
    f = fact("f1", middle, reported)
    units = [opening, middle, closing, reported]
    [sentence] = summarise(
        [f, fact("f0", opening), fact("f2", closing)], units, OUTLETS, max_sentences=1
    )
    assert sentence.text == reported.text
    # The middle sentence carries no mark of its own, yet it is the speaker's voice.
    assert unit_quality(middle, quoted_share=1.0) < unit_quality(middle)


def test_a_quotation_is_used_when_nothing_else_states_the_fact() -> None:
    quote = '"Nothing terrible will happen if we abandon these relations,"'
    dangling = unit("a", 2, f"{quote} he told the Rossiya 1 broadcaster.")
    named = unit("b", 3, f"{quote} Peskov told Rossiya 1.")
    [sentence] = summarise([fact("f1", dangling, named)], [dangling, named], OUTLETS)
    assert sentence.text == named.text  # names its speaker; no dangling "he"
    assert sentence.single_source is False


def test_expletive_it_and_plain_openers_are_not_penalised() -> None:
    expletive = unit("a", 2, "It is worth mentioning that Lavrov had announced the suspension.")
    dangling = unit("a", 3, "It will take effect from November 1, the ministry said.")
    assert unit_quality(expletive) > unit_quality(dangling)
    clause = unit("a", 4, "but it is possible to minimise the consequences of such steps.")
    whole = unit("b", 4, "Moscow can minimise the consequences of such steps, Peskov said.")
    assert unit_quality(whole) > unit_quality(clause)
    cut = unit("a", 5, "the consequences of such steps can be minimised, Peskov said.")
    assert unit_quality(cut) < unit_quality(unit("a", 5, "The" + cut.text[3:]))
    however = unit("a", 6, "However, Moscow can minimise the consequences, Peskov said.")
    assert unit_quality(however) < unit_quality(unit("a", 6, however.text[9:]))


def test_attribution_helps_and_first_person_outside_quotes_hurts() -> None:
    bare = unit("a", 2, "The flood killed 50 people in the valley on Monday.")
    attributed = unit("a", 2, "The flood killed 50 people in the valley on Monday, police said.")
    assert unit_quality(attributed) > unit_quality(bare)
    ours = unit("a", 3, "The army sent our soldiers to the province on Monday.")
    theirs = unit("a", 3, "The army sent its soldiers to the province on Monday.")
    assert unit_quality(ours) < unit_quality(theirs)


def test_a_headline_loses_even_to_a_weaker_body_sentence() -> None:
    text = "The minister said 50 people were killed in the flood."
    headline = unit("b", 0, text, section="headline")
    body = unit("a", 3, "At least 50 people died in the flood, the minister said.")
    other = unit("c", 2, "The army sent soldiers to the province, the defence ministry said.")
    facts = [fact("f1", headline, body), fact("f2", other)]
    [sentence] = summarise(facts, [headline, body, other], OUTLETS, max_sentences=1)
    assert sentence.text == body.text


def test_loaded_wording_loses_to_plain_wording() -> None:
    loaded = unit("a", 2, "The regime slammed the alliance over its aggression on Tuesday.")
    plain = unit("b", 2, "The government criticised the alliance over its actions on Tuesday.")
    assert unit_quality(plain) > unit_quality(loaded)
    # ... but a loaded word inside a quotation is the speaker's, not the outlet's.
    quoted = unit("c", 2, 'The government criticised the alliance\'s "aggression" on Tuesday.')
    assert unit_quality(quoted) == unit_quality(plain)


# --------------------------------------------------------------------------- fact choice


def _story() -> tuple[list[Fact], list[ClaimUnit]]:
    a1 = unit("a", 1, "Floods killed 50 people in the northern province on Monday, officials said.")
    b1 = unit("b", 1, "At least 50 people died in floods in the northern province, officials said.")
    c1 = unit("c", 1, "Officials said floods killed 50 people in the north of the country.")
    a2 = unit(
        "a", 2, "The army sent 2,000 soldiers to help with rescue work, the defence ministry said."
    )
    b3 = unit("b", 3, "The defence ministry said 2,000 troops were sent to the province.")
    c4 = unit("c", 4, "Roads to the provincial capital were closed, the police said.")
    a5 = unit("a", 5, "Aid groups appealed for donations to rebuild the damaged homes.")
    b6 = unit("b", 6, "Rain is forecast to continue until the end of the week, forecasters said.")
    c2 = unit(
        "c", 2, "The prime minister cut short a visit abroad to return home, his office said."
    )
    facts = [
        fact("f-killed", a1, b1, c1),
        fact("f-army", a2, b3),
        fact("f-roads", c4),
        fact("f-aid", a5),
        fact("f-rain", b6),
        fact("f-pm", c2),
    ]
    return facts, [a1, a2, a5, b1, b3, b6, c1, c2, c4]


def test_support_decides_which_facts_and_single_source_is_flagged() -> None:
    facts, units = _story()
    two = summarise(facts, units, OUTLETS, max_sentences=2)
    assert [s.fact_id for s in two] == ["f-killed", "f-army"]
    assert [s.single_source for s in two] == [False, False]
    assert two[0].article_ids == ("a", "b", "c")
    assert two[1].outlets == ("Alpha", "Beta")
    # The prime minister's return is told early (second in Gamma) but only by one outlet:
    # it comes only after every shared fact, and is flagged.
    three = summarise(facts, units, OUTLETS, max_sentences=3)
    assert {s.fact_id for s in three} == {"f-killed", "f-army", "f-pm"}
    pm = next(s for s in three if s.fact_id == "f-pm")
    assert pm.single_source and pm.outlets == ("Gamma",)


def test_shared_fact_resting_on_one_origin_is_flagged() -> None:
    facts, units = _story()
    reprinted = Fact("f-army", facts[1].units, facts[1].article_ids, "some", origins=1)
    out = summarise([facts[0], reprinted], units, OUTLETS)
    assert [(s.fact_id, s.single_source) for s in out] == [("f-killed", False), ("f-army", True)]


def test_sentences_read_in_story_order() -> None:
    facts, units = _story()
    out = summarise(facts, units, OUTLETS)
    assert len(out) == len(facts)
    # First appearance: relative position within the carrying articles (ties: the
    # earlier article).
    assert [s.fact_id for s in out] == ["f-killed", "f-army", "f-pm", "f-aid", "f-rain", "f-roads"]


def test_story_order_is_not_the_order_of_choice() -> None:
    lead = unit("c", 1, "The prime minister cut short a visit abroad, his office said.")
    a3 = unit("a", 3, "The army sent 2,000 soldiers to help, the defence ministry said.")
    b3 = unit("b", 3, "The defence ministry said 2,000 troops were sent to the province.")
    filler = [
        unit(x, i, f"Sentence {i} of article {x} says nothing new about the story.")
        for x in "abc"
        for i in (1, 2, 4)
        if (x, i) != ("c", 1)
    ]
    units = [lead, a3, b3, *filler]
    facts = [fact("f-army", a3, b3), fact("f-pm", lead)]
    # The army fact is chosen first (two outlets) but the prime minister is told first.
    assert [s.fact_id for s in summarise(facts, units, OUTLETS, max_sentences=1)] == ["f-army"]
    assert [s.fact_id for s in summarise(facts, units, OUTLETS)] == ["f-pm", "f-army"]


def test_a_shared_fact_told_only_in_quotation_ranks_after_reported_ones() -> None:
    qa = unit("a", 1, '"We will not give up until every family has a home again," he said.')
    qb = unit("b", 1, '"We will never give up until each family has a home again," he said.')
    ra = unit("a", 3, "Rescue teams reached the village on Tuesday, the army said.")
    rb = unit("b", 3, "Army rescue teams reached the village on Tuesday.")
    facts = [fact("f-quote", qa, qb), fact("f-rescue", ra, rb)]
    [sentence] = summarise(facts, [qa, qb, ra, rb], OUTLETS, max_sentences=1)
    assert sentence.fact_id == "f-rescue"


def test_redundant_facts_are_left_out() -> None:
    a1 = unit("a", 1, "Floods killed 50 people in the northern province on Monday, officials said.")
    b1 = unit("b", 1, "Floods killed 50 people in the northern province on Monday, officials said.")
    # Alignment kept these apart (different wording elsewhere), but the chosen sentences
    # say the same thing: the second adds nothing.
    c1 = unit("c", 1, "Officials said floods killed 50 people in the northern province on Monday.")
    c2 = unit("c", 2, "The army sent soldiers to the province, the defence ministry said.")
    facts = [fact("f1", a1, b1), fact("f2", c1), fact("f3", c2)]
    out = summarise(facts, [a1, b1, c1, c2], OUTLETS)
    assert [s.fact_id for s in out] == ["f1", "f3"]


def test_headline_only_facts_only_when_nothing_else() -> None:
    head_a = unit("a", 0, "Floods kill 50 in north", section="headline")
    head_b = unit("b", 0, "Fifty die in northern floods", section="headline")
    body = unit("a", 1, "The army sent soldiers to the province, the defence ministry said.")
    headline = fact("f-head", head_a, head_b)
    assert [
        s.fact_id
        for s in summarise([headline, fact("f-body", body)], [head_a, head_b, body], OUTLETS)
    ] == ["f-body"]
    [only] = summarise([headline], [head_a, head_b], OUTLETS)
    assert only.fact_id == "f-head" and only.source.section == "headline"


def test_deterministic_whatever_the_order_of_facts() -> None:
    facts, units = _story()
    expected = summarise(facts, units, OUTLETS, max_sentences=4)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = facts[:]
        rng.shuffle(shuffled)
        assert summarise(shuffled, units, OUTLETS, max_sentences=4) == expected


def test_empty_and_zero() -> None:
    facts, units = _story()
    assert summarise([], units, OUTLETS) == []
    assert summarise(facts, units, OUTLETS, max_sentences=0) == []


# --------------------------------------------------------------------------- seeds


def test_seed_summary_is_verbatim_cited_and_neutral() -> None:
    c = seed_comparison()
    texts = {a.id: a for a in c.articles}
    assert 3 <= len(c.summary) <= 8
    for sentence in c.summary:
        article = texts[sentence.source.article_id]
        source = article.title or "" if sentence.source.section == "headline" else article.text
        assert source[sentence.source.start : sentence.source.end] == sentence.text
        assert sentence.source.article_id in sentence.article_ids
        assert sentence.outlets == tuple(c.outlet(a) for a in sentence.article_ids)
        f = c.fact(sentence.fact_id)
        assert f is not None and sentence.single_source == (f.origins <= 1)
        assert sentence.source.section != "headline"
    shared = [s for s in c.summary if len(s.article_ids) == 2]
    assert len(shared) >= 3, "the seeds share at least three facts"
    words = " ".join(s.text for s in c.summary)
    assert "prevent Ukraine" in words
    assert "November 1" in words  # Lavrov: the mission is suspended from November 1
    starts = [s.text.split()[0].strip('"“').casefold() for s in c.summary]
    assert not {"he", "she", "they", "we", "i"} & set(starts)
