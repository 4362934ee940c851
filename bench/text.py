"""Comment analysis (regulars.text.comments) on the labelled comment sets.

``python -m bench.text [--quick]`` scores the held-out sets per language: ``eval`` is
bench/data/comments/eval (written by the lexicons' author before them) together with
bench/data/comments/eval_independent (written by another author who never saw the
lexicons or the other sets); each is also reported on its own as extra fields. Per
language: sentiment accuracy and macro-F1 (positive/neutral/negative), topic
micro- and macro-F1 (multi-label; macro over the topics that occur in that language's
set), language-detection accuracy (the customer's language given as a *wrong* fallback,
so only detection can get it right on long texts; short texts are excluded), and
throughput of ``analyse_comment`` after warm-up, plus the one-off detector load time.
The dev set (bench/data/comments/dev plus dev_more, used for tuning) is reported the
same way as extra fields. Baseline, measured in the same run: the majority sentiment class with no
topics; figures ``*_vs_baseline`` are the ratio of our sentiment macro-F1 to it.

``--quick`` uses the first 20 comments per language and a short throughput run.
``--dev`` scores the development data only (dev + dev_more, each also reported on its
own) and never opens the held-out eval set: the mode to use while tuning. No Django
here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import figure, median, print_result
from regulars.text import language as language_module
from regulars.text.comments import CommentAnalysis, analyse_comment, get_analyser
from regulars.text.topics import TOPICS

DATA = Path(__file__).resolve().parent / "data" / "comments"
LANGUAGES = ("en", "it", "da", "ru", "es")
LABELS = ("positive", "neutral", "negative")
SENTIMENT_TARGET = 0.80
TOPICS_TARGET = 0.70
LANGUAGE_TARGET = 0.95
THROUGHPUT_TARGET = 500.0
QUICK_ROWS = 20


@dataclass(frozen=True)
class Row:
    text: str
    sentiment: str
    topics: frozenset[str]


DEV_PARTS = ("dev_only", "dev_more")
EVAL_PARTS = ("eval_first", "eval_independent")
DIRECTORY = {"dev_only": "dev", "eval_first": "eval"}


def load(split: str, language: str) -> list[Row]:
    """Rows of a split: ``dev`` is dev + dev_more (all development data), ``dev_only``
    the directory ``dev`` alone; ``eval`` is both held-out sets, ``eval_first`` the
    directory ``eval`` alone."""
    if split == "dev":
        return [row for part in DEV_PARTS for row in load(part, language)]
    if split == "eval":
        return [row for part in EVAL_PARTS for row in load(part, language)]
    return _load_file(DIRECTORY.get(split, split), language)


def _load_file(split: str, language: str) -> list[Row]:
    rows: list[Row] = []
    path = DATA / split / f"{language}.jsonl"
    if split == "dev_more" and not path.exists():
        return rows
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                raw = json.loads(line)
                unknown = set(raw["topics"]) - set(TOPICS)
                if raw["sentiment"] not in LABELS or unknown:
                    raise ValueError(f"{split}/{language}: bad label in {line!r}")
                rows.append(Row(raw["text"], raw["sentiment"], frozenset(raw["topics"])))
    return rows


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def sentiment_scores(gold: Sequence[str], predicted: Sequence[str]) -> tuple[float, float]:
    """(accuracy, macro-F1 over the three labels)."""
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    per_label = []
    for label in LABELS:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        per_label.append(f1(tp, fp, fn))
    return accuracy, sum(per_label) / len(per_label)


def topic_scores(
    gold: Sequence[frozenset[str]], predicted: Sequence[frozenset[str]]
) -> tuple[float, float, dict[str, float]]:
    """(micro-F1, macro-F1 over topics present in gold, per-topic F1)."""
    present = sorted({t for labels in gold for t in labels})
    total = [0, 0, 0]
    per_topic = {}
    for topic in TOPICS:
        tp = sum(topic in g and topic in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(topic not in g and topic in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(topic in g and topic not in p for g, p in zip(gold, predicted, strict=True))
        total = [total[0] + tp, total[1] + fp, total[2] + fn]
        if topic in present:
            per_topic[topic] = f1(tp, fp, fn)
    macro = sum(per_topic.values()) / len(per_topic) if per_topic else 0.0
    return f1(*total), macro, per_topic


def evaluate(split: str, language: str, limit: int | None) -> dict[str, Any]:
    rows = load(split, language)[:limit]
    results: list[CommentAnalysis] = [analyse_comment(r.text, language) for r in rows]
    gold_s = [r.sentiment for r in rows]
    accuracy, macro = sentiment_scores(gold_s, [a.sentiment for a in results])
    micro_t, macro_t, per_topic = topic_scores(
        [r.topics for r in rows], [frozenset(a.topics) for a in results]
    )
    majority = Counter(gold_s).most_common(1)[0][0]
    _, baseline_macro = sentiment_scores(gold_s, [majority] * len(rows))
    _, baseline_topics, _ = topic_scores([r.topics for r in rows], [frozenset()] * len(rows))
    # Language detection: give a wrong fallback, so a right answer is the detector's own.
    long_rows = [r for r in rows if _letters(r.text) >= language_module.MIN_LETTERS]
    wrong = {lang: LANGUAGES[(i + 1) % len(LANGUAGES)] for i, lang in enumerate(LANGUAGES)}
    detected = [
        language_module.detect_language(r.text, wrong[language]) == language for r in long_rows
    ]
    return {
        "n": len(rows),
        "sentiment_accuracy": accuracy,
        "sentiment_macro_f1": macro,
        "topics_micro_f1": micro_t,
        "topics_macro_f1": macro_t,
        "topics_f1": per_topic,
        "baseline_sentiment_macro_f1": baseline_macro,
        "baseline_topics_macro_f1": baseline_topics,
        "language_correct": sum(detected),
        "language_n": len(detected),
    }


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def throughput(texts: Sequence[tuple[str, str]], seconds: float) -> float:
    """Median comments/s of analyse_comment over repeated passes (after warm-up)."""
    for text, lang in texts:
        analyse_comment(text, lang)
    rates: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        started = time.perf_counter()
        for text, lang in texts:
            analyse_comment(text, lang)
        rates.append(len(texts) / (time.perf_counter() - started))
    return median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.text")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--split", choices=("eval", "dev"), default="eval")
    parser.add_argument("--errors", action="store_true", help="print misclassified comments")
    parser.add_argument(
        "--dev", action="store_true", help="development data only (dev + dev_more); no eval"
    )
    args = parser.parse_args(argv)
    limit = QUICK_ROWS if args.quick else None
    if args.dev:
        return _main_dev(limit, args.errors)
    main_split, other_split = args.split, ("dev" if args.split == "eval" else "eval")

    started = time.perf_counter()
    language_module.load_detector()
    load_seconds = time.perf_counter() - started

    results = {lang: evaluate(main_split, lang, limit) for lang in LANGUAGES}
    other = {lang: evaluate(other_split, lang, limit) for lang in LANGUAGES}
    parts = {
        part: {lang: evaluate(part, lang, limit) for lang in LANGUAGES}
        for part in (EVAL_PARTS if main_split == "eval" else DEV_PARTS)
    }
    if args.errors:
        _print_errors(main_split, limit)
    texts = [(r.text, lang) for lang in LANGUAGES for r in load(main_split, lang)[:limit]]
    rate = throughput(texts, 0.3 if args.quick else 3.0)

    figures: dict[str, dict[str, Any]] = {}
    for lang, r in results.items():
        figures[f"sentiment_macro_f1_{lang}"] = figure(
            r["sentiment_macro_f1"], "F1", SENTIMENT_TARGET, "higher"
        )
        figures[f"topics_macro_f1_{lang}"] = figure(
            r["topics_macro_f1"], "F1", TOPICS_TARGET, "higher"
        )
    correct = sum(r["language_correct"] for r in results.values())
    total = sum(r["language_n"] for r in results.values())
    figures["language_accuracy"] = figure(
        correct / total if total else 0.0, "fraction", LANGUAGE_TARGET, "higher"
    )
    figures["throughput"] = figure(rate, "comments/s", THROUGHPUT_TARGET, "higher")

    for lang, r in results.items():
        print(
            f"{main_split} {lang}: n={r['n']} sentiment acc {r['sentiment_accuracy']:.3f} "
            f"macro-F1 {r['sentiment_macro_f1']:.3f} (baseline {r['baseline_sentiment_macro_f1']:.3f}); "
            f"topics micro-F1 {r['topics_micro_f1']:.3f} macro-F1 {r['topics_macro_f1']:.3f}; "
            f"language {r['language_correct']}/{r['language_n']}"
        )
    for part, by_language in parts.items():
        for lang, r in by_language.items():
            print(
                f"  {part} {lang}: n={r['n']} sentiment macro-F1 {r['sentiment_macro_f1']:.3f}; "
                f"topics macro-F1 {r['topics_macro_f1']:.3f}"
            )
    for lang, r in other.items():
        print(
            f"{other_split} {lang}: sentiment macro-F1 {r['sentiment_macro_f1']:.3f}; "
            f"topics macro-F1 {r['topics_macro_f1']:.3f}"
        )
    print(f"throughput {rate:,.0f} comments/s; detector load {load_seconds:.2f} s")

    def rounded(r: dict[str, Any]) -> dict[str, Any]:
        return {
            k: (round(v, 4) if isinstance(v, float) else v)
            for k, v in r.items()
            if k != "topics_f1"
        } | {"topics_f1": {t: round(v, 3) for t, v in r["topics_f1"].items()}}

    extra = {
        "split": main_split,
        "detector_load_s": round(load_seconds, 3),
        "per_language": {lang: rounded(r) for lang, r in results.items()},
        f"{other_split}_per_language": {lang: rounded(r) for lang, r in other.items()},
        "parts": {
            part: {
                lang: {
                    "n": r["n"],
                    "sentiment_macro_f1": round(r["sentiment_macro_f1"], 4),
                    "topics_macro_f1": round(r["topics_macro_f1"], 4),
                }
                for lang, r in by_language.items()
            }
            for part, by_language in parts.items()
        },
        "sentiment_macro_f1_vs_baseline": {
            lang: round(r["sentiment_macro_f1"] / r["baseline_sentiment_macro_f1"], 3)
            for lang, r in results.items()
        },
        "backend": type(get_analyser()).__name__,
    }
    print_result("text", sum(r["n"] for r in results.values()), figures, **extra)
    return 0


def _main_dev(limit: int | None, errors: bool) -> int:
    """Development data only: dev, dev_more and both together; the eval set is not read."""
    language_module.load_detector()
    for split in (*DEV_PARTS, "dev"):
        results = {lang: evaluate(split, lang, limit) for lang in LANGUAGES if load(split, lang)}
        for lang, r in results.items():
            print(
                f"{split:8} {lang}: n={r['n']:3} sentiment acc {r['sentiment_accuracy']:.3f} "
                f"macro-F1 {r['sentiment_macro_f1']:.3f}; topics micro-F1 "
                f"{r['topics_micro_f1']:.3f} macro-F1 {r['topics_macro_f1']:.3f}; "
                f"language {r['language_correct']}/{r['language_n']}"
            )
    if errors:
        _print_errors("dev", limit)
    texts = [(r.text, lang) for lang in LANGUAGES for r in load("dev", lang)[:limit]]
    print(f"throughput {throughput(texts, 0.3 if limit else 2.0):,.0f} comments/s")
    return 0


def _print_errors(split: str, limit: int | None) -> None:
    for lang in LANGUAGES:
        for row in load(split, lang)[:limit]:
            a = analyse_comment(row.text, lang)
            if a.sentiment != row.sentiment or frozenset(a.topics) != row.topics:
                print(
                    f"[{lang}] {row.text}\n    gold {row.sentiment} {sorted(row.topics)}"
                    f"\n    got  {a.sentiment} {a.score:+.2f} {sorted(a.topics)}",
                    file=sys.stderr,
                )


if __name__ == "__main__":
    sys.exit(main())
