"""Structured metadata a page states about itself: JSON-LD, meta tags, microdata.

Publishers declare title, authors, times with zones, language, canonical URL and their
own name in machine-readable places, and those beat any heuristic on the rendered page.
This module only *collects* what a parsed page says, each value with where it was found;
`storylens.extract.html` ranks the candidates and proposes them to the draft. Cleaning
helpers for bylines and titles live here too because they need the outlet's names.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from storylens.extract.urls import canonical_url, domain_of
from storylens.extract.wire import agency_name

__all__ = [
    "Found",
    "PageMetadata",
    "clean_byline",
    "clean_title",
    "json_ld_objects",
    "read_metadata",
]

# schema.org types that describe the article itself; anything ending in "Article" counts
# too (ReportageNewsArticle, OpinionNewsArticle, non-standard spellings alike).
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenews",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "report",
    "posting",
}
# Page-level types: used only when no article object exists.
_PAGE_TYPES = {"webpage", "itempage", "aboutpage"}
_ORG_TYPES = {"organization", "newsmediaorganization", "corporation", "ngo", "brand", "website"}
# Keys under which nested objects are other articles (lists, related items, live posts).
_SECONDARY_KEYS = {
    "itemlistelement",
    "haspart",
    "liveblogupdate",
    "relatedlink",
    "related",
    "mentions",
    "about",
    "comment",
    "review",
    "citation",
    "isbasedon",
    "workexample",
    "subjectof",
}

# Meta keys (property, name or itemprop, lower-cased), most trusted first.
TITLE_META = (
    "og:title",
    "twitter:title",
    "dc.title",
    "dcterms.title",
    "parsely-title",
    "sailthru.title",
    "headline",
    "title",
)
AUTHOR_META = (
    "author",
    "article:author",
    "og:article:author",
    "article:author_name",
    "byl",
    "byline",
    "dc.creator",
    "dcterms.creator",
    "parsely-author",
    "sailthru.author",
    "cxenseparse:author",
    "citation_author",
)
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "published_time",
    "article:published",
    "article:published_date",
    "datepublished",
    "date_published",
    "publish-date",
    "publish_date",
    "publishdate",
    "publication_date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "date",
    "article.published",
    "cxenseparse:recs:publishtime",
    "citation_publication_date",
    "rnews:datepublished",
    "original-publish-date",
    "displaydate",
    "ptime",
)
UPDATED_META = (
    "article:modified_time",
    "og:article:modified_time",
    "og:updated_time",
    "article:modified",
    "datemodified",
    "date_modified",
    "modified_time",
    "dc.date.modified",
    "dcterms.modified",
    "article.updated",
    "last-modified",
    "lastmod",
    "utime",
)
LANGUAGE_META = ("og:locale", "content-language", "dc.language", "dcterms.language", "language")
SITE_META = ("og:site_name", "application-name", "apple-mobile-web-app-title", "dc.publisher")
URL_META = ("og:url", "twitter:url")


@dataclass(frozen=True, slots=True)
class Found:
    """One value a page states, with where it stated it.

    `source` is a provenance origin ("json-ld", "meta", "html"); `detail` names the
    exact place ('meta property="og:title"'); `rank` > 0 marks a weaker place within its
    source (a page-level JSON-LD date, `<title>` against `<h1>`) and lowers confidence.
    """

    value: Any
    source: str
    detail: str
    rank: int = 0


@dataclass(slots=True)
class PageMetadata:
    """Every candidate value a page states, per field, most trusted first."""

    title: list[Found] = field(default_factory=list)
    byline: list[Found] = field(default_factory=list)  # value: tuple of raw name strings
    published: list[Found] = field(default_factory=list)  # value: the raw time string
    updated: list[Found] = field(default_factory=list)
    language: list[Found] = field(default_factory=list)
    url: list[Found] = field(default_factory=list)
    site_name: list[Found] = field(default_factory=list)
    article_body: str | None = None  # JSON-LD articleBody: a fallback body


# --------------------------------------------------------------------------- JSON-LD

_CDATA = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")


def _repair_json(text: str) -> str:
    """Drop comments and trailing commas outside strings: the common hand-written faults."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        elif ch in "}]":
            while out and out[-1].isspace():
                out.pop()
            if out and out[-1] == ",":
                out.pop()
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _decode_json_values(text: str) -> list[Any]:
    """All JSON values in a script body (some pages concatenate several)."""
    decoder = json.JSONDecoder(strict=False)
    values: list[Any] = []
    pos, n = 0, len(text)
    while pos < n:
        while pos < n and text[pos] in " \t\r\n;,":
            pos += 1
        if pos >= n:
            break
        value, pos = decoder.raw_decode(text, pos)
        values.append(value)
    return values


def _parse_json_ld(text: str) -> list[Any]:
    text = _CDATA.sub("", text.strip())
    if not text:
        return []
    try:
        return _decode_json_values(text)
    except ValueError:
        pass
    try:
        return _decode_json_values(_repair_json(text))
    except ValueError:
        return []


def json_ld_objects(tree: Any) -> list[Any]:
    """The decoded JSON-LD blocks of a page; unparseable blocks are skipped."""
    values: list[Any] = []
    for script in tree.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" in kind and script.text:
            values.extend(_parse_json_ld(script.text))
    return values


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    if isinstance(kind, str):
        return {kind.rsplit("/", 1)[-1].lower()}
    if isinstance(kind, list):
        return {k.rsplit("/", 1)[-1].lower() for k in kind if isinstance(k, str)}
    return set()


def _is_article(node: dict[str, Any]) -> bool:
    return any(t in _ARTICLE_TYPES or t.endswith("article") for t in _types(node))


@dataclass(slots=True)
class _Node:
    data: dict[str, Any]
    secondary: bool  # nested inside a list of other items
    order: int


def _walk(value: Any, secondary: bool, out: list[_Node], depth: int = 0) -> None:
    if depth > 12:
        return
    if isinstance(value, list):
        for item in value:
            _walk(item, secondary, out, depth + 1)
    elif isinstance(value, dict):
        out.append(_Node(value, secondary, len(out)))
        for key, child in value.items():
            if key != "@context" and isinstance(child, dict | list):
                _walk(child, secondary or key.lower() in _SECONDARY_KEYS, out, depth + 1)


_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});", re.IGNORECASE)


def unescape(text: str) -> str:
    """Undo HTML entities left in JSON-LD and doubly escaped attributes, one space."""
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    return " ".join(text.split())


def _text(value: Any) -> str | None:
    """A JSON-LD literal as a clean string ({"@value": ...} and one-item lists too)."""
    if isinstance(value, list):
        value = next((v for v in value if _text(v)), None)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return unescape(str(value)) or None
    return None


class _Graph:
    """All JSON-LD nodes of a page, with `@id` references resolvable."""

    def __init__(self, values: list[Any]) -> None:
        self.nodes: list[_Node] = []
        _walk(values, False, self.nodes)
        self.by_id: dict[str, dict[str, Any]] = {}
        for node in self.nodes:  # the fullest node with an @id defines it
            ref = node.data.get("@id")
            known = self.by_id.get(ref) if isinstance(ref, str) else None
            if isinstance(ref, str) and (known is None or len(node.data) > len(known)):
                self.by_id[ref] = node.data

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) <= {"@id", "@type"}:
            ref = value.get("@id")
            if isinstance(ref, str):
                return self.by_id.get(ref, value)
        return value

    def article(self, page_urls: set[str]) -> tuple[dict[str, Any], str] | None:
        """The node describing this page's article, and its type name for provenance."""
        best: tuple[int, int, dict[str, Any]] | None = None
        for node in self.nodes:
            if not _is_article(node.data):
                continue
            score = self._score(node, page_urls)
            if best is None or score > best[0]:
                best = (score, node.order, node.data)
        if best is None:
            for node in self.nodes:
                if not node.secondary and _types(node.data) & _PAGE_TYPES:
                    return node.data, _type_name(node.data)
            return None
        return best[2], _type_name(best[2])

    def _score(self, node: _Node, page_urls: set[str]) -> int:
        data = node.data
        score = -4 if node.secondary else 0
        score += sum(
            1 for key in ("headline", "datePublished", "author", "articleBody") if data.get(key)
        )
        if page_urls and _node_urls(data, self) & page_urls:
            score += 3
        return score


def _type_name(node: dict[str, Any]) -> str:
    kind = node.get("@type")
    if isinstance(kind, list):
        kind = next((k for k in kind if isinstance(k, str)), "Thing")
    return str(kind) if kind else "Thing"


def _node_urls(node: dict[str, Any], graph: _Graph) -> set[str]:
    urls: set[str] = set()
    for key in ("url", "mainEntityOfPage", "@id"):
        value = graph.resolve(node.get(key))
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if isinstance(value, str):
            canonical = canonical_url(value)
            if canonical:
                urls.add(canonical)
    return urls


def _person_names(value: Any, graph: _Graph, depth: int = 0) -> Iterator[str]:
    """Author names from a JSON-LD author value; organisations only when wire agencies."""
    if depth > 4 or value is None:
        return
    if isinstance(value, list):
        for item in value:
            yield from _person_names(item, graph, depth + 1)
        return
    value = graph.resolve(value)
    if isinstance(value, str):
        yield value
        return
    if not isinstance(value, dict):
        return
    name = _text(value.get("name"))
    if not name:
        parts = [_text(value.get(k)) for k in ("givenName", "additionalName", "familyName")]
        name = " ".join(p for p in parts if p) or None
    if not name:
        return
    if _types(value) & _ORG_TYPES and not agency_name(name):
        return
    yield name


def _read_json_ld(tree: Any, meta: PageMetadata, page_urls: set[str]) -> None:
    graph = _Graph(json_ld_objects(tree))
    picked = graph.article(page_urls)
    if picked is None:
        _site_from_graph(graph, meta)
        return
    node, kind = picked
    page_level = not _is_article(node)
    rank = 1 if page_level else 0

    def add(target: list[Found], value: Any, key: str) -> None:
        if value:
            target.append(Found(value, "json-ld", f"JSON-LD {kind}.{key}", rank))

    if not page_level:
        add(meta.title, _text(node.get("headline")) or _text(node.get("name")), "headline")
        names = tuple(_person_names(node.get("author"), graph))
        add(meta.byline, names, "author")
        body = node.get("articleBody")
        if isinstance(body, str) and body.strip():
            meta.article_body = body
    for key in ("datePublished", "dateCreated", "uploadDate"):
        add(meta.published, _text(node.get(key)), key)
    add(meta.updated, _text(node.get("dateModified")), "dateModified")
    language = node.get("inLanguage")
    if isinstance(language, dict):
        language = language.get("alternateName") or language.get("name")
    add(meta.language, _text(language), "inLanguage")
    for key in ("url", "mainEntityOfPage"):
        value = graph.resolve(node.get(key))
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if isinstance(value, str) and value.strip().startswith(("http://", "https://")):
            add(meta.url, value.strip(), key)
    publisher = graph.resolve(node.get("publisher"))
    if isinstance(publisher, list) and publisher:
        publisher = graph.resolve(publisher[0])
    if isinstance(publisher, dict):
        add(meta.site_name, _text(publisher.get("name")), "publisher.name")
    _site_from_graph(graph, meta)


def _site_from_graph(graph: _Graph, meta: PageMetadata) -> None:
    for node in graph.nodes:
        if "website" in _types(node.data) and not node.secondary:
            name = _text(node.data.get("name"))
            if name:
                meta.site_name.append(Found(name, "json-ld", "JSON-LD WebSite.name", 1))
                return


# --------------------------------------------------------------------------- meta tags


def _meta_tags(tree: Any) -> dict[str, list[tuple[str, str]]]:
    """Meta content by lower-cased key, in page order, with the attribute that named it."""
    tags: dict[str, list[tuple[str, str]]] = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if content is None or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = element.get(attr)
            if key:
                tags.setdefault(key.strip().lower(), []).append((attr, unescape(content)))
                break
    return tags


def _from_meta(tags: dict[str, list[tuple[str, str]]], keys: Iterable[str]) -> Iterator[Found]:
    """Tags in the order of `keys`; equal confidence, so the first proposed wins."""
    for key in keys:
        for attr, content in tags.get(key, ()):
            yield Found(content, "meta", f'meta {attr}="{key}"')


# --------------------------------------------------------------------------- page elements


def _element_text(element: Any) -> str:
    return " ".join(element.text_content().split())


def _microdata(tree: Any, meta: PageMetadata) -> None:
    """Microdata on visible elements (`itemprop` outside <meta>)."""
    for element in tree.xpath("//*[@itemprop][not(self::meta)]"):
        prop = (element.get("itemprop") or "").strip()
        if prop in ("datePublished", "dateModified"):
            value = element.get("datetime") or element.get("content") or _element_text(element)
            target = meta.published if prop == "datePublished" else meta.updated
            if value:
                target.append(Found(value.strip(), "html", f'itemprop="{prop}"'))
        elif prop == "author":
            names = element.xpath('.//*[@itemprop="name"]')
            value = element.get("content") or (
                _element_text(names[0]) if names else _element_text(element)
            )
            if value and len(value) < 120:
                meta.byline.append(Found((value,), "html", 'itemprop="author"'))
        elif prop == "headline":
            text = _element_text(element)
            if text:
                meta.title.append(Found(text, "html", 'itemprop="headline"'))


def _time_elements(tree: Any, meta: PageMetadata) -> None:
    """`<time datetime>`: the one marked as the publication time, else the first."""
    times = [t for t in tree.iter("time") if (t.get("datetime") or "").strip()]
    marked = [
        t
        for t in times
        if t.get("pubdate") is not None or "publish" in (t.get("class") or "").lower()
    ]
    for element in (marked or times)[:1]:
        meta.published.append(Found(element.get("datetime").strip(), "html", "<time datetime>", 1))


def _rel_author(tree: Any, meta: PageMetadata) -> None:
    names = []
    for element in tree.xpath('//a[@rel="author"]|//link[@rel="author"][@title]'):
        text = element.get("title") if element.tag == "link" else _element_text(element)
        if text and len(text) < 80 and text not in names:
            names.append(text)
    if names:
        meta.byline.append(Found(tuple(names), "html", 'rel="author"', 1))


_AUTHOR_HREF = re.compile(
    r"/(?:authors?|autor(?:en|in)?|auteurs?|autores?|autori|journalists?|reporters?|"
    r"redakteur(?:e|in)?|writers?|columnists?|byline|people|profiles?)/[^/?#]+",
    re.IGNORECASE,
)


def _author_links(tree: Any, meta: PageMetadata) -> None:
    """Links to author pages in the block around the headline (sidebars link others)."""
    heading = next(iter(tree.iter("h1")), None)
    if heading is None:
        return
    block = heading
    for _ in range(3):
        parent = block.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        block = parent
    names: list[str] = []
    for link in block.iter("a"):
        text = _element_text(link)
        href = link.get("href") or ""
        if text and len(text) < 60 and text not in names and _AUTHOR_HREF.search(href):
            names.append(text)
    if names:
        meta.byline.append(Found(tuple(names[:6]), "html", "author-page link near <h1>", 2))


def _headings(tree: Any, meta: PageMetadata) -> None:
    for element in tree.iter("h1"):
        text = _element_text(element)
        if text:
            meta.title.append(Found(text, "html", "<h1>", 1))
            break
    for element in tree.iter("title"):
        text = _element_text(element)
        if text:
            meta.title.append(Found(text, "html", "<title>", 2))
            break


def _languages(tree: Any, meta: PageMetadata) -> None:
    root = tree.getroottree().getroot()
    for attr in ("lang", "{http://www.w3.org/XML/1998/namespace}lang", "xml:lang"):
        value = root.get(attr)
        if value and value.strip():
            meta.language.append(Found(value.strip(), "html", "<html lang>", 1))
            return


def _links(tree: Any, meta: PageMetadata) -> None:
    for element in tree.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        href = (element.get("href") or "").strip()
        if "canonical" in rel and href:
            meta.url.insert(0, Found(href, "meta", 'link rel="canonical"'))
            return


# --------------------------------------------------------------------------- entry point


def read_metadata(tree: Any, page_url: str | None = None) -> PageMetadata:
    """Collect every metadata candidate a parsed page states, per field."""
    meta = PageMetadata()
    tags = _meta_tags(tree)
    _links(tree, meta)
    meta.url.extend(_from_meta(tags, URL_META))
    page_urls = {u for u in (canonical_url(f.value) for f in meta.url) if u}
    if page_url and canonical_url(page_url):
        page_urls.add(canonical_url(page_url) or "")

    structured = PageMetadata()
    _read_json_ld(tree, structured, page_urls)
    meta.article_body = structured.article_body
    for name in ("title", "byline", "published", "updated", "language", "site_name"):
        getattr(meta, name).extend(sorted(getattr(structured, name), key=lambda f: f.rank))
    meta.url.extend(structured.url)

    meta.title.extend(_from_meta(tags, TITLE_META))
    meta.byline.extend(
        Found((f.value,), f.source, f.detail, f.rank) for f in _from_meta(tags, AUTHOR_META)
    )
    meta.published.extend(_from_meta(tags, PUBLISHED_META))
    meta.updated.extend(_from_meta(tags, UPDATED_META))
    meta.language.extend(_from_meta(tags, LANGUAGE_META))
    meta.site_name.extend(_from_meta(tags, SITE_META))
    _microdata(tree, meta)
    _time_elements(tree, meta)
    _rel_author(tree, meta)
    _author_links(tree, meta)
    _headings(tree, meta)
    _languages(tree, meta)
    return meta


# --------------------------------------------------------------------------- cleaning

_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»«/]\s+|\s+::\s+|\s*\|\s*")
_NON_ALNUM = re.compile(r"[\W_]+")


def _norm(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


def outlet_keys(site_names: Iterable[str], url: str | None) -> set[str]:
    """Normalised spellings of the outlet's own name: site names and the domain."""
    keys = {_norm(name) for name in site_names if _norm(name)}
    domain = domain_of(url)
    if domain:
        keys.add(_norm(domain))
        keys.add(_norm(domain.split(".")[0]))
    keys.discard("")
    return keys


def clean_title(title: str, outlet: set[str]) -> str:
    """Drop a site-name prefix or suffix (" - BBC News", "Reuters | ") from a title."""
    title = " ".join(title.split())
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2 or not outlet:
        return title
    for index in (-1, 0):
        if _is_outlet(parts[index], outlet):
            seps = list(_TITLE_SEPARATORS.finditer(title))
            kept = (title[: seps[-1].start()] if index == -1 else title[seps[0].end() :]).strip()
            return clean_title(kept, outlet) if kept else title
    return title


def _is_outlet(part: str, outlet: set[str]) -> bool:
    key = _norm(part)
    if not key:
        return False
    if key in outlet:
        return True
    if len(part.split()) > 5:
        return False
    return any(
        (len(o) >= 3 and (key.startswith(o) or o.startswith(key)) and len(key) <= len(o) + 12)
        or (len(o) >= 5 and o in key and len(key) <= len(o) + 25)
        for o in outlet
    )


# Prefixes meaning "by" in bylines, across the languages of the news we read.
_BY_PREFIX = re.compile(
    r"^(?:(?:written|reported|posted|words|text|story|photos?)\s+by|by|von|par|por|door|av|af|"
    r"autor(?:in)?|author|texto?|from|od|от|автор|quelle|source|fonte|fuente|bron|källa|kilde)"
    r"\s*[:\-–]?\s+",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(
    r"\s*(?:[,;/|&·•+]|\s(?:and|und|y|et|e|og|och|en|i|a|ja|és|и|та|ve)\s)\s*", re.IGNORECASE
)
_ROLE_WORDS = re.compile(
    r"\b(?:staff|desk|newsroom|editorial|editors?|reporters?|correspondents?|writers?|"
    r"journalists?|columnist|contributors?|contributing|producer|photographer|analyst|"
    r"redaktion|redakteur(?:in)?|korrespondent(?:in)?|rédaction|redacción|redazione|redakcja|"
    r"team|admin(?:istrator)?|anonymous|unknown|guest|agencies|agency|online|news|"
    r"wires?|press|media|bureau|service|senior|chief|special|red|agenturen|agences|agencias|"
    r"agenzie|nachrichten|noticias|nouvelles|notizie|kontakt|contact|impressum|imprint|"
    r"startseite|homepage|home|login)\b|admin",
    re.IGNORECASE,
)
# A date glued to a byline loses its digits upstream and leaves the month behind.
_TRAILING_MONTH = re.compile(
    r"\s+(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?$",
    re.IGNORECASE,
)
# "Capital Von Jemima Kelly": a brand, then the by-word, then the name.
_INNER_BY = re.compile(
    r"^.+?\s(?:Von|VON|By|BY|Par|Por)\s+(?!(?:der|den|dem|zu|und|Der|Den|Dem|Zu)\b)(\S+\s\S+.*)$"
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_HANDLE = re.compile(r"(?:^|\s)@\w+")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def clean_byline(raw: Iterable[str], outlet: set[str]) -> tuple[str, ...]:
    """Person names from raw author strings: split, strip "By", drop the outlet and roles.

    Wire agencies stay (they are credits, and `detect_wire` reads them from the byline);
    the outlet's own name, desks and job titles go, because they are not people.
    """
    names: list[str] = []
    seen: set[str] = set()
    for text in raw:
        for part in _split_names(text):
            name = _clean_name(part, outlet)
            if name and name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
    return tuple(names)


def _is_outlet_name(name: str, outlet: set[str]) -> bool:
    """The outlet's name, or one word of it ("Beachbody" for "The Beachbody Blog")."""
    key = _norm(name)
    if key in outlet:
        return True
    if " " in name or len(key) < 3:
        return False
    return any(
        o.removeprefix("the").startswith(key) or (key.startswith(o) and len(o) >= 4) for o in outlet
    )


def _split_names(text: str) -> list[str]:
    text = " ".join(text.split())
    if text.lower().startswith(("http://", "https://", "www.")):
        return []
    text = _EMAIL.sub(" ", text)
    text = _BY_PREFIX.sub("", text)
    return [part for part in _NAME_SPLIT.split(text) if part]


def _clean_name(name: str, outlet: set[str]) -> str | None:
    name = _HANDLE.sub(" ", _BRACKETS.sub(" ", name))
    name = _BY_PREFIX.sub("", name.strip(" \t-–—:.*·"))
    name = " ".join(name.split()).strip(" -–—:,.")
    inner = _INNER_BY.match(name)
    if inner:
        name = inner.group(1)
    if " " in name:
        name = _TRAILING_MONTH.sub("", name)
    if not name or len(name) > 60 or any(ch.isdigit() for ch in name):
        return None
    if name.lower().startswith(("http", "www.")) or "/" in name:
        return None
    if agency_name(name):
        return name
    if _is_outlet_name(name, outlet) or _ROLE_WORDS.search(name):
        return None
    words = name.split()
    if len(words) > 5 or not any(ch.isalpha() for ch in name):
        return None
    if name.isupper() and len(name) > 3:
        name = name.title()
    return name
