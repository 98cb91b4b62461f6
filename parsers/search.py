"""Full-text search that works for Chinese queries of any length.

SQLite's FTS5 trigram tokenizer finds nothing for one or two characters, and
unicode61 reads a run of Chinese as one word. So the index holds every pair
of neighbouring characters (bigrams) as a word, and a query of n characters
becomes the phrase of its n-1 bigrams: "不予公开" -> "不予 予公 公开", which
matches exactly where the characters stand together. White space is ignored on
both sides, so a word broken over two lines of a PDF is still found. The index
splits the documents on their spaces only (FTS5's ascii tokenizer), so a bigram
with a punctuation mark in it (开。) is a word too, and a query matches what was typed.
"""

from __future__ import annotations

import operator
import re

from .textutil import fold

SPACE = re.compile(r"\s+")


def _chars(text: str) -> str:
    return _folded_chars(fold(text))


def _folded_chars(folded: str) -> str:
    return SPACE.sub("", folded).lower()


def bigram_document(text: str) -> str:
    """What the index stores for a text: its bigrams, in order, as words."""
    return bigram_document_of_folded(fold(text))


def bigram_document_of_folded(*folded_parts: str) -> str:
    """bigram_document(" ".join(parts)), given the parts already folded: a report's text is
    folded once (textutil caches it) and each section's document is made from a slice of it."""
    return _bigrams(_folded_chars("".join(folded_parts)))


def _bigrams(chars: str) -> str:
    if len(chars) < 2:
        return chars
    return " ".join(map(operator.add, chars, chars[1:])) + " " + chars[-1]


def fts_query(query: str) -> str:
    """An FTS5 query for the bigram index: every space-separated term must occur (AND)."""
    phrases = []
    for term in SPACE.split(query.strip()):
        chars = _chars(term).replace('"', "")
        if not chars:
            continue
        if len(chars) == 1:
            phrases.append(f'"{chars}"*')  # a bigram that starts with it (or the text's last character)
        else:
            phrases.append('"' + " ".join(chars[i:i + 2] for i in range(len(chars) - 1)) + '"')
    return " AND ".join(phrases) if phrases else '""'
