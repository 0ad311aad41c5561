"""Okapi BM25 over the evidence base, with bilingual concept tokens (numpy only).

Robertson S, Zaragoza H. The probabilistic relevance framework: BM25 and beyond. Found Trends
Inf Retr 2009;3(4):333-389, eq. 3.24: for query terms t,
``score(d) = Σ idf(t) · tf(t,d)·(k1+1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))`` with
``idf(t) = ln(1 + (N − n(t) + 0.5)/(n(t) + 0.5))`` (the non-negative variant Lucene uses),
k1 = 1.2, b = 0.75. Documents and queries are tokenised by ``text.tokenize`` with the lexicon,
so a Chinese claim and an English abstract share concept tokens (``§fracture``).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from evisynth.claims.lexicon import TERMS
from evisynth.claims.text import tokenize


class BM25:
    """``BM25(k1, b).fit(documents)``; ``scores(query)`` is one float per document."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b

    def fit(self, documents: list[str]) -> BM25:
        docs = [Counter(tokenize(d, TERMS)) for d in documents]
        vocab = sorted({t for d in docs for t in d})
        self.index_ = {t: i for i, t in enumerate(vocab)}
        tf = np.zeros((len(docs), len(vocab)))
        for i, d in enumerate(docs):
            for t, c in d.items():
                tf[i, self.index_[t]] = c
        self.tf_ = tf
        lengths = tf.sum(axis=1)
        self.norm_ = self.k1 * (1 - self.b + self.b * lengths / max(float(lengths.mean()), 1e-9))
        n_t = (tf > 0).sum(axis=0)
        self.idf_ = np.log(1 + (len(docs) - n_t + 0.5) / (n_t + 0.5))
        return self

    def scores(self, query: str) -> np.ndarray:
        cols = [self.index_[t] for t in tokenize(query, TERMS) if t in self.index_]
        if not cols:
            return np.zeros(self.tf_.shape[0])
        tf = self.tf_[:, cols]
        out: np.ndarray = (self.idf_[cols] * tf * (self.k1 + 1) / (tf + self.norm_[:, None])).sum(axis=1)
        return out
