"""Train the learned comment models (regulars.text.learned) from the labelled comments.

    .venv/bin/python scripts/train_comment_model.py [--languages en it] [--quick]

Reads, per language, the development comments (bench/data/comments/dev and dev_more:
one author, group ``dev``) and the training comments src/regulars/text/data/train/
{a,b,c}_<lang>.jsonl (one author each, groups ``a``, ``b``, ``c``); never the held-out
eval sets. Hyper-parameters (feature configuration, L2 strengths, topic thresholds) are
chosen by cross-validation only: leave-one-author-out when at least three groups
exist, otherwise 5-fold. Writes src/regulars/text/data/model/<lang>.npz and
metadata.json (data sizes, cross-validated figures for the lexicon and the learned
model, the chosen configuration, the date). Deterministic: same data, same weights.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from regulars.text.learned import (
    LANGUAGES,
    MODEL_DIR,
    SENTIMENT_LABELS,
    FeatureConfig,
    write_model,
)
from regulars.text.topics import TOPICS
from regulars.text.training import (
    Dataset,
    Example,
    build_dataset,
    choose_thresholds,
    cross_validate,
    fit_model,
    folds_for,
    predict_topics,
    sentiment_macro_f1,
    topic_macro_f1,
)

DEV_DATA = ROOT / "bench" / "data" / "comments"
TRAIN_DATA = ROOT / "src" / "regulars" / "text" / "data" / "train"
CONFIGS = (
    FeatureConfig(char_min=2, char_max=5, negation=True),
    FeatureConfig(char_min=3, char_max=5, negation=True),
)
L2_GRID = (3e-5, 1e-4, 3e-4, 1e-3)


def _read(path: Path, group: str) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            raw = json.loads(line)
            unknown = set(raw["topics"]) - set(TOPICS)
            if raw["sentiment"] not in SENTIMENT_LABELS or unknown:
                raise ValueError(f"{path}:{number}: bad label")
            examples.append(Example(raw["text"], raw["sentiment"], frozenset(raw["topics"]), group))
    return examples


def load_examples(language: str) -> tuple[list[Example], dict[str, int]]:
    """The language's training examples and how many came from each file."""
    examples: list[Example] = []
    sizes: dict[str, int] = {}
    sources = [
        (DEV_DATA / "dev" / f"{language}.jsonl", "dev"),
        (DEV_DATA / "dev_more" / f"{language}.jsonl", "dev"),
        *((TRAIN_DATA / f"{g}_{language}.jsonl", g) for g in ("a", "b", "c")),
    ]
    for path, group in sources:
        if path.is_file():
            part = _read(path, group)
            sizes[str(path.relative_to(ROOT))] = len(part)
            examples += part
    return examples, sizes


def _cross_fitted_topics(
    data: Dataset, folds: Sequence[np.ndarray[Any, Any]], probabilities: np.ndarray[Any, Any]
) -> float:
    """Topic macro-F1 with each fold's thresholds chosen on the other folds only."""
    predicted = np.zeros_like(data.topics, dtype=bool)
    n = len(data)
    for test in folds:
        rest = np.setdiff1d(np.arange(n), test)
        thresholds = choose_thresholds(data.topics, probabilities, rest)
        predicted[test] = probabilities[test] > thresholds
    return topic_macro_f1(data.topics, predicted)


def train_language(language: str, quick: bool) -> dict[str, Any]:
    started = time.perf_counter()
    examples, sizes = load_examples(language)
    groups = tuple(e.group for e in examples)
    folds = folds_for(groups)
    configs = CONFIGS[:1] if quick else CONFIGS
    grid = L2_GRID[1:3] if quick else L2_GRID
    best: dict[str, Any] | None = None
    trials = []
    for config in configs:
        data = build_dataset(examples, language, config)
        runs = {l2: cross_validate(data, folds, l2, l2) for l2 in grid}
        s_scores = {
            l2: sentiment_macro_f1(data.sentiment, oof.sentiment.argmax(axis=1))
            for l2, oof in runs.items()
        }
        t_scores = {}
        for l2, oof in runs.items():
            probabilities = np.where(oof.learned, oof.topics, data.lexicon_topics.astype(float))
            t_scores[l2] = _cross_fitted_topics(data, folds, probabilities)
        l2_s = max(grid, key=lambda v: s_scores[v])
        l2_t = max(grid, key=lambda v: t_scores[v])
        trial = {
            "config": config.to_json(),
            "sentiment_macro_f1_by_l2": {str(k): round(v, 4) for k, v in s_scores.items()},
            "topics_macro_f1_by_l2": {str(k): round(v, 4) for k, v in t_scores.items()},
        }
        trials.append(trial)
        total = s_scores[l2_s] + t_scores[l2_t]
        if best is None or total > best["total"] + 1e-9:
            best = {
                "total": total,
                "config": config,
                "data": data,
                "l2_sentiment": l2_s,
                "l2_topics": l2_t,
                "sentiment_oof": runs[l2_s],
                "topics_oof": runs[l2_t],
                "sentiment_f1": s_scores[l2_s],
                "topics_f1": t_scores[l2_t],
            }
        print(
            f"  {language} {config}: sentiment {s_scores} topics {t_scores}",
            file=sys.stderr,
            flush=True,
        )
    if best is None:
        raise ValueError("no configuration to try")
    data = best["data"]
    topics_oof = best["topics_oof"]
    probabilities = np.where(topics_oof.learned, topics_oof.topics, data.lexicon_topics)
    thresholds = choose_thresholds(data.topics, probabilities)
    model = fit_model(data, best["l2_sentiment"], best["l2_topics"], thresholds)
    path = MODEL_DIR / f"{language}.npz"
    write_model(model, path)

    sentiment_predicted = best["sentiment_oof"].sentiment.argmax(axis=1)
    topics_predicted = predict_topics(topics_oof, data.lexicon_topics, thresholds)
    by_group: dict[str, Any] = {}
    group_of = np.array(groups)
    for group in sorted(set(groups)):
        rows = np.flatnonzero(group_of == group)
        by_group[group] = {
            "n": len(rows),
            "lexicon_sentiment_macro_f1": round(
                sentiment_macro_f1(data.sentiment[rows], data.lexicon_sentiment[rows]), 4
            ),
            "learned_sentiment_macro_f1": round(
                sentiment_macro_f1(data.sentiment[rows], sentiment_predicted[rows]), 4
            ),
            "lexicon_topics_macro_f1": round(
                topic_macro_f1(data.topics[rows], data.lexicon_topics[rows]), 4
            ),
            "learned_topics_macro_f1": round(
                topic_macro_f1(data.topics[rows], topics_predicted[rows]), 4
            ),
        }
    return {
        "n": len(examples),
        "files": sizes,
        "folds": "leave-one-author-out" if len(set(groups)) >= 3 else "5-fold",
        "config": best["config"].to_json(),
        "l2_sentiment": best["l2_sentiment"],
        "l2_topics": best["l2_topics"],
        "thresholds": {t: round(float(v), 3) for t, v in zip(TOPICS, thresholds, strict=True)},
        "learned_topics": [t for t, m in zip(TOPICS, model.learned, strict=True) if m],
        "cv": {
            "lexicon_sentiment_macro_f1": round(
                sentiment_macro_f1(data.sentiment, data.lexicon_sentiment), 4
            ),
            "learned_sentiment_macro_f1": round(best["sentiment_f1"], 4),
            "lexicon_topics_macro_f1": round(topic_macro_f1(data.topics, data.lexicon_topics), 4),
            "learned_topics_macro_f1": round(best["topics_f1"], 4),
            "learned_topics_macro_f1_thresholds_in_sample": round(
                topic_macro_f1(data.topics, topics_predicted), 4
            ),
            "by_group": by_group,
        },
        "trials": trials,
        "buckets": len(model.buckets),
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="train_comment_model.py")
    parser.add_argument("--languages", nargs="*", default=list(LANGUAGES))
    parser.add_argument("--quick", action="store_true", help="one configuration, two L2 values")
    parser.add_argument("--jobs", type=int, default=2, help="languages trained in parallel")
    args = parser.parse_args(argv)
    metadata_path = MODEL_DIR / "metadata.json"
    metadata: dict[str, Any] = {}
    if metadata_path.exists():
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    languages = metadata.setdefault("languages", {})
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(train_language, args.languages, [args.quick] * len(args.languages)))
    for language, result in zip(args.languages, results, strict=True):
        languages[language] = result
        cv = result["cv"]
        print(
            f"{language}: n={result['n']} ({result['folds']}) sentiment macro-F1 lexicon "
            f"{cv['lexicon_sentiment_macro_f1']:.3f} learned {cv['learned_sentiment_macro_f1']:.3f}; "
            f"topics macro-F1 lexicon {cv['lexicon_topics_macro_f1']:.3f} learned "
            f"{cv['learned_topics_macro_f1']:.3f}; {result['bytes'] / 1024:.0f} KiB"
        )
    metadata["trained"] = dt.datetime.now(dt.UTC).date().isoformat()
    metadata["hash"] = "zlib.crc32(feature.encode('utf-8')) & (2**bits - 1)"
    metadata["l2_grid"] = list(L2_GRID)
    metadata_path.parent.mkdir(parents=True, exist_ok=True)
    metadata_path.write_text(
        json.dumps(metadata, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
