"""Indonesian search by word stems (Snowball's Indonesian stemmer), the same on every database."""

import re
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"\w+", re.UNICODE)
_stemmer = snowballstemmer.stemmer("indonesian")


@lru_cache(maxsize=20000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def stem_words(text: str) -> list[str]:
    """Lower-cased stems of the words of ``text``, in order, duplicates dropped."""
    return list(dict.fromkeys(_stem(w) for w in WORD.findall(text.casefold())))


def stems_column(*texts: str) -> str:
    """The stored form: stems separated and surrounded by spaces, so ' stem ' matches whole."""
    stems = stem_words(" ".join(texts))
    return f" {' '.join(stems)} " if stems else ""
