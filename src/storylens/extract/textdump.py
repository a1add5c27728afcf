"""Plain-text page dumps: find the article among the page furniture.

A dump ("save as text", a copy-paste, a scraper's text field) has one block per line
and none of the markup that HTML extractors lean on, so every line is judged by what
text alone shows, in three passes:

1. Metadata lines are found and taken out of the body: time stamps ("Updated October
   24th, 2021 at 21:14 IST"), bylines ("Reported by: …"), labelled ids ("Story Code :
   960351"), alone or joined by separators ("By Jane Doe | Oct 24, 2021 9:14 PM ET").
2. Each other line is classified the way jusText classifies HTML blocks (length,
   stopword density from jusText's stoplists, sentence punctuation), with label
   patterns for furniture no length rule catches ("Advertisement", "Image: AP",
   share/subscribe prompts, cookie and copyright notices, comment signatures) and
   repetition (a short line seen twice is page chrome). Short lines then take the class
   of their context, so a sub-headline between two paragraphs stays while a menu item
   between menus goes; a long run of short lines is a menu or a list whatever its
   neighbours.
3. The article is the run of lines with the largest mass of good text (a maximum
   subarray, as in Finn et al.'s BTE). Text weighs less the later it comes, after a
   comments header, and more right below the page's first byline or time stamp, since
   pages put navigation, article, related items, comments and footer in that order.

The title is the heading-like line just above the body that shares most words with
it; the stamps proposed are those around the body (a full page carries teasers with
their own). No rule knows any site: all are general properties of news pages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from storylens.extract import CONFIDENCE, ExtractOptions
from storylens.extract.draft import ArticleDraft
from storylens.extract.language import detect_language
from storylens.extract.text import HORIZONTAL_SPACE, decode
from storylens.extract.times import non_date_words, parse_time
from storylens.extract.urls import country_of, domain_of
from storylens.extract.wire import agency_name
from storylens.model import TimeValue

__all__ = ["clean_lines", "extract_textdump"]

# jusText's thresholds (chars and stopword density), which it tuned on CleanEval.
LENGTH_LOW = 70
LENGTH_HIGH = 200
STOPWORDS_LOW = 0.30
STOPWORDS_HIGH = 0.32
MAX_HEADING_DISTANCE = 200
# Per-line cost of a bad line in the main-block search: a run of menu items must weigh
# more than a short paragraph so the search does not bridge a navigation column.
BAD_LINE_COST = 25
# A comments or related-stories header costs as much as a few paragraphs: the search
# crosses it only when clearly more article follows.
SECTION_END_COST = 400
COMMENTS_COST = 800
AFTER_END_WEIGHT = 0.25
# Pages put navigation first, the article next, then related items, comments and
# footers: good text weighs less the later it comes (down to half at the very end).
POSITION_DECAY = 0.5
# Head start of the first paragraph after the page's headline/byline/time lines.
ANCHOR_BONUS = 500
ANCHOR_REACH = 8
ANCHOR_ZONE = 0.6  # stamps in the last part of a page are footers' or teasers'
# How far above the body the headline may stand (captions, stamps, share bars between).
TITLE_REACH = 20
TAIL_REACH = 8  # how far below the body its closing stamps ("Published …") may stand
MIN_ARTICLE_CHARS = 400
HEADING_MAX_CHARS = 160
SHORT_DUMP_LINES = 15  # up to this many lines, a first heading-like line is the title
LANGUAGE_SAMPLE = 2000  # characters of the longest lines used to tell the language
SHORT_RUN = 4  # this many short non-sentence lines in a row are a list or a menu
DUPLICATE_REACH = 10  # a repeated standfirst or pull quote sits near its original

_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# Chinese, Japanese and Korean pack a word into one to three characters: they count
# as several for the length thresholds, which were set on European text.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
CJK_FACTOR = 3
_SENTENCE_END = re.compile(r"[.!?…。！？:;][\"'”’»)\]]*$")
_SEPARATORS = re.compile(r"\s+[|•·–—-]\s+|\s*\|\s*")

# ISO 639-1 code -> jusText stoplist name.
_ISO_LANGUAGES = dict(
    pair.split(":")
    for pair in re.findall(
        r"\S+",
        "af:Afrikaans ar:Arabic bg:Bulgarian bn:Bengali ca:Catalan cs:Czech cy:Welsh "
        "da:Danish de:German el:Greek en:English es:Spanish et:Estonian eu:Basque fa:Persian "
        "fi:Finnish fr:French ga:Irish gl:Galician he:Hebrew hi:Hindi hr:Croatian "
        "hu:Hungarian id:Indonesian is:Icelandic it:Italian ko:Korean lt:Lithuanian "
        "lv:Latvian mk:Macedonian ms:Malay nb:Norwegian_Bokmal nl:Dutch nn:Norwegian_Nynorsk "
        "no:Norwegian_Bokmal pl:Polish pt:Portuguese ro:Romanian ru:Russian sk:Slovak "
        "sl:Slovenian sr:Serbian sv:Swedish sw:Swahili ta:Tamil tl:Tagalog tr:Turkish "
        "uk:Ukrainian ur:Urdu vi:Vietnamese",
    )
)

# --- metadata line patterns --------------------------------------------------------

_UPDATED_LABEL = re.compile(
    r"^\W*(?:last\s+)?(?:updated?|modified|edited|revised|aktualisiert|geändert|stand|"
    r"mis\s+à\s+jour|modifié|actualizado|actualización|aggiornato|atualizado|"
    r"bijgewerkt|uppdaterad|opdateret|oppdatert|zaktualizowano|обновлено|güncelleme)\b",
    re.IGNORECASE,
)
_PUBLISHED_LABEL = re.compile(
    r"^\W*(?:first\s+)?(?:published|posted|released|date|dated|created|veröffentlicht|"
    r"erschienen|publié|publicado|publicada|pubblicato|gepubliceerd|publicerad|"
    r"udgivet|publisert|opublikowano|опубликовано|yayınlanma)\b",
    re.IGNORECASE,
)
# "By …", "Von …", "Reported by: …" take names directly; a bare label ("Author", "Text")
# needs its colon, or "Text Size" would name Mr Size.
_BYLINE = re.compile(
    r"^(?:(?:(?:reported|written|posted|compiled|edited|produced|story|text|words)\s+by|by|"
    r"von|par|por|di|door|av|af|écrit\s+par|escrito\s+por)\b\s*[:：\-–]?|"
    r"(?:authors?|reporter|written|text|texte|autor(?:in|a|e)?|auteur|autore)\s*[:：])"
    r"\s*(?P<names>.+)$",
    re.IGNORECASE,
)
# Where the names end: a separator, or the stamp that follows them.
_NAMES_END = re.compile(
    r"\s+[|•·–—-]\s+|\s*\|\s*|\s+(?:published|updated|posted|on|am|le|el|il)\b.*$",
    re.IGNORECASE,
)
_STAFF_BYLINE = re.compile(
    r"^by\s+(?:[^\W\d_]+\s+){0,3}(?:staff|team|desk|editors|newsroom|reporters?|"
    r"correspondents?|bureau|redaktion|rédaction|redacción)\s*$",
    re.IGNORECASE,
)
# "Posted by Jane Doe on November 19, 2019", "By Jane Doe, 24 October 2021"
_BY_THEN_DATE = re.compile(
    r"^(?P<by>.{4,80}?)(?:\s+(?:on|am|le|el|il|em|op|at)\s+|,\s*)(?P<date>[^,]*\d.*)$",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|/|\band\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b|\bи\b)\s*")
_NAME_PARTICLES = frozenset(
    re.findall(
        r"\S+", "van von der den de da di du des del della le la bin ibn al el dos das y ter ten zu"
    )
)
_ROLE_WORDS = re.compile(
    r"\b(?:staff|writer|correspondent|editor|reporter|contributor|bureau|desk|news|team|"
    r"redaktion|rédaction|redacción|agencies|agency|updated|published|min|read)\b",
    re.IGNORECASE,
)
_ID_LINE = re.compile(
    r"^(?P<label>(?:[^\W\d_]+[\s-]+){0,2}?(?:code|id|no\.?|number|nr\.?|num\.?|nummer|"
    r"numéro|número|#))\s*[:#：]?\s*#?\s*(?P<value>[A-Za-z]{0,4}[-_]?\d[\w-]{1,40})$",
    re.IGNORECASE,
)
_ID_LABEL_WORDS = re.compile(
    r"\b(?:story|article|news|post|content|doc|document|item|artikel|beitrag|nachricht|"
    r"article|nota|noticia|notizia|code|id|ref|reference)\b",
    re.IGNORECASE,
)

# --- furniture patterns ------------------------------------------------------------

# Whole-line furniture: an advert slot, a prompt or a label and nothing else.
_FURNITURE_LINE = re.compile(
    r"^\W*(?:advertisements?|advertising|advert|ads?|sponsored(?:\s+content)?|promoted|"
    r"paid\s+content|anzeige|werbung|publicité|publicidad|pubblicità|reklama|реклама|"
    r"(?:story|article)\s+continues\s+(?:below|after).*|continue\s+reading.*|"
    r"scroll\s+(?:down\s+)?to\s+continue.*|read\s+(?:the\s+)?(?:full|more|next).*|"
    r"(?:also\s+)?read(?:\s+also)?|see\s+also|related(?:\s+\w+)?|recommended(?:\s+\w+)?|"
    r"more\s+(?:from|on|in|about|stories|news)\b.*|most\s+(?:read|popular|viewed)\b.*|"
    r"trending(?:\s+now)?|top\s+stories|latest(?:\s+news)?|"
    r"(?:share|tweet|email|print|comment|save|copy\s+link|whatsapp|facebook|twitter|"
    r"linkedin|reddit|pinterest|telegram|teilen|partager|compartir|condividi|partilhar|"
    r"delen|dela)(?:\s+(?:this|on|via|article|story|link|sur|auf|en|su|em|op|på|"
    r"\w+)){0,3}|(?:follow|subscribe|sign\s+up|sign\s+in|log\s+in|register|join|download)"
    r"\b.{0,80}|newsletter.{0,60}|"
    r"skip\s+to.*|back\s+to\s+top|jump\s+to.*|menu|search|home|close|next|previous|"
    r"loading\.*|comments?\s*\(?\d*\)?|listen(?:\s+to\s+(?:this\s+)?article)?.{0,20}|"
    r"\d+\s+min(?:ute)?s?\s+read|"
    r"teilen|folgen|abonnieren|mehr\s+zum\s+thema.*|lesen\s+sie\s+(?:auch|mehr).*|"
    r"auch\s+interessant.*|weiterlesen|partager|suivre|s'abonner|lire\s+(?:aussi|la\s+suite).*|"
    r"à\s+lire\s+(?:aussi|également).*|voir\s+aussi.*|compartir|seguir|suscríbete|"
    r"lee\s+también.*|leer\s+más.*|condividi|leggi\s+anche.*|iscriviti|partilhar|"
    r"leia\s+(?:também|mais).*|delen|lees\s+ook.*)\W*$",
    re.IGNORECASE,
)
# Line openers that mark a caption, credit or prompt whatever follows.
_FURNITURE_START = re.compile(
    r"^\W*(?:images?|photos?|pictures?|pics?|foto|fotos|bild|bilder|credits?|"
    r"photograph(?:er)?|illustration|video|grafik|crédit|crédito|source|quelle|fonte|"
    r"(?:also\s+)?read|read\s+also|see\s+also|watch|listen|related|more|lesen\s+sie|"
    r"mehr|lire|voir|leer|leia|leggi|ver)(?:\s+(?:photo|foto|image|de\s+la\s+photo))?"
    r"\s*(?:\([^)]*\))?\s*[:|©]"
    r"|^\W*(?:file\s+)?(?:photo|image|picture|foto)\s+(?:by|via|courtesy|credit)\b"
    r"|^\W*\(?(?:ap|afp|reuters|getty(?:\s+images)?|dpa|epa|shutterstock|istock|"
    r"file)\s*(?:photo|images?|/|\))",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"^\W*(?:©|\(c\)\s|copyright\b)|all\s+rights\s+reserved|alle\s+rechte\s+vorbehalten|"
    r"tous\s+droits\s+réservés|todos\s+los\s+derechos\s+reservados|"
    r"tutti\s+i\s+diritti\s+riservati|todos\s+os\s+direitos\s+reservados|"
    r"may\s+not\s+be\s+(?:published|reproduced|redistributed)",
    re.IGNORECASE,
)
_COOKIES = re.compile(
    r"\bcookies?\b.{0,200}\b(?:accept|consent|use|policy|settings|agree|browser|"
    r"experience|akzeptieren|utilis|aceptar|accett)|\b(?:privacy|cookie)\s+(?:policy|"
    r"settings|notice)\b|\bterms\s+(?:of\s+(?:use|service)|and\s+conditions)\b|"
    r"\bdatenschutz|\bimpressum\b|\bmentions\s+légales\b",
    re.IGNORECASE,
)
# Headers of what follows an article: comments, related or more stories. Such a line
# ends the article unless much more article text follows it.
_COMMENTS_START = re.compile(
    r"^\W*(?:(?:top\s+rated\s+|latest\s+|reader\s+|show\s+|view\s+|\d+\s+)?"
    r"(?:comments?|responses?|replies|reactions)(?:\s+\(?\d+\)?)?(?:\s+to\b.*)?|"
    r"(?:leave|post|add|write)\s+a\s+(?:reply|comment)|join\s+the\s+(?:conversation|discussion)|"
    r"discussion|kommentare?|leserkommentare|commentaires?|réactions|comentarios?|commenti|"
    r"comentários)\W*$",
    re.IGNORECASE,
)
_SECTION_END = re.compile(
    r"^\W*(?:(?:you\s+)?(?:may|might)\s+(?:also\s+)?(?:like|enjoy|be\s+interested).*|"
    r"related(?:\s+(?:articles?|stories|posts|news|content|coverage|links|reading|topics))?|"
    r"recommended(?:\s+\w+){0,3}|more\s+(?:\S+\s*){1,4}|most\s+(?:read|popular|viewed|shared)"
    r".{0,30}|(?:read|watch|up)\s+next|trending(?:\s+\w+)?|popular(?:\s+\w+){0,2}|"
    r"top\s+stories|latest(?:\s+\w+){0,2}|mehr\s+zum\s+thema|"
    r"das\s+könnte\s+sie\s+(?:auch\s+)?interessieren|"
    r"à\s+lire\s+aussi|sur\s+le\s+même\s+sujet|noticias\s+relacionadas|"
    r"articoli\s+correlati)\W*$",
    re.IGNORECASE,
)
_SECTION_PHRASE = re.compile(
    r"^\W*(?:more\s+(?:from|on|in|about|stories|news|like\s+this)|you\s+(?:may|might)|"
    r"related|recommended|most\s|(?:read|watch|up)\s+next|top\s+stories|das\s+könnte|"
    r"à\s+lire|sur\s+le\s+même)",
    re.IGNORECASE,
)
_COMMENT_AUTHOR = re.compile(
    r"^\S.{0,70}\s(?:says|said|wrote|writes|schreibt|a\s+écrit|dice):$", re.IGNORECASE
)
_URLISH = re.compile(r"https?://|www\.|\S+@\S+\.\w|^@\w+$")
_PHOTO_CREDIT_TAIL = re.compile(
    r"[(\[](?:photo|image|picture|foto|bild|credit)[^)\]]*[)\]]\s*$"
    r"|(?:photo|image|picture|foto|bild)\s*:\s*[^.]{0,60}$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Line:
    """One non-empty line of the dump and what the passes decided about it."""

    index: int
    text: str
    chars: int
    words: int
    stop_density: float
    sentence: bool  # ends like a sentence
    cls: str = "short"  # "good", "neargood", "short", "bad"
    initial: str = "short"
    heading: bool = False
    meta: bool = False  # a metadata line (time, byline, id, title): never body
    stamp: bool = False  # a time or byline line: the article's own usually comes first
    anchor: bool = False  # the first paragraph after the headline/byline/time lines
    furniture: bool = False  # matched a furniture rule: never body, never the title
    section_end: bool = False  # a related-stories header: the article rarely goes on
    comments: bool = False  # a comments header or comment signature: the article is over


def extract_textdump(
    data: bytes, draft: ArticleDraft, options: ExtractOptions, encoding: str | None = None
) -> None:
    """Fill `draft` from a plain-text page dump: clean body plus stated metadata.

    Zone-less times stay naive here; `finish()` applies `options.default_tz`.
    """
    text = decode(data, draft.source, encoding)
    country = country_of(domain_of(draft.get("url")))
    draft.text = "\n\n".join(_extract(text, draft, country, CONFIDENCE["text"]))


def clean_lines(text: str) -> list[str]:
    """The article paragraphs of a dump, metadata and furniture removed (no draft needed)."""
    return _extract(text, ArticleDraft(source="<text>"), None, CONFIDENCE["text"])


def _extract(text: str, draft: ArticleDraft, country: str | None, confidence: float) -> list[str]:
    lines = split_lines(text)
    found = _read_metadata(lines, country)
    body = _clean(lines, draft, confidence)
    _propose_metadata(found, body, draft, confidence)
    return _drop_duplicates(body)


def split_lines(text: str) -> list[Line]:
    """Non-empty lines, spaces normalised, each measured for the classifier."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    stoplist = _stoplist_for(text)
    lines: list[Line] = []
    for raw in text.split("\n"):
        line = HORIZONTAL_SPACE.sub(" ", raw).strip()
        if line:
            lines.append(_measure(len(lines), line, stoplist))
    return lines


def _measure(index: int, text: str, stoplist: frozenset[str]) -> Line:
    words = [w.lower() for w in _WORD.findall(text)]
    if stoplist:
        density = sum(1 for w in words if w in stoplist) / len(words) if words else 0.0
    else:
        # No stoplist (unknown language, or no spaces between words): sentence-shaped
        # lines of some length stand in for "stopword-dense".
        density = 0.35 if _SENTENCE_END.search(text) and len(text) >= 40 else 0.0
    return Line(
        index=index,
        text=text,
        chars=len(text) + (CJK_FACTOR - 1) * len(_CJK.findall(text)),
        words=len(words),
        stop_density=density,
        sentence=bool(_SENTENCE_END.search(text)),
    )


def _stoplist_for(text: str) -> frozenset[str]:
    """jusText's stoplist for the dump's language, judged on its longest lines: prose,
    not menus, and a fixed small sample keeps detection cheap on long pages."""
    longest = sorted(text.split("\n"), key=len, reverse=True)
    sample: list[str] = []
    for line in longest:
        sample.append(line)
        if sum(map(len, sample)) >= LANGUAGE_SAMPLE:
            break
    detected = detect_language("\n".join(sample))
    name = _ISO_LANGUAGES.get(detected[0]) if detected else None
    return _stoplist(name) if name else frozenset()


@lru_cache(maxsize=16)
def _stoplist(name: str) -> frozenset[str]:
    import justext

    try:
        return frozenset(justext.get_stoplist(name))
    except ValueError:
        return frozenset()


# --- pass 1: metadata ---------------------------------------------------------------


Finding = tuple[int, str, TimeValue | tuple[str, ...] | str, str]


def _read_metadata(lines: list[Line], country: str | None) -> list[Finding]:
    """Find time, byline and id lines; mark them as metadata (never body)."""
    found: list[Finding] = []
    for line in lines:
        if line.chars > 160:
            continue
        items = _meta_line(line.text, country)
        if items is None:
            continue
        line.meta = True
        line.stamp = any(kind != "id" for kind, _ in items)
        found.extend((line.index, kind, value, line.text) for kind, value in items)
    return found


def _propose_metadata(
    found: list[Finding], body: list[Line], draft: ArticleDraft, confidence: float
) -> None:
    """Propose what the article's own stamps say: those just above or below the body.

    A full page carries teasers with their own bylines and times; the ones around the
    body are the article's. A dump without a body near any stamp falls back to all.
    """
    if body:
        low, high = body[0].index - TITLE_REACH, body[-1].index + TAIL_REACH
        near = [item for item in found if low <= item[0] <= high]
        found = near or found
    times: dict[str, list[TimeValue]] = {"published": [], "updated": []}
    ids: list[str] = []
    for _index, kind, value, line in found:
        if kind in times and isinstance(value, TimeValue):
            times[kind].append(value)
        elif kind == "byline" and isinstance(value, tuple):
            draft.propose("byline", value, "text", f"line: {line[:80]}", confidence)
        elif kind == "id" and isinstance(value, str) and value not in ids:
            ids.append(value)
    # Only what is stated: a page showing just "Updated …" gets no publication time.
    for kind, values in times.items():
        best = _best_time(values)
        if best is not None:
            draft.propose(kind, best, "text", f"line: {best.original[:80]}", confidence)
    if ids:
        draft.propose("publisher_ids", tuple(ids), "text", "labelled id line", confidence)


def _best_time(values: list[TimeValue]) -> TimeValue | None:
    """The most precise stated time; the first on ties (headers come before footers)."""
    order = {"second": 0, "minute": 1, "hour": 2, "day": 3, "month": 4, "year": 5}
    if not values:
        return None
    return min(values, key=lambda v: (order[v.precision], not v.zone_known))


MetaItem = tuple[str, TimeValue | tuple[str, ...] | str]


def _meta_line(text: str, country: str | None) -> list[MetaItem] | None:
    """What a metadata line states, or None when the line is not one.

    A line counts when every segment between separators ("|", "·", " - ") is a time,
    a byline, an id or a bare label, so "By Jane Doe | Updated Oct 5, 2021" is read
    whole while a sentence that mentions a date is left alone.
    """
    segments = [s.strip() for s in _SEPARATORS.split(text) if s.strip()]
    if len(segments) > 1:
        items = [_meta_segment(segment, country) for segment in segments]
        if all(item is not None for item in items):
            return [item for item in items if item is not None and item[0] != "label"]
    whole = _meta_segment(text, country)
    if whole is not None:
        return [whole] if whole[0] != "label" else []
    joined = _BY_THEN_DATE.match(text)
    if joined:
        names = byline_names(joined.group("by"))
        moment = _time_of(joined.group("date"), country)
        if names and moment:
            return [("byline", names), moment]
    return None


def _meta_segment(text: str, country: str | None) -> MetaItem | None:
    moment = _time_of(text, country)
    if moment is not None:
        return moment
    names = byline_names(text)
    if names:
        return ("byline", names)
    publisher_id = _publisher_id(text)
    if publisher_id:
        return ("id", publisher_id)
    if re.fullmatch(r"\W*(?:updated|published|posted|by|date|stand)\W*", text, re.I):
        return ("label", text)
    if _STAFF_BYLINE.match(text):
        return ("label", text)  # "By HNN Staff": a credit, but no person to name
    label = _UPDATED_LABEL.match(text) or _PUBLISHED_LABEL.match(text)
    if label and len(text) <= 40 and re.search(r"\d", text):
        return ("label", text)  # "Updated November 18 at 4:46 PM": a stamp without a year
    return None


def _time_of(text: str, country: str | None) -> MetaItem | None:
    """A time stamp line: a parseable date with at most a label around it."""
    if len(text) > 100 or not re.search(r"\d", text):
        return None
    leftover = non_date_words(text)
    label_words = {w.lower() for w in _WORD.findall(_label_of(text))}
    leftover = [w for w in leftover if w not in label_words]
    # A labelled stamp may carry the outlet's name ("Updated on: … / CBS News").
    if len(leftover) > (3 if label_words else 1):
        return None
    moment = parse_time(text, country=country)
    if moment is None:
        return None
    kind = "updated" if _UPDATED_LABEL.match(text) else "published"
    return (kind, moment)


def _label_of(text: str) -> str:
    match = _UPDATED_LABEL.match(text) or _PUBLISHED_LABEL.match(text)
    if not match:
        return ""
    rest = text[match.end() :]
    # "Last updated on:" / "Publié le" — the small words after the label belong to it.
    tail = re.match(r"\s*(?:on|at|le|am|el|il|em|op|den|the)?\s*[:：]?", rest, re.I)
    return match.group(0) + (tail.group(0) if tail else "")


def byline_names(text: str) -> tuple[str, ...]:
    """Names from a byline line ("Reported by: Bhavya Sukheja" -> ("Bhavya Sukheja",))."""
    if len(text) > 120:
        return ()
    match = _BYLINE.match(text)
    if not match:
        return ()
    if text.endswith(".") and len(text.split()) >= 8:
        return ()  # "By Monday night, the river had risen again." is a sentence
    names: list[str] = []
    described = 0
    listed = _NAMES_END.split(match.group("names"), maxsplit=1)[0]
    for position, part in enumerate(_NAME_SPLIT.split(listed)):
        name = re.sub(r"\s*\(?@\w+\)?|\S+@\S+", "", part).strip(" .:-–|")
        if agency_name(name):
            names.append(name)  # "dpa", "AP": an agency credit is a byline too
            continue
        if not name or _ROLE_WORDS.search(name):
            continue
        if not _is_name(name) or len(name.split()) < 2:
            described += sum(1 for word in name.split() if word[:1].islower())
            if position == 0 or re.search(r"\d", name) or described > 4:
                return ()
            continue  # "envoyé spécial à Moscou": a description after the names
        if name not in names:
            names.append(name)
    return tuple(names)


def _is_name(text: str) -> bool:
    tokens = text.split()
    if not 1 <= len(tokens) <= 5:
        return False
    capitalised = 0
    for token in tokens:
        if token.lower() in _NAME_PARTICLES:
            continue
        if not token[:1].isupper() or not re.fullmatch(r"[^\W\d_][\w'’.\-]*", token):
            return False
        capitalised += 1
    return capitalised >= 1


def _publisher_id(text: str) -> str | None:
    if len(text) > 60:
        return None
    match = _ID_LINE.match(text)
    if not match or not _ID_LABEL_WORDS.search(match.group("label")):
        return None
    return match.group("value")


# --- pass 2: classification -----------------------------------------------------------


def _clean(lines: list[Line], draft: ArticleDraft, confidence: float) -> list[Line]:
    """Classify, smooth, pick the main block; propose the title; the body's lines."""
    repeats = Counter(_key(line.text) for line in lines)
    for line in lines:
        _classify(line, repeats)
    _mark_anchor(lines)
    content = [line for line in lines if not line.meta]
    _smooth(content)
    kept = _main_block(content)
    if not kept:
        # No line reads as a paragraph (a short note, a pasted lead): keep all that is
        # not furniture rather than nothing; the title still comes off below.
        kept = [line for line in content if not line.furniture]
    title = _pick_title(lines, kept)
    if title is not None:
        draft.propose("title", title.text, "text", "headline line before the body", confidence)
        key = _key(title.text)
        kept = [line for line in kept if _key(line.text) != key]
    return kept


def _mark_anchor(lines: list[Line]) -> None:
    """Mark the first paragraph after the first byline or time line.

    A page's own stamps precede its article; teasers with their own stamps come later.
    The mark gives that paragraph a head start in the block search so a long list of
    teasers further down does not outweigh a short article.
    """
    reach = int(len(lines) * ANCHOR_ZONE) + 1
    start = next((line.index for line in lines[:reach] if line.stamp), None)
    if start is None:
        return
    for line in lines[start + 1 : start + 1 + ANCHOR_REACH]:
        if not line.meta and line.initial in ("good", "neargood"):
            line.anchor = True
            return


def _key(text: str) -> str:
    """A line's words, lower-cased: equal keys are the same line however punctuated."""
    return " ".join(_WORD.findall(text.lower()))


def _classify(line: Line, repeats: Counter[str]) -> None:
    """jusText's context-free class, plus text-only furniture signals."""
    line.heading = _heading_like(line)
    if line.meta:
        cls = "bad"
    elif _is_furniture(line, repeats):
        line.furniture = True
        cls = "bad"
    elif line.chars < LENGTH_LOW:
        cls = "short"
    elif line.stop_density >= STOPWORDS_HIGH:
        long_enough = line.chars > LENGTH_HIGH or (line.sentence and line.words >= 12)
        cls = "good" if long_enough else "neargood"
    elif line.stop_density >= STOPWORDS_LOW:
        cls = "neargood"
    else:
        cls = "bad"
    if cls in ("good", "neargood") and not line.sentence and _title_case(line) > 0.6:
        cls = "short"  # a long headline-like line: let context decide
    line.cls = line.initial = cls


def _is_furniture(line: Line, repeats: Counter[str]) -> bool:
    """Page chrome that length and stopwords cannot tell: labels, prompts, notices,
    captions, bare links and repeated lines. Flags comments and section headers too."""
    text = line.text
    if line.words == 0:
        return True
    if line.chars <= 80 and (_COMMENTS_START.match(text) or _COMMENT_AUTHOR.match(text)):
        line.comments = True
        return True
    if line.chars <= 80 and _SECTION_END.match(text) and _header_shaped(line):
        line.section_end = True
        return True
    if line.chars <= 120 and (_FURNITURE_LINE.match(text) or _FURNITURE_START.match(text)):
        return True
    if line.chars <= 400 and (_COPYRIGHT.search(text) or _COOKIES.search(text)):
        return True
    if (line.chars <= 80 and _URLISH.search(text)) or (" " not in text and "/" in text):
        return True
    if line.chars <= 100 and repeats[_key(text)] > 1:
        return True
    if line.chars <= 200 and _is_menu(text):
        return True
    if line.chars <= 160 and _PHOTO_CREDIT_TAIL.search(text) and not line.sentence:
        return True
    # "date 2021-10-25 0", "Comments 12", "1/5": a word or two and numbers.
    return line.chars <= 40 and line.words <= 2 and bool(re.search(r"\d", text))


_MENU_SEPARATOR = re.compile(r"\s+[|›»>/•·]\s+|\s*\|\s*")


def _is_menu(text: str) -> bool:
    """Navigation and breadcrumbs: three or more short items between separators
    ("Home | National | Korvhaven | Print edition", "News › World › Europe")."""
    items = [item for item in _MENU_SEPARATOR.split(text) if item.strip()]
    return len(items) >= 3 and all(len(item.split()) <= 3 for item in items)


def _header_shaped(line: Line) -> bool:
    """A section header ("More World", "You may also like"), not a sub-headline that
    happens to start with "More" or "Latest" ("More troops sent to the border")."""
    return line.words <= 2 or _title_case(line) >= 0.5 or bool(_SECTION_PHRASE.match(line.text))


def _heading_like(line: Line) -> bool:
    """Could be a (sub)headline: short, some words, not ending as a plain sentence."""
    if line.chars > HEADING_MAX_CHARS or line.words < 2:
        return False
    return not line.text.endswith((".", ",", ";", "…")) or line.text.endswith("...")


def _title_case(line: Line) -> float:
    """Share of capitalised words: high in menus and English headlines, low in prose."""
    words = _WORD.findall(line.text)
    if not words:
        return 0.0
    return sum(1 for w in words if w[:1].isupper()) / len(words)


def _pick_title(lines: list[Line], body: list[Line]) -> Line | None:
    """The headline: a heading-like line just before (or opening) the body that shares
    most of its words with the body. A lone first line is the title of a short dump."""
    if not body:
        return next((line for line in lines if not line.meta and _title_candidate(line)), None)
    start = body[0].index
    candidates = [line for line in lines[max(0, start - TITLE_REACH) : start] if not line.meta]
    candidates += [line for line in body[:1] if line.heading]
    best: tuple[float, Line] | None = None
    for line in candidates:
        if not _title_candidate(line):
            continue
        score = _overlap(line, body)
        if best is None or score > best[0] + 0.1:
            best = (score, line)
    if best is not None and best[0] >= 0.3:
        return best[1]
    return _lone_first_line(lines)


def _lone_first_line(lines: list[Line]) -> Line | None:
    """In a short dump (a note, a pasted story) the first line is the headline when it
    looks like one and more text follows it, whatever words it shares."""
    if len(lines) > SHORT_DUMP_LINES:
        return None
    content = [line for line in lines if not line.meta and not line.furniture]
    if len(content) < 2 or not _title_candidate(content[0]) or content[0].sentence:
        return None
    return content[0] if content[0].chars < content[1].chars else None


def _overlap(line: Line, body: list[Line]) -> float:
    """Share of the line's words found in the body's first paragraphs (not itself)."""
    words = [w.lower() for w in _WORD.findall(line.text)]
    others = [other for other in body if other is not line][:6]
    vocabulary = {w.lower() for other in others for w in _WORD.findall(other.text)}
    if not words or not vocabulary:
        return 0.0
    found = sum(1 for w in words if w in vocabulary) / len(words)
    return found * min(1.0, len(words) / 4)


def _title_candidate(line: Line) -> bool:
    """Headline-shaped: a few words, not furniture, not ending like a sentence."""
    if line.furniture or line.words < 2 or line.chars > 250:
        return False
    return not line.text.endswith((".", ",", ";", ":")) or line.text.endswith("...")


# --- context smoothing (jusText) --------------------------------------------------------


def _smooth(lines: list[Line]) -> None:
    """jusText's context pass: headings before good text rise, short lines follow context."""
    _demote_short_runs(lines)
    _promote_headings(lines, only_short=True)
    before, after = _neighbours(lines, ("good", "bad"))
    before_near, after_near = _neighbours(lines, ("good", "bad", "neargood"))
    new: dict[int, str] = {}
    for i, line in enumerate(lines):
        if line.cls != "short":
            continue
        prev, nxt = before[i], after[i]
        if prev == nxt == "good":
            new[i] = "good"
        elif prev == nxt == "bad":
            new[i] = "bad"
        elif (prev == "bad" and before_near[i] == "neargood") or (
            nxt == "bad" and after_near[i] == "neargood"
        ):
            new[i] = "good"
        else:
            new[i] = "bad"
    for i, cls in new.items():
        lines[i].cls = cls
    before, after = _neighbours(lines, ("good", "bad"))
    for i, line in enumerate(lines):
        if line.cls == "neargood":
            line.cls = "bad" if before[i] == after[i] == "bad" else "good"
    _promote_headings(lines, only_short=False)


def _demote_short_runs(lines: list[Line]) -> None:
    """A run of many short lines is a menu, a link list or a table, not prose: jusText
    would let good neighbours pull the whole run into the article."""
    run: list[Line] = []
    for line in [*lines, None]:
        if line is not None and line.cls == "short" and not line.sentence:
            run.append(line)
            continue
        if len(run) >= SHORT_RUN:
            for member in run:
                member.cls = "bad"
        run = []


def _promote_headings(lines: list[Line], *, only_short: bool) -> None:
    for i, line in enumerate(lines):
        if not line.heading:
            continue
        if only_short and line.cls != "short":
            continue
        if not only_short and not (line.cls == "bad" and line.initial != "bad"):
            continue
        distance = 0
        for follower in lines[i + 1 :]:
            if distance > MAX_HEADING_DISTANCE:
                break
            if follower.cls == "good":
                line.cls = "neargood" if only_short else "good"
                break
            distance += follower.chars


def _neighbours(lines: list[Line], accept: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """For each line, the class of the nearest line before and after it whose class is
    in `accept` ("bad" past either end): one pass each way, so long pages stay linear."""
    before: list[str] = []
    last = "bad"
    for line in lines:
        before.append(last)
        if line.cls in accept:
            last = line.cls
    after: list[str] = []
    last = "bad"
    for line in reversed(lines):
        after.append(last)
        if line.cls in accept:
            last = line.cls
    after.reverse()
    return before, after


# --- pass 3: the main block -------------------------------------------------------------


def _main_block(lines: list[Line]) -> list[Line]:
    """Good lines inside the run with the largest good-minus-bad mass (max subarray)."""
    best_sum, best = 0.0, (0, -1)
    run_sum, run_start = 0.0, 0
    for i, weight in enumerate(_weights(lines)):
        if run_sum <= 0:
            run_sum, run_start = weight, i
        else:
            run_sum += weight
        if run_sum > best_sum:
            best_sum, best = run_sum, (run_start, i)
    start, end = best
    return [line for line in lines[start : end + 1] if line.cls == "good"]


def _weights(lines: list[Line]) -> list[float]:
    """Good text weighs its length, bad lines cost; text after a comments header that
    follows some article counts for a quarter (reader comments are well-written text
    too, and often outweigh a short article)."""
    weights: list[float] = []
    seen = 0
    after_end = False
    total = max(1, len(lines))
    for i, line in enumerate(lines):
        if line.cls == "good":
            bonus = ANCHOR_BONUS if line.anchor else 0.0
            position = 1.0 - POSITION_DECAY * i / total
            factor = AFTER_END_WEIGHT if after_end else 1.0
            weights.append(line.chars * factor * position + bonus)
            seen += line.chars
        else:
            weights.append(-float(_cost(line)))
            if line.comments and seen >= MIN_ARTICLE_CHARS:
                after_end = True
    return weights


def _cost(line: Line) -> int:
    if line.comments:
        return COMMENTS_COST
    if line.section_end:
        return SECTION_END_COST
    return min(line.chars, 200) + BAD_LINE_COST


def _drop_duplicates(lines: Iterable[Line]) -> list[str]:
    """Drop a line whose text a nearby kept line already holds (a standfirst repeated
    as the lead, a pull quote), keeping the longer and the first."""
    kept = list(lines)
    keys = [_key(line.text) for line in kept]
    out: list[str] = []
    seen: set[str] = set()
    for i, line in enumerate(kept):
        key = keys[i]
        if key in seen:
            continue
        nearby = keys[max(0, i - DUPLICATE_REACH) : i + DUPLICATE_REACH + 1]
        if len(key) >= 30 and any(len(other) > len(key) and key in other for other in nearby):
            continue
        seen.add(key)
        out.append(line.text)
    return out
