"""Training and cross-validating the learned comment models (learned.py).

Used by ``scripts/train_comment_model.py`` and the tests; never at run time (the
analyser needs only numpy and the weights file). Needs scipy: sparse matrices and
L-BFGS.

- ``fit_sentiment``: multinomial logistic regression (softmax) over the three labels,
  class-balanced sample weights, L2 penalty ``l2 / 2 · ‖W‖²`` on a weighted mean loss
  (the bias is not penalised), full-batch L-BFGS from zero weights.
- ``fit_topics``: one logistic regression per topic (one-vs-rest), each with balanced
  weights for its positives and negatives, same penalty and optimiser; a topic with
  fewer than ``MIN_TOPIC_EXAMPLES`` positives is not learned (the lexicon's rules
  answer for it).
- Hashed features seen in fewer than ``MIN_DOCUMENT_FREQUENCY`` training comments are
  dropped (they cannot generalise, and they would fill the weights file).
- ``cross_validate``: out-of-fold probabilities, leave-one-group-out when there are at
  least three groups (authors), otherwise ``FALLBACK_FOLDS``-fold with a fixed seed.
- ``choose_thresholds``: per topic, the probability threshold that maximises its
  out-of-fold F1, for topics with at least ``MIN_TOPIC_FOR_OWN_THRESHOLD`` positives;
  the others share one global threshold (the one maximising their macro-F1).

Everything is deterministic: no random initialisation, fixed seeds for fold shuffles.
No Django here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import numpy as np
import numpy.typing as npt
from scipy import optimize, sparse  # type: ignore[import-untyped]

from .learned import (
    DENSE_FEATURES,
    SENTIMENT_LABELS,
    FeatureConfig,
    Featuriser,
    LanguageModel,
)
from .sentiment import Label
from .topics import TOPICS

__all__ = [
    "Dataset",
    "Example",
    "build_dataset",
    "choose_thresholds",
    "cross_validate",
    "fit_model",
    "folds_for",
    "sentiment_macro_f1",
    "topic_macro_f1",
]

MIN_TOPIC_EXAMPLES: Final = 8
MIN_DOCUMENT_FREQUENCY: Final = 2
MIN_TOPIC_FOR_OWN_THRESHOLD: Final = 25
FALLBACK_FOLDS: Final = 5
SEED: Final = 20261207
MAX_ITERATIONS: Final = 400
THRESHOLD_GRID: Final = tuple(round(0.1 + 0.025 * i, 3) for i in range(33))  # 0.1 … 0.9

Matrix = npt.NDArray[np.float64]
SparseMatrix = Any  # scipy.sparse.csr_matrix (scipy ships no type information)


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    sentiment: Label
    topics: frozenset[str]
    group: str = ""


@dataclass(frozen=True)
class Dataset:
    """Featurised examples of one language: sparse hashed features with the dense ones
    appended as the last columns, labels, and the lexicon's own predictions."""

    config: FeatureConfig
    x: SparseMatrix  # n × (2^bits + dense)
    sentiment: npt.NDArray[np.int64]  # index into SENTIMENT_LABELS
    topics: npt.NDArray[np.float64]  # n × 12, 0/1
    lexicon_sentiment: npt.NDArray[np.int64]
    lexicon_topics: npt.NDArray[np.bool_]
    groups: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.groups)


def build_dataset(examples: Sequence[Example], language: str, config: FeatureConfig) -> Dataset:
    featuriser = Featuriser(config)
    width = (1 << config.bits) + len(DENSE_FEATURES)
    offset = 1 << config.bits
    indptr = [0]
    indices: list[npt.NDArray[np.int64]] = []
    values: list[npt.NDArray[np.float64]] = []
    lexicon_sentiment: list[int] = []
    lexicon_topics: list[list[bool]] = []
    dense_columns = np.arange(len(DENSE_FEATURES), dtype=np.int64) + offset
    for example in examples:
        f = featuriser.features(example.text, language)
        indices += [f.indices, dense_columns]
        values += [f.values, f.dense]
        indptr.append(indptr[-1] + len(f.indices) + len(dense_columns))
        lexicon_sentiment.append(SENTIMENT_LABELS.index(f.sentiment.label))
        lexicon_topics.append([t in f.hits.topics for t in TOPICS])
    x = sparse.csr_matrix(
        (np.concatenate(values), np.concatenate(indices), np.array(indptr)),
        shape=(len(examples), width),
    )
    x.sum_duplicates()
    return Dataset(
        config=config,
        x=x,
        sentiment=np.array([SENTIMENT_LABELS.index(e.sentiment) for e in examples]),
        topics=np.array([[t in e.topics for t in TOPICS] for e in examples], dtype=np.float64),
        lexicon_sentiment=np.array(lexicon_sentiment, dtype=np.int64),
        lexicon_topics=np.array(lexicon_topics, dtype=np.bool_).reshape(-1, len(TOPICS)),
        groups=tuple(e.group for e in examples),
    )


def _minimise(
    objective: Callable[[Matrix], tuple[float, Matrix]], size: int
) -> npt.NDArray[np.float64]:
    result = optimize.minimize(
        objective,
        np.zeros(size),
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": MAX_ITERATIONS, "gtol": 1e-6},
    )
    return cast(npt.NDArray[np.float64], np.asarray(result.x, dtype=np.float64))


def _softmax(
    x: SparseMatrix, y: npt.NDArray[np.int64], l2: float
) -> tuple[Matrix, npt.NDArray[np.float64]]:
    """Weights (columns × classes) and bias of a class-balanced softmax regression."""
    k = len(SENTIMENT_LABELS)
    n, d = cast(tuple[int, int], x.shape)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    counts = onehot.sum(axis=0)
    present = counts > 0
    class_weight = np.where(present, n / (present.sum() * np.maximum(counts, 1)), 0.0)
    sample = (onehot @ class_weight) / n
    xt = x.T.tocsr()

    def objective(params: Matrix) -> tuple[float, Matrix]:
        w = params[: d * k].reshape(d, k)
        b = params[d * k :]
        z = np.asarray(x @ w) + b
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -float((sample * (onehot * log_p).sum(axis=1)).sum()) + 0.5 * l2 * float(
            (w * w).sum()
        )
        g = sample[:, None] * (np.exp(log_p) - onehot)
        grad_w = np.asarray(xt @ g) + l2 * w
        return loss, np.concatenate([grad_w.ravel(), g.sum(axis=0)])

    params = _minimise(objective, d * k + k)
    return params[: d * k].reshape(d, k), params[d * k :]


def _one_vs_rest(
    x: SparseMatrix, y: Matrix, l2: float, learn: npt.NDArray[np.bool_]
) -> tuple[Matrix, npt.NDArray[np.float64]]:
    """Weights (columns × topics) and bias of balanced logistic regressions, one per topic."""
    n, d = cast(tuple[int, int], x.shape)
    t = y.shape[1]
    positives = y.sum(axis=0)
    negatives = n - positives
    pos_weight = np.where(learn, 0.5 / np.maximum(positives, 1), 0.0)
    neg_weight = np.where(learn, 0.5 / np.maximum(negatives, 1), 0.0)
    sample = y * pos_weight + (1 - y) * neg_weight
    sign = 2 * y - 1
    xt = x.T.tocsr()

    def objective(params: Matrix) -> tuple[float, Matrix]:
        w = params[: d * t].reshape(d, t)
        b = params[d * t :]
        z = np.asarray(x @ w) + b
        loss = float((sample * np.logaddexp(0.0, -sign * z)).sum()) + 0.5 * l2 * float(
            (w * w).sum()
        )
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        g = sample * (p - y)
        grad_w = np.asarray(xt @ g) + l2 * w
        return loss, np.concatenate([grad_w.ravel(), g.sum(axis=0)])

    params = _minimise(objective, d * t + t)
    return params[: d * t].reshape(d, t), params[d * t :]


@dataclass(frozen=True)
class Fitted:
    """A trained model over the columns seen in training (``columns``)."""

    columns: npt.NDArray[np.int64]
    weights: Matrix  # columns × (3 + 12)
    bias: npt.NDArray[np.float64]
    learned: npt.NDArray[np.bool_]

    def probabilities(self, x: SparseMatrix) -> tuple[Matrix, Matrix]:
        """(sentiment n × 3, topics n × 12) probabilities for the rows of ``x``."""
        z = np.asarray(x[:, self.columns] @ self.weights) + self.bias
        k = len(SENTIMENT_LABELS)
        s = z[:, :k] - z[:, :k].max(axis=1, keepdims=True)
        s = np.exp(s)
        s /= s.sum(axis=1, keepdims=True)
        return s, 0.5 * (1.0 + np.tanh(0.5 * z[:, k:]))


def _fit(
    data: Dataset, rows: npt.NDArray[np.int64], l2_sentiment: float, l2_topics: float
) -> Fitted:
    x = data.x[rows]
    # Features of a single training comment are noise (and weight-file bytes): dropped.
    columns, frequency = np.unique(x.indices, return_counts=True)
    dense = columns >= (1 << data.config.bits)
    columns = columns[(frequency >= MIN_DOCUMENT_FREQUENCY) | dense].astype(np.int64)
    xc = x[:, columns]
    y_topics = data.topics[rows]
    learn = y_topics.sum(axis=0) >= MIN_TOPIC_EXAMPLES
    ws, bs = _softmax(xc, data.sentiment[rows], l2_sentiment)
    wt, bt = _one_vs_rest(xc, y_topics, l2_topics, learn)
    return Fitted(
        columns=columns,
        weights=np.hstack([ws, wt]),
        bias=np.concatenate([bs, bt]),
        learned=learn,
    )


def fit_model(
    data: Dataset,
    l2_sentiment: float,
    l2_topics: float,
    thresholds: npt.NDArray[np.float64],
) -> LanguageModel:
    """Train on all of ``data`` and pack the weights for learned.py."""
    fitted = _fit(data, np.arange(len(data)), l2_sentiment, l2_topics)
    offset = 1 << data.config.bits
    hashed = fitted.columns < offset
    dense = np.zeros((len(DENSE_FEATURES), fitted.weights.shape[1]))
    dense[fitted.columns[~hashed] - offset] = fitted.weights[~hashed]
    return LanguageModel(
        config=data.config,
        buckets=fitted.columns[hashed].astype(np.uint32),
        weights=fitted.weights[hashed].astype(np.float32),
        dense=dense.astype(np.float32),
        bias=fitted.bias.astype(np.float32),
        thresholds=thresholds.astype(np.float32),
        learned=fitted.learned,
    )


def folds_for(groups: Sequence[str]) -> list[npt.NDArray[np.int64]]:
    """Test rows of each fold: one fold per group when there are at least three groups,
    otherwise ``FALLBACK_FOLDS`` folds of a fixed shuffle."""
    names = sorted(set(groups))
    group_of = np.array(groups)
    if len(names) >= 3:
        return [np.flatnonzero(group_of == name).astype(np.int64) for name in names]
    order = np.random.default_rng(SEED).permutation(len(groups))
    return [np.sort(order[i::FALLBACK_FOLDS]).astype(np.int64) for i in range(FALLBACK_FOLDS)]


@dataclass(frozen=True)
class OutOfFold:
    sentiment: Matrix  # n × 3 probabilities
    topics: Matrix  # n × 12 probabilities
    learned: npt.NDArray[np.bool_]  # n × 12: whether the fold's model learned the topic


def cross_validate(
    data: Dataset, folds: Sequence[npt.NDArray[np.int64]], l2_sentiment: float, l2_topics: float
) -> OutOfFold:
    n = len(data)
    sentiment = np.zeros((n, len(SENTIMENT_LABELS)))
    topics = np.zeros((n, len(TOPICS)))
    learned = np.zeros((n, len(TOPICS)), dtype=np.bool_)
    for test in folds:
        train = np.setdiff1d(np.arange(n), test)
        fitted = _fit(data, train, l2_sentiment, l2_topics)
        s, t = fitted.probabilities(data.x[test])
        sentiment[test] = s
        topics[test] = t
        learned[test] = fitted.learned
    return OutOfFold(sentiment, topics, learned)


def _f1(gold: npt.NDArray[np.bool_], predicted: npt.NDArray[np.bool_]) -> float:
    tp = int((gold & predicted).sum())
    fp = int((~gold & predicted).sum())
    fn = int((gold & ~predicted).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def sentiment_macro_f1(gold: npt.NDArray[np.int64], predicted: npt.NDArray[np.int64]) -> float:
    """Macro-F1 over the three labels (as bench/text.py computes it)."""
    return float(np.mean([_f1(gold == k, predicted == k) for k in range(len(SENTIMENT_LABELS))]))


def topic_macro_f1(gold: Matrix, predicted: npt.NDArray[np.bool_]) -> float:
    """Macro-F1 over the topics present in ``gold`` (as bench/text.py computes it)."""
    g = gold > 0.5
    present = [i for i in range(g.shape[1]) if g[:, i].any()]
    if not present:
        return 0.0
    return float(np.mean([_f1(g[:, i], predicted[:, i]) for i in present]))


def predict_topics(
    oof: OutOfFold, lexicon: npt.NDArray[np.bool_], thresholds: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    return np.where(oof.learned, oof.topics > thresholds, lexicon)


def choose_thresholds(
    gold: Matrix, probabilities: Matrix, rows: npt.NDArray[np.int64] | None = None
) -> npt.NDArray[np.float64]:
    """Per-topic thresholds from out-of-fold probabilities (restricted to ``rows``)."""
    if rows is not None:
        gold, probabilities = gold[rows], probabilities[rows]
    g = gold > 0.5
    grid = np.array(THRESHOLD_GRID)
    scores = np.array(
        [[_f1(g[:, i], probabilities[:, i] > th) for th in grid] for i in range(g.shape[1])]
    )
    positives = g.sum(axis=0)
    shared = positives > 0
    global_threshold = (
        float(grid[int(np.argmax(scores[shared].mean(axis=0)))]) if shared.any() else 0.5
    )
    return np.array(
        [
            float(grid[int(np.argmax(scores[i]))])
            if positives[i] >= MIN_TOPIC_FOR_OWN_THRESHOLD
            else global_threshold
            for i in range(g.shape[1])
        ]
    )
