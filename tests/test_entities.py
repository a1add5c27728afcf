"""Entities: mentions, roles, and canonical names within an article and across a story."""

from __future__ import annotations

import pytest
from spacy.language import Language

from storylens.model import Article, Entity
from storylens.nlp.entities import canonicalise_story, extract_entities, story_names
from storylens.nlp.pipeline import load, parse

FIRST = (
    "Kremlin spokesman Dmitry Peskov said on Sunday that talks would continue. "
    "Peskov spoke to Rossiya 1.\n\n"
    "The Kremlin spokesman added that Moscow was ready. "
    "Earlier, Russian Deputy Foreign Minister Andrey Rudenko warned of a dangerous step, "
    "and Rudenko repeated it in Geneva."
)
SECOND = "Peskov told the broadcaster that the meeting was planned in Moscow."


@pytest.fixture(scope="session")
def nlp() -> Language:
    return load()


def entities_of(text: str, nlp: Language, article_id: str = "a") -> list[Entity]:
    article = Article(id=article_id, text=text, source="test")
    return extract_entities(article, parse(article, nlp))


def by_text(entities: list[Entity], text: str) -> list[Entity]:
    return [e for e in entities if e.text == text]


def test_short_names_fold_into_the_full_name(nlp: Language) -> None:
    entities = entities_of(FIRST, nlp)
    for mention in ("Dmitry Peskov", "Peskov"):
        assert {e.canonical for e in by_text(entities, mention)} == {"Dmitry Peskov"}
    assert {e.canonical for e in by_text(entities, "Rudenko")} == {"Andrey Rudenko"}
    for e in entities:
        assert FIRST[e.start : e.end] == e.text


def test_roles_are_kept(nlp: Language) -> None:
    entities = entities_of(FIRST, nlp)
    (peskov,) = by_text(entities, "Dmitry Peskov")
    assert peskov.role == "Kremlin spokesman"
    (rudenko,) = by_text(entities, "Andrey Rudenko")
    assert rudenko.role == "Russian Deputy Foreign Minister"


def test_a_title_matching_a_role_is_a_mention_of_that_person(nlp: Language) -> None:
    entities = entities_of(FIRST, nlp)
    (title,) = by_text(entities, "The Kremlin spokesman")
    assert (title.label, title.canonical) == ("PERSON", "Dmitry Peskov")


def test_places_and_organisations(nlp: Language) -> None:
    entities = entities_of(FIRST, nlp)
    labels = {(e.canonical, e.label) for e in entities}
    assert ("Geneva", "GPE") in labels
    assert ("Kremlin", "ORG") in labels


def test_ambiguous_surname_takes_the_nearest_full_name(nlp: Language) -> None:
    text = (
        "Hillary Clinton spoke first. Bill Clinton followed her on stage. "
        "Clinton then thanked the crowd."
    )
    entities = entities_of(text, nlp)
    (last,) = [e for e in entities if e.text == "Clinton"]
    assert last.canonical == "Bill Clinton"


def test_story_canonicalisation_unifies_names_and_ids(nlp: Language) -> None:
    first = entities_of(FIRST, nlp, "a")
    second = entities_of(SECOND, nlp, "b")
    assert {e.canonical for e in by_text(second, "Peskov")} == {"Peskov"}
    unified = canonicalise_story([first, second])
    (peskov,) = by_text(unified[1], "Peskov")
    assert peskov.canonical == "Dmitry Peskov"
    ids = {e.entity_id for e in (*unified[0], *unified[1]) if e.canonical == "Dmitry Peskov"}
    assert len(ids) == 1 and None not in ids
    assert story_names([first, second])[("PERSON", "Peskov")] == "Dmitry Peskov"


def test_entity_round_trip(nlp: Language) -> None:
    for entity in entities_of(FIRST, nlp):
        assert Entity.from_dict(entity.to_dict()) == entity


def test_a_role_from_one_article_names_the_person_in_another(nlp: Language) -> None:
    from storylens.nlp.analyze import analyse

    second = Article(id="b", text="Talks will go on, Kremlin spokesman said on Monday.", source="b")
    results = analyse([Article(id="a", text=FIRST, source="a"), second], nlp)
    (title,) = [e for e in results[1].entities if e.text == "Kremlin spokesman"]
    assert (title.label, title.canonical) == ("PERSON", "Dmitry Peskov")
    (quote,) = results[1].quotes
    assert quote.speaker == "Dmitry Peskov"
