"""Search the FAQ in the caller's language and show the Japanese entry beside it.

One BM25 index per language, built once from the rendered text (placeholders filled), so a
query for "2025年12月2日" matches what the operator will read. Each document is one FAQ id;
it holds the caller-language text (question weighted highest, then keywords, then answer) and
the Japanese text at a lower weight, so an operator may type Japanese for any caller and an
entry not yet translated is still found (shown in Japanese only). The Japanese index carries the
English text at that lower weight, so a caller whose language falls back to Japanese can still
be served from an English query.

Unspaced scripts are matched by character bigrams and unigrams (:mod:`shikaku.desk.text`).
Word scripts get typo tolerance: a query word that is not in the language's vocabulary is
replaced by its closest vocabulary words (rapidfuzz ratio ≥ ``FUZZY_CUTOFF``), weighted by
similarity.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from rapidfuzz import fuzz, process

from shikaku.config import Policy
from shikaku.desk.content import SOURCE_LANG, FaqBase, render_text
from shikaku.desk.settings import DeskSettings, placeholder_values
from shikaku.desk.text import Tokens, tokenize

__all__ = ["FaqIndex", "Hit", "RenderedEntry", "SearchResult", "resolve_language"]

log = logging.getLogger(__name__)

# Field weights (term frequency multipliers) and BM25 parameters.
W_QUESTION = 3.0
W_KEYWORDS = 2.0
W_ANSWER = 1.0
W_JA_IN_OTHER = 0.5  # Japanese text inside another language's document (and English in ja)
PIVOT_LANG = "en"
UNIGRAM_QUERY_WEIGHT = 0.3  # single characters say little on their own
BM25_K1 = 1.2
BM25_B = 0.5
FUZZY_CUTOFF = 75.0
FUZZY_MIN_LEN = 4
FUZZY_LIMIT = 3

#: Common ways callers' systems write a language, mapped to the configured codes.
LANGUAGE_ALIASES: dict[str, str] = {
    "jp": "ja", "jpn": "ja", "zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans",
    "zh-hans-cn": "zh-Hans", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant",
    "fil": "tl", "in": "id", "kr": "ko", "vn": "vi", "np": "ne", "bur": "my", "mya": "my",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RenderedEntry:
    """An entry as an operator reads it: placeholders filled in the entry's language."""

    id: str
    lang: str
    category: str
    question: str
    answer: str
    review_state: str
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the entry in the caller's language (if translated) and in Japanese."""

    entry_id: str
    score: float
    entry_in_lang: RenderedEntry | None
    entry_ja: RenderedEntry


@dataclass(frozen=True, slots=True)
class SearchResult(Sequence[Hit]):
    """Hits, best first, and what language was actually searched."""

    query: str
    requested_lang: str | None
    lang: str
    hits: tuple[Hit, ...]
    fell_back: bool = False
    notice: str | None = None

    @overload
    def __getitem__(self, i: int) -> Hit: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Hit]: ...
    def __getitem__(self, i: int | slice) -> Hit | Sequence[Hit]:
        return self.hits[i]

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)


def resolve_language(code: str | None, available: Sequence[str]) -> tuple[str, bool, str | None]:
    """Map a caller's language code to a served one: (lang, fell_back, notice).

    Case-insensitive, accepts common aliases (zh-TW, fil, pt-BR…); anything unknown falls back
    to Japanese with a notice the operator can read out or display.
    """
    if not code:
        return SOURCE_LANG, False, None
    by_lower = {a.lower(): a for a in available}
    parts = code.strip().lower().replace("_", "-").split("-")
    # Longest prefix first: zh-Hant-TW → zh-hant-tw, zh-hant (found), before zh.
    for n in range(len(parts), 0, -1):
        prefix = "-".join(parts[:n])
        for candidate in (prefix, LANGUAGE_ALIASES.get(prefix, "")):
            if candidate and candidate.lower() in by_lower:
                return by_lower[candidate.lower()], False, None
    notice = (
        f"言語コード '{code}' には対応していないため、日本語で表示します / "
        f"language '{code}' is not served; showing Japanese"
    )
    return SOURCE_LANG, True, notice


class _LangIndex:
    """BM25 over one language's documents (one per FAQ id), as a dense term × doc matrix."""

    def __init__(self, docs: Sequence[Mapping[str, float]]) -> None:
        n = len(docs)
        self.n_docs = n
        vocab: dict[str, int] = {}
        t_idx: list[int] = []
        d_idx: list[int] = []
        tfs: list[float] = []
        for i, d in enumerate(docs):
            for term, tf in d.items():
                t_idx.append(vocab.setdefault(term, len(vocab)))
                d_idx.append(i)
                tfs.append(tf)
        terms = np.asarray(t_idx, dtype=np.int64)
        doc_of = np.asarray(d_idx, dtype=np.int64)
        tf_arr = np.asarray(tfs, dtype=float)
        lengths = np.bincount(doc_of, weights=tf_arr, minlength=n) if n else np.zeros(0)
        avg = float(lengths.mean()) if n and lengths.mean() > 0 else 1.0
        df = np.bincount(terms, minlength=len(vocab)).astype(float)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        norm = BM25_K1 * (1.0 - BM25_B + BM25_B * lengths[doc_of] / avg)
        weight = idf[terms] * tf_arr * (BM25_K1 + 1.0) / (tf_arr + norm)
        self.matrix = np.zeros((len(vocab), n))
        self.matrix[terms, doc_of] = weight
        self.term_row = vocab
        # Vocabulary of word tokens (not character grams) for typo tolerance.
        self.vocab_plain: list[str] = sorted(t[2:] for t in vocab if t.startswith("w:"))

    def query_terms(self, toks: Tokens) -> dict[str, float]:
        terms: dict[str, float] = {}

        def add(term: str, weight: float) -> None:
            if term in self.term_row and weight > terms.get(term, 0.0):
                terms[term] = weight

        for g in toks.bigrams:
            add("b:" + g, 1.0)
        single = len(toks.unigrams) == 1 and not toks.bigrams
        for u in toks.unigrams:
            add("u:" + u, 1.0 if single else UNIGRAM_QUERY_WEIGHT)
        for w in toks.words:
            key = "w:" + w
            if key in self.term_row:
                add(key, 1.0)
            elif len(w) >= FUZZY_MIN_LEN and self.vocab_plain:
                for match, sim, _ in process.extract(
                    w,
                    self.vocab_plain,
                    scorer=fuzz.ratio,
                    limit=FUZZY_LIMIT,
                    score_cutoff=FUZZY_CUTOFF,
                ):
                    add("w:" + match, (sim / 100.0) ** 2)
        return terms

    def score(self, terms: Mapping[str, float]) -> np.ndarray:
        rows = [self.term_row[t] for t in terms]
        weights = np.fromiter(terms.values(), dtype=float, count=len(rows))
        result: np.ndarray = weights @ self.matrix[rows]
        return result


def _term_counts(text: str, weight: float) -> dict[str, float]:
    doc: dict[str, float] = {}
    toks = tokenize(text)
    for prefix, items in (("b:", toks.bigrams), ("u:", toks.unigrams), ("w:", toks.words)):
        for item in items:
            key = prefix + item
            doc[key] = doc.get(key, 0.0) + weight
    return doc


class FaqIndex:
    """Search index over a loaded :class:`FaqBase`; build once, query many times."""

    def __init__(
        self, base: FaqBase, *, policy: Policy | None = None, desk: DeskSettings | None = None
    ) -> None:
        self.base = base
        self.ids: list[str] = sorted(
            base.source.entries, key=lambda i: (base.source.entries[i].rank or 10**6, i)
        )
        self.languages: list[str] = list(base.languages)
        self._rendered: dict[str, dict[str, RenderedEntry]] = {}
        self._index: dict[str, _LangIndex] = {}
        self._terms: dict[tuple[str, str], dict[str, float] | None] = {}
        self._render_all(policy, desk)
        for lang in self.languages:
            self._index[lang] = self._build(lang)
        self._terms.clear()
        log.info(
            "FAQ index built", extra={"languages": len(self.languages), "entries": len(self.ids)}
        )

    def _render_all(self, policy: Policy | None, desk: DeskSettings | None) -> None:
        for lang, lf in self.base.languages.items():
            values = placeholder_values(lang, policy, desk)
            self._rendered[lang] = {
                e.id: RenderedEntry(
                    id=e.id,
                    lang=lang,
                    category=e.category,
                    question=render_text(e.question, values),
                    answer=render_text(e.answer, values),
                    review_state=e.review_state,
                    stale=(lang, e.id) in self.base.stale,
                )
                for e in lf.entries.values()
            }

    def _entry_terms(self, lang: str, eid: str) -> dict[str, float] | None:
        """Weighted term counts of one entry in one language (computed once, reused by every
        language index that includes it)."""
        key = (lang, eid)
        if key not in self._terms:
            entry = self._rendered.get(lang, {}).get(eid)
            raw = (
                self.base.languages[lang].entries.get(eid) if lang in self.base.languages else None
            )
            if entry is None or raw is None:
                self._terms[key] = None
            else:
                doc: dict[str, float] = {}
                for text, weight in (
                    (entry.question, W_QUESTION),
                    (" ".join(raw.keywords), W_KEYWORDS),
                    (entry.answer, W_ANSWER),
                ):
                    for term, tf in _term_counts(text, weight).items():
                        doc[term] = doc.get(term, 0.0) + tf
                self._terms[key] = doc
        return self._terms[key]

    def _build(self, lang: str) -> _LangIndex:
        # A caller-language document also carries the Japanese text at a lower weight; the
        # Japanese one carries English (a fallback caller often types English).
        other = SOURCE_LANG if lang != SOURCE_LANG else PIVOT_LANG
        docs: list[dict[str, float]] = []
        for eid in self.ids:
            doc = dict(self._entry_terms(lang, eid) or {})
            for term, tf in (self._entry_terms(other, eid) or {}).items():
                doc[term] = doc.get(term, 0.0) + tf * W_JA_IN_OTHER
            docs.append(doc)
        return _LangIndex(docs)

    def entry(self, entry_id: str, lang: str) -> RenderedEntry | None:
        """An entry rendered in *lang*, or None when that language lacks it."""
        return self._rendered.get(lang, {}).get(entry_id)

    def search(self, query: str, lang: str | None = SOURCE_LANG, limit: int = 5) -> SearchResult:
        """Best entries for *query* in *lang*, each with its Japanese version beside it."""
        served, fell_back, notice = resolve_language(lang, self.languages)
        if notice:
            log.info("desk search language fallback", extra={"requested_lang": lang})
        index = self._index[served]
        terms = index.query_terms(tokenize(query))
        hits: list[Hit] = []
        if terms:
            scores = index.score(terms)
            # Stable order: score, then rank (ids are in rank order).
            order = sorted(range(len(self.ids)), key=lambda i: -scores[i])
            for i in order[: max(0, limit)]:
                if scores[i] <= 0.0:
                    break
                eid = self.ids[i]
                hits.append(
                    Hit(
                        entry_id=eid,
                        score=round(float(scores[i]), 4),
                        entry_in_lang=self.entry(eid, served),
                        entry_ja=self._rendered[SOURCE_LANG][eid],
                    )
                )
        return SearchResult(
            query=query,
            requested_lang=lang,
            lang=served,
            hits=tuple(hits),
            fell_back=fell_back,
            notice=notice,
        )
