"""The learned comment backend: small per-language linear models over hashed n-grams.

``LearnedAnalyser`` implements ``CommentAnalyser`` (comments.py) and is the default
backend whenever its weights ship (``data/model/<lang>.npz``); without them,
``LexiconAnalyser`` is used, and so it is for a language whose file is missing.

Features of one comment (``Featuriser``), all from the tokens of sentiment.py
(``tokenise``: NFC, lower case, elisions split), folded (``fold``: accents and other
combining marks removed, ``ё`` → ``е``, runs of three or more of one letter cut to two,
so "perche"/"perché" and "soooo"/"soo" meet):

- word unigrams (``w:<token>``; punctuation, emoji and emoticons included), word bigrams
  (``b:<token> <token>``) and, with ``negation`` on, ``n:<token>`` for the words up to
  ``NEGATION_SCOPE`` after a negator of the lexicon's rules;
- character n-grams (``c:<gram>``, ``char_min``..``char_max``) of every word padded
  with one space each side, never across words: inflected Italian, Spanish, Russian
  and Danish forms share their stems;
- each feature string is hashed with ``zlib.crc32`` of its UTF-8 bytes, keeping the low
  ``bits`` bits (2^18 buckets): stable across processes and machines (Python's
  ``hash`` is salted and would not be). Word and character blocks are each weighted
  ``1 + log(count)`` and scaled to unit length;
- dense features from the lexicon backend (``DENSE_FEATURES``): its score, valence
  sums, predicted label, counts of negators, contrasts, suggestions…, ``?`` and ``!``
  counts, length, and which topics its keyword rules find.

Models (trained by ``regulars.text.training``, which needs scipy; this module needs
numpy only): multinomial logistic regression for sentiment (score = p(positive) −
p(negative), label = most probable class) and one-vs-rest logistic regression per
topic, each with its threshold chosen by cross-validation. A topic with too few
training examples to learn is taken from the lexicon's keyword rules instead
(``learned`` is false for it in the weights file). Topics complained about
(``negative_topics``): those the lexicon finds in a negative clause, plus, in a
negative comment, those the lexicon does not find at all.

Weights file per language (``numpy.savez_compressed``, float32, only the buckets seen
in training): ``buckets`` (uint32), ``weights`` (buckets × 15: three sentiment classes
then the twelve topics), ``dense`` (dense features × 15), ``bias`` (15), ``thresholds``
(12), ``learned`` (12, bool), ``config`` (JSON of ``FeatureConfig``). Loaded once per
process per language, lazily and under a lock.

Re-training: ``.venv/bin/python scripts/train_comment_model.py`` reads the labelled
comments (bench/data/comments/dev and dev_more, data/train/{a,b,c}_<lang>.jsonl),
chooses hyper-parameters by grouped cross-validation, and writes ``data/model/``
(weights and ``metadata.json`` with the data sizes and cross-validated figures).
Deterministic: the same data give the same weights.

No Django here (see ARCHITECTURE.md).
"""

from __future__ import annotations

import json
import math
import threading
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from .comments import CommentAnalysis, LexiconAnalyser
from .sentiment import CLAUSE_END, Label, Sentiment, score_sentiment
from .topics import TOPICS, TopicHits, find_topics

__all__ = [
    "DENSE_FEATURES",
    "LANGUAGES",
    "MODEL_DIR",
    "SENTIMENT_LABELS",
    "FeatureConfig",
    "Features",
    "Featuriser",
    "LanguageModel",
    "LearnedAnalyser",
    "bucket",
    "fold",
    "read_model",
    "weights_present",
    "write_model",
]

MODEL_DIR: Final = Path(__file__).resolve().parent / "data" / "model"
LANGUAGES: Final[tuple[str, ...]] = ("en", "it", "da", "ru", "es")
SENTIMENT_LABELS: Final[tuple[Label, ...]] = ("positive", "neutral", "negative")
NEGATION_SCOPE: Final = 3
# Tokens whose folded form and buckets are remembered (per model); cleared when full.
_CACHE_LIMIT: Final = 200_000

Matrix = npt.NDArray[np.float64]

DENSE_FEATURES: Final[tuple[str, ...]] = (
    "lexicon_score",
    "lexicon_total",
    "lexicon_positive",
    "lexicon_negative",
    "lexicon_label_positive",
    "lexicon_label_neutral",
    "lexicon_label_negative",
    "no_opinion_word",
    "negators",
    "modifiers",
    "contrasts",
    "concessions",
    "balances",
    "suggestions",
    "question_marks",
    "exclamation_marks",
    "length",
    *(f"lexicon_topic_{topic}" for topic in TOPICS),
)


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """What the featuriser extracts (stored with the weights)."""

    bits: int = 18
    char_min: int = 2
    char_max: int = 5
    bigrams: bool = True
    negation: bool = True
    char_weight: float = 1.0

    def to_json(self) -> dict[str, int | float | bool]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, int | float | bool]) -> FeatureConfig:
        return cls(
            bits=int(raw["bits"]),
            char_min=int(raw["char_min"]),
            char_max=int(raw["char_max"]),
            bigrams=bool(raw["bigrams"]),
            negation=bool(raw["negation"]),
            char_weight=float(raw["char_weight"]),
        )


def bucket(feature: str, bits: int = 18) -> int:
    """The hash bucket of a feature string: low ``bits`` bits of CRC-32 of its UTF-8."""
    return zlib.crc32(feature.encode("utf-8")) & ((1 << bits) - 1)


def fold(token: str) -> str:
    """``token`` without accents and other combining marks, ``ё`` → ``е``, long runs cut."""
    if not token.isascii():
        decomposed = unicodedata.normalize("NFD", token.replace("ё", "е"))
        token = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    out: list[str] = []
    for ch in token:
        if len(out) >= 2 and out[-1] == ch and out[-2] == ch:
            continue
        out.append(ch)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Features:
    """One comment's features, and the lexicon's own analysis (reused for fallbacks)."""

    indices: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    dense: npt.NDArray[np.float64]
    sentiment: Sentiment
    hits: TopicHits


def _weighted(keys: list[int], scale: float) -> tuple[npt.NDArray[np.int64], Matrix]:
    """Distinct ``keys`` and their weights ``1 + log(count)``, scaled to length ``scale``."""
    unique, counts = np.unique(np.array(keys, dtype=np.int64), return_counts=True)
    values = 1.0 + np.log(counts)
    norm = float(np.sqrt(values @ values)) if len(values) else 0.0
    return unique, (values * (scale / norm) if norm else values)


class Featuriser:
    """Turns a comment into ``Features`` under one ``FeatureConfig``. Thread-safe."""

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        self._mask = (1 << config.bits) - 1
        self._words: dict[str, tuple[str, int, tuple[int, ...]]] = {}

    def _hash(self, feature: str) -> int:
        return zlib.crc32(feature.encode("utf-8")) & self._mask

    def _word(self, token: str) -> tuple[str, int, tuple[int, ...]]:
        """The folded token, its unigram bucket and its character n-gram buckets."""
        cached = self._words.get(token)
        if cached is None:
            folded = fold(token) or token
            grams: tuple[int, ...] = ()
            if folded[0].isalpha():
                padded = f" {folded} "
                grams = tuple(
                    self._hash("c:" + padded[i : i + n])
                    for n in range(self.config.char_min, self.config.char_max + 1)
                    for i in range(len(padded) - n + 1)
                )
            cached = (folded, self._hash("w:" + folded), grams)
            if len(self._words) >= _CACHE_LIMIT:
                self._words = {}
            self._words[token] = cached
        return cached

    def features(self, text: str, language: str) -> Features:
        sentiment = score_sentiment(text, language)
        hits = find_topics(sentiment, language)
        tokens = sentiment.tokens
        folded: list[str] = []
        words: list[int] = []
        chars: list[int] = []
        for token in tokens:
            form, key, grams = self._word(token)
            folded.append(form)
            words.append(key)
            chars.extend(grams)
        if self.config.bigrams:
            words.extend(self._hash(f"b:{first} {second}") for first, second in pairwise(folded))
        if self.config.negation:
            negators = [i for i, kind in sentiment.rules if kind == "negator"]
            words.extend(self._negated(tokens, folded, negators))
        word_keys, word_values = _weighted(words, 1.0)
        char_keys, char_values = _weighted(chars, self.config.char_weight)
        return Features(
            indices=np.concatenate([word_keys, char_keys]),
            values=np.concatenate([word_values, char_values]),
            dense=_dense(sentiment, hits),
            sentiment=sentiment,
            hits=hits,
        )

    def _negated(
        self, tokens: Sequence[str], folded: Sequence[str], negators: Sequence[int]
    ) -> list[int]:
        """``n:`` features for the words following a negator, within its clause."""
        keys: list[int] = []
        for start in negators:
            for i in range(start + 1, min(start + 1 + NEGATION_SCOPE, len(tokens))):
                if tokens[i] in CLAUSE_END:
                    break
                keys.append(self._hash("n:" + folded[i]))
        return keys


def _dense(sentiment: Sentiment, hits: TopicHits) -> Matrix:
    counts: dict[str, int] = {}
    for _, kind in sentiment.rules:
        counts[kind] = counts.get(kind, 0) + 1
    clauses = [v for _, _, v in sentiment.clauses]
    positive = sum(v for v in clauses if v > 0)
    negative = -sum(v for v in clauses if v < 0)
    tokens = sentiment.tokens
    n_words = sum(1 for t in tokens if t[0].isalpha())

    def capped(n: int) -> float:
        return min(n, 3) / 3

    values = [
        sentiment.score,
        math.tanh(sentiment.total / 4),
        math.tanh(positive / 4),
        math.tanh(negative / 4),
        float(sentiment.label == "positive"),
        float(sentiment.label == "neutral"),
        float(sentiment.label == "negative"),
        float(not any(clauses)),
        capped(counts.get("negator", 0)),
        capped(counts.get("modifier", 0)),
        capped(counts.get("contrast", 0)),
        capped(counts.get("concession", 0)),
        capped(counts.get("balance", 0)),
        capped(counts.get("suggestion", 0)),
        capped(tokens.count("?")),
        capped(tokens.count("!")),
        math.log1p(n_words) / 4,
        *(float(topic in hits.topics) for topic in TOPICS),
    ]
    return np.array(values, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class LanguageModel:
    """One language's weights (see the module docstring for the layout)."""

    config: FeatureConfig
    buckets: npt.NDArray[np.uint32]
    weights: npt.NDArray[np.float32]
    dense: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]
    thresholds: npt.NDArray[np.float32]
    learned: npt.NDArray[np.bool_]


def write_model(model: LanguageModel, path: Path) -> None:
    """Save ``model`` as a compressed ``.npz`` (float32)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(
            handle,
            buckets=model.buckets.astype(np.uint32),
            weights=model.weights.astype(np.float32),
            dense=model.dense.astype(np.float32),
            bias=model.bias.astype(np.float32),
            thresholds=model.thresholds.astype(np.float32),
            learned=model.learned.astype(np.bool_),
            config=np.array(json.dumps(model.config.to_json(), sort_keys=True)),
        )


def read_model(path: Path) -> LanguageModel:
    with np.load(path, allow_pickle=False) as data:
        return LanguageModel(
            config=FeatureConfig.from_json(json.loads(str(data["config"]))),
            buckets=data["buckets"].astype(np.uint32),
            weights=data["weights"].astype(np.float32),
            dense=data["dense"].astype(np.float32),
            bias=data["bias"].astype(np.float32),
            thresholds=data["thresholds"].astype(np.float32),
            learned=data["learned"].astype(np.bool_),
        )


class _Predictor:
    """A loaded model ready to score: bucket → row lookup, weights as float64."""

    def __init__(self, model: LanguageModel) -> None:
        n_classes = len(SENTIMENT_LABELS)
        if model.weights.shape[1] != n_classes + len(TOPICS):
            raise ValueError("weights do not have one column per class and topic")
        if model.dense.shape[0] != len(DENSE_FEATURES):
            raise ValueError("weights were trained on other dense features")
        self.featuriser = Featuriser(model.config)
        self.row_of = np.full(1 << model.config.bits, -1, dtype=np.int64)
        self.row_of[model.buckets.astype(np.int64)] = np.arange(len(model.buckets))
        self.weights = model.weights.astype(np.float64)
        self.dense = model.dense.astype(np.float64)
        self.bias = model.bias.astype(np.float64)
        thresholds = model.thresholds.astype(np.float64)
        self.cuts: list[float] = np.log(thresholds / (1 - thresholds)).tolist()
        self.learned = model.learned.astype(bool)

    def logits(self, features: Features) -> npt.NDArray[np.float64]:
        rows = self.row_of[features.indices]
        known = rows >= 0
        z: npt.NDArray[np.float64] = features.values[known] @ self.weights[rows[known]]
        return z + features.dense @ self.dense + self.bias


def weights_present(model_dir: Path = MODEL_DIR) -> bool:
    """Whether any language's weights are in ``model_dir``."""
    return any((model_dir / f"{lang}.npz").is_file() for lang in LANGUAGES)


class LearnedAnalyser:
    """The learned backend. Loads each language's weights on first use (thread-safe).

    A language without weights (or one we do not serve, analysed as English, as the
    lexicon does) falls back to ``LexiconAnalyser``.
    """

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self._dir = model_dir
        self._lock = threading.Lock()
        self._predictors: dict[str, _Predictor | None] = {}
        self._lexicon = LexiconAnalyser()

    def _predictor(self, language: str) -> _Predictor | None:
        if language not in LANGUAGES:
            language = "en"
        try:
            return self._predictors[language]
        except KeyError:
            pass
        with self._lock:
            if language not in self._predictors:
                path = self._dir / f"{language}.npz"
                self._predictors[language] = (
                    _Predictor(read_model(path)) if path.is_file() else None
                )
            return self._predictors[language]

    def load(self) -> None:
        """Load every language's weights now (e.g. at start-up) instead of on first use."""
        for language in LANGUAGES:
            self._predictor(language)

    def analyse(self, text: str, language: str) -> CommentAnalysis:
        predictor = self._predictor(language)
        if predictor is None:
            return self._lexicon.analyse(text, language)
        model_language = language if language in LANGUAGES else "en"
        features = predictor.featuriser.features(text, model_language)
        if not features.sentiment.tokens:
            return self._lexicon.analyse(text, language)
        z = predictor.logits(features).tolist()
        n_classes = len(SENTIMENT_LABELS)
        top = max(z[:n_classes])
        exp = [math.exp(v - top) for v in z[:n_classes]]
        best = exp.index(max(exp))
        label = SENTIMENT_LABELS[best]
        score = max(-1.0, min(1.0, (exp[0] - exp[2]) / sum(exp)))
        # logit > logit(threshold) is p > threshold without computing the sigmoid.
        chosen = [v > cut for v, cut in zip(z[n_classes:], predictor.cuts, strict=True)]
        lexicon_topics = set(features.hits.topics)
        topics = tuple(
            topic
            for i, topic in enumerate(TOPICS)
            if (chosen[i] if predictor.learned[i] else topic in lexicon_topics)
        )
        complained = set(features.hits.negative)
        negative = tuple(
            t
            for t in topics
            if t in complained or (label == "negative" and t not in lexicon_topics)
        )
        return CommentAnalysis(
            language=language,
            sentiment=label,
            score=score,
            topics=topics,
            negative_topics=negative,
        )

    def analyse_many(self, items: Iterable[tuple[str, str]]) -> list[CommentAnalysis]:
        return [self.analyse(text, language) for text, language in items]
