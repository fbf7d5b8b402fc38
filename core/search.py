"""Text search that works for Chinese: CJK runs become overlapping bigrams (and single
characters), so a word-based index (PostgreSQL ``simple``, SQLite FTS5) can match them."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+")
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 32


def _grams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _tokens(text: str, with_unigrams: bool) -> list[str]:
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        pos = 0
        for m in _CJK.finditer(word):
            if m.start() > pos:
                out.append(word[pos : m.start()])
            run = m.group()
            out.extend(_grams(run))
            if with_unigrams and len(run) > 1:
                out.extend(run)
            pos = m.end()
        if pos < len(word):
            out.append(word[pos:])
    return out


def index_text(*parts: str | None) -> str:
    """The search column's text: words as they are, CJK as bigrams plus single characters."""
    return " ".join(_tokens(" ".join(p for p in parts if p), with_unigrams=True))


def query_terms(query: str) -> list[str]:
    """The terms a query must all match (bigrams for CJK; a lone character as itself)."""
    seen: dict[str, None] = {}
    for token in _tokens(query, with_unigrams=False):
        seen.setdefault(token, None)
    return list(seen)[:MAX_QUERY_TERMS]
