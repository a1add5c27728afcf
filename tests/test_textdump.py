"""The plain-text dump extractor: seeds from ../shared, and dumps we wrote ourselves."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from storylens.errors import InputError
from storylens.extract import ExtractOptions, extract
from storylens.extract.textdump import byline_names, clean_lines
from storylens.model import Article
from storylens.readers.base import RawDocument

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
DATA = Path(__file__).resolve().parent / "data" / "text"


def _extract(
    data: bytes, source: str = "dump.txt", options: ExtractOptions | None = None
) -> Article:
    return extract(RawDocument(source=source, data=data, media_type="text/plain"), options)


def _seed(name: str) -> bytes:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"seed {name} absent: ../shared/seeds is not beside the repository")
    return path.read_bytes()


def _ours(name: str) -> Article:
    return _extract((DATA / name).read_bytes(), source=name)


# --- seed 000: Republic-style dump, IST stamps, byline, captions, adverts -------------


@pytest.fixture(scope="module")
def seed000() -> Article:
    return _extract(_seed("000_dfa6510828831f01.txt"), source="000_dfa6510828831f01.txt")


def test_seed000_metadata(seed000: Article) -> None:
    assert seed000.title == (
        "Russia cannot prevent Ukraine from joining NATO but can minimise consequences: Kremlin"
    )
    assert seed000.byline == ("Bhavya Sukheja",)
    published = seed000.published
    assert published is not None
    assert published.zone_known
    assert published.local.isoformat() == "2021-10-24T21:14:00+05:30"
    assert published.utc == datetime(2021, 10, 24, 15, 44, tzinfo=UTC)
    assert seed000.provenance["published"].source == "text"
    assert seed000.provenance["published"].confidence == pytest.approx(0.7)


def test_seed000_body_is_free_of_furniture(seed000: Article) -> None:
    text = seed000.text
    for furniture in (
        "Advertisement",
        "Image:",
        "Reported by",
        "Updated October",
        "Published October",
    ):
        assert furniture not in text
    assert "\u00a0" not in text
    # the title is not repeated as a body paragraph
    assert not any(p.startswith("Russia cannot prevent") for p in text.split("\n\n"))


def test_seed000_body_keeps_quotes_subhead_and_last_paragraph(seed000: Article) -> None:
    paragraphs = seed000.text.split("\n\n")
    assert paragraphs[0].startswith("Amid tensions between Moscow and Kyiv")
    assert "Ukraine's possible NATO entry would be a 'dangerous step'" in paragraphs
    assert any(p.startswith('"It is also important to note here') for p in paragraphs)
    assert any(p.startswith('"Nothing terrible will happen if') for p in paragraphs)
    assert paragraphs[-1].startswith("Russia's defence chief expressed concern")
    assert "naval communications facility in Vileyka near Minsk." in paragraphs[-1]


# --- seed 001: zone-less stamp, story code, stray metadata line ----------------------


@pytest.fixture(scope="module")
def seed001() -> Article:
    return _extract(_seed("001_2675c64fa28e9cb7.txt"), source="001_2675c64fa28e9cb7.txt")


def test_seed001_metadata(seed001: Article) -> None:
    assert seed001.title == (
        "Moscow Says Cannot Prevent Ukraine from Joining NATO But Can Minimize Its Consequences"
    )
    assert seed001.publisher_ids == ("960351",)


def test_seed001_time_without_zone_stays_an_interval(seed001: Article) -> None:
    published = seed001.published
    assert published is not None
    assert published.local == datetime(2021, 10, 25, 2, 51)
    assert not published.zone_known
    assert published.utc is None
    # never read as UTC: the interval spans every offset in use
    assert published.earliest == datetime(2021, 10, 24, 12, 51, tzinfo=UTC)
    assert published.latest > datetime(2021, 10, 25, 14, 51, tzinfo=UTC)
    assert published.earliest < datetime(2021, 10, 25, 2, 51, tzinfo=UTC) < published.latest


def test_seed001_default_tz_pins_the_zone() -> None:
    article = _extract(
        _seed("001_2675c64fa28e9cb7.txt"), options=ExtractOptions(default_tz="Asia/Tehran")
    )
    published = article.published
    assert published is not None and published.zone_known
    assert published.utc == datetime(2021, 10, 24, 23, 21, tzinfo=UTC)  # +03:30 in October


def test_seed001_body(seed001: Article) -> None:
    text = seed001.text
    assert "Story Code" not in text
    assert "date 2021-10-25 0" not in text
    assert "Monday 25 October" not in text
    assert text.startswith('"We cannot prevent it. It is impossible.')
    assert text.rstrip().endswith("Permanent Mission of Russia to the bloc.")


# --- dumps we wrote: German, French, an English full page ---------------------------


def test_german_dump() -> None:
    article = _ours("de_hafen.txt")
    assert article.title == "Neuer Containerterminal im Hafen soll 2024 öffnen"
    assert article.byline == ("Anna Schmidt", "Max Müller")
    assert article.publisher_ids == ("HH-204518",)
    assert article.updated is not None
    assert article.updated.local == datetime(2021, 10, 24, 14, 30)
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0].startswith("Der Senat hat am Sonntag")
    assert "Kosten von einer Milliarde Euro" in paragraphs  # sub-headline kept
    for furniture in (
        "Anzeige",
        "Foto: dpa",
        "Cookies",
        "Mehr zum Thema",
        "Teilen",
        "©",
        "Impressum",
        "Startseite",
        "Stand:",
    ):
        assert furniture not in article.text


def test_french_dump() -> None:
    article = _ours("fr_vignes.txt")
    assert article.title == "Les vendanges tardives sauvent une saison difficile dans le Bordelais"
    assert article.byline == ("Jean Dupont",)
    assert article.published is not None and article.updated is not None
    assert article.published.local == datetime(2021, 10, 24, 14, 30)
    assert article.updated.local == datetime(2021, 10, 25, 8, 15)
    assert article.published.precision == "minute"
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[1].startswith("« Nous avons eu de la chance")
    for furniture in (
        "Publicité",
        "Crédit photo",
        "Lire aussi",
        "Partager",
        "droits réservés",
        "Accueil",
    ):
        assert furniture not in article.text


def test_english_full_page_dump() -> None:
    article = _ours("en_fullpage.txt")
    assert (
        article.title == "Bridge reopens after two-year repair, ending long detours for commuters"
    )
    assert article.byline == ("Jane Doe", "John Smith")
    assert article.publisher_ids == ("48213",)
    published = article.published
    assert published is not None and published.zone == "ET"
    assert published.utc == datetime(2021, 10, 25, 1, 14, tzinfo=UTC)  # EDT, UTC-4
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0].startswith("The city's main river bridge reopened")
    assert "What comes next for the old ferry" in paragraphs
    assert paragraphs[-1].startswith("A council spokesman said a decision on the ferry")
    for furniture in (
        "cookies",
        "Subscribe",
        "Share",
        "Photo:",
        "Advertisement",
        "Related",
        "Council approves budget",
        "Most Read",
        "Comments",
        "says:",
        "Finally! Two years",
        "Privacy Policy",
        "©",
    ):
        assert furniture not in article.text


# --- rules in isolation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Reported by: Bhavya Sukheja", ("Bhavya Sukheja",)),
        ("By Jane Doe and John Smith", ("Jane Doe", "John Smith")),
        ("Written by Anna Müller-Lüdenscheidt", ("Anna Müller-Lüdenscheidt",)),
        ("Author: Ludwig van Beethoven", ("Ludwig van Beethoven",)),
        ("Von Anna Schmidt und Max Müller", ("Anna Schmidt", "Max Müller")),
        ("Par Jean Dupont, envoyé spécial à Bordeaux", ("Jean Dupont",)),
        ("By Jane Doe, Staff Writer", ("Jane Doe",)),
        ("By the time the police arrived, it was over.", ()),
        ("Author: unknown", ()),
        ("By clicking accept you agree to our terms", ()),
    ],
)
def test_byline_names(line: str, names: tuple[str, ...]) -> None:
    assert byline_names(line) == names


def test_lone_first_line_is_the_title_unless_it_is_a_time() -> None:
    dump = (
        "24.10.2021, 14:30\n\nCity council backs plan for night buses\n\n"
        "The city council voted on Sunday to run night buses on four routes from next spring, "
        "after a trial last summer carried more passengers than the transport office expected.\n\n"
        "The first routes will link the station with the university and the hospital, the "
        "council said, and tickets will cost the same as during the day.\n"
    )
    article = _extract(dump.encode())
    assert article.title == "City council backs plan for night buses"
    assert article.published is not None
    assert article.published.local == datetime(2021, 10, 24, 14, 30)
    assert article.text.startswith("The city council voted on Sunday")
    assert "14:30" not in article.text


def test_labelled_ids_and_stray_metadata_are_dropped() -> None:
    body = (
        "The ministry said on Monday that the new rules would apply to all imports from "
        "January, and that companies would have six months to adapt their paperwork."
    )
    for label, value in (("News ID", "773310"), ("Story ID", "A-9921"), ("Article No.", "5521")):
        head = f"Ministry sets date for new import rules\n{label}: {value}\n"
        dump = f"{head}date 2021-10-25 0\n{body}\n"
        article = _extract(dump.encode())
        assert article.publisher_ids == (value,)
        assert article.text == body


def test_repeated_short_lines_are_furniture() -> None:
    para = (
        "Engineers at the plant said the repairs had gone faster than planned, and that the "
        "second turbine could be back in service before the end of the week."
    )
    other = para.replace("second", "third")
    dump = f"Image: Reuters\n{para}\nWatch: plant tour\n{other}\nImage: Reuters\n"
    lines = clean_lines(dump)
    assert lines == [para, other]


def test_sentence_mentioning_a_date_is_not_a_time_line() -> None:
    para = "The treaty was signed on 24 October 2021 in Geneva after two years of talks."
    lines = clean_lines(
        f"{para}\nBoth governments said the text would be published in full next week, once "
        "the translations into all official languages were complete.\n"
    )
    assert lines[0] == para


def test_empty_dump_is_an_input_error() -> None:
    with pytest.raises(InputError):
        _extract(b"   \n\n")


def test_dump_of_only_furniture_is_an_input_error() -> None:
    with pytest.raises(InputError):
        _extract(b"Advertisement\nShare\nSubscribe\n")


def test_windows_1252_dump_decodes() -> None:
    dump = (
        "Caf\xe9 owners welcome longer opening hours\n"
        "Owners of caf\xe9s in the old town said on Tuesday that the longer opening hours "
        "agreed by the council would help them recover from two difficult winters.\n"
    ).encode("cp1252")
    article = _extract(dump)
    assert article.title == "Café owners welcome longer opening hours"
    assert article.text.startswith("Owners of cafés")


def test_subheads_that_look_like_section_headers_are_kept() -> None:
    first = (
        "The government said on Friday that it would send another two thousand soldiers to "
        "the northern border, where clashes have continued for more than a week."
    )
    second = (
        "The defence minister told parliament that the new units would arrive within days and "
        "would stay at least until the end of the winter, when talks are due to resume."
    )
    lines = clean_lines(f"{first}\nMore troops sent to the border\n{second}\n")
    assert lines == [first, "More troops sent to the border", second]
    lines = clean_lines(f"{first}\n{second}\nMore World\nFloods close roads in the south\n")
    assert lines == [first, second]


def test_short_note_keeps_its_body_and_headline() -> None:
    article = _extract(b"A headline\n\nThe body of the article is long enough to read as one.\n")
    assert article.title == "A headline"
    assert article.text == "The body of the article is long enough to read as one."


def test_ambiguous_zone_follows_the_outlets_country() -> None:
    dump = (
        b"Updated October 24th, 2021 at 21:14 IST\n\nCabinet approves new budget\n\n"
        b"The cabinet approved the new budget on Sunday evening after a session that lasted "
        b"more than nine hours, the prime minister's office said in a statement.\n"
    )
    israeli = extract(
        RawDocument(
            source="x.txt", data=dump, media_type="text/plain", url="https://news.example.co.il/a/1"
        )
    )
    assert israeli.updated is not None
    assert israeli.updated.utc == datetime(2021, 10, 24, 19, 14, tzinfo=UTC)  # IST = UTC+2
    indian = _extract(dump)  # no country: the most common reading in news, India
    assert indian.updated is not None
    assert indian.updated.utc == datetime(2021, 10, 24, 15, 44, tzinfo=UTC)


def test_navigation_and_breadcrumb_lines_are_furniture() -> None:
    dump = (
        "Harbour works to start in May\n\n"
        "Home | National | Harbour | Print edition\n\n"
        "News › Region › Coast\n\n"
        "The port authority said on Tuesday that dredging of the inner harbour would start "
        "in May and last about four months, closing two berths to cargo ships.\n\n"
        "Fishing boats will use a temporary pier on the north side while the work goes on, "
        "the authority said in a statement.\n"
    )
    article = extract(RawDocument(source="d.txt", data=dump.encode(), media_type="text/plain"))
    assert "Home | National" not in article.text and "News › Region" not in article.text
    assert article.text.startswith("The port authority said")
