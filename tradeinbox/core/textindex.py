"""Tokens for full-text search, the same on SQLite FTS5 and PostgreSQL.

Chinese and Japanese are written without spaces, so a word tokenizer sees a whole
sentence as one token. We rewrite every run of CJK characters as its overlapping
character bigrams ("报价单" -> "报价 价单"), the classic CJK indexing scheme
(Lucene's CJKBigramFilter). A two-character query is then one token and a longer
one a phrase of bigrams; Latin text is left to the database's unicode tokenizer.
"""

from __future__ import annotations

import re

# Han (incl. extension A and compatibility), Hiragana, Katakana, Hangul syllables.
_CJK_RUN = re.compile(
    r"[\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+"
)
_WORD = re.compile(r"\w+", re.UNICODE)


def _bigrams(match: re.Match[str]) -> str:
    run = match.group(0)
    if len(run) == 1:
        return f" {run} "
    return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "


def index_text(text: str) -> str:
    """The text as it is handed to the full-text index."""
    if not text or text.isascii():  # isascii is a flag check; the regex walks the text
        return text or ""
    return _CJK_RUN.sub(_bigrams, text)


def query_tokens(term: str) -> list[str]:
    """The index tokens a user's search term must match, in order.

    ``"报价单"`` -> ``["报价", "价单"]``; ``"john.smith@buyer.com"`` ->
    ``["john", "smith", "buyer", "com"]``. Tokens are lower-cased like the index.
    """
    return [token.lower() for token in _WORD.findall(index_text(term))]


def is_cjk(token: str) -> bool:
    return bool(_CJK_RUN.fullmatch(token))
