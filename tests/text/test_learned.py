"""The learned comment backend: shipped weights, predictions, training, hashing, fallback."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from regulars.text import comments, learned
from regulars.text.comments import (
    LexiconAnalyser,
    analyse_comment,
    default_analyser,
    get_analyser,
)
from regulars.text.learned import (
    DENSE_FEATURES,
    LANGUAGES,
    MODEL_DIR,
    FeatureConfig,
    Featuriser,
    LearnedAnalyser,
    bucket,
    fold,
    read_model,
)
from regulars.text.topics import TOPICS
from regulars.text.training import Example, build_dataset, fit_model

ROOT = Path(__file__).resolve().parents[2]

CLEAR = [
    ("The staff were lovely and the coffee was excellent, thank you!", "en", "positive"),
    ("Rude staff, cold food and we waited forty minutes. Never again.", "en", "negative"),
    ("I ordered two croissants and a cappuccino.", "en", "neutral"),
    ("Personale gentilissimo e caffè ottimo, grazie!", "it", "positive"),
    ("Commessa maleducata e attesa infinita, non ci torno più.", "it", "negative"),
    ("Ho comprato il pane e due cornetti.", "it", "neutral"),
    ("Super venligt personale og lækker kaffe, tak!", "da", "positive"),
    ("Uhøflig ekspedient og alt for lang ventetid. Aldrig igen.", "da", "negative"),
    ("Jeg købte et rugbrød og to kanelsnegle.", "da", "neutral"),
    ("Очень вежливый персонал и отличный кофе, спасибо!", "ru", "positive"),
    ("Грубый продавец и ждали сорок минут. Больше не приду.", "ru", "negative"),
    ("Я купила хлеб и два круассана.", "ru", "neutral"),
    ("Personal muy amable y el café buenísimo, ¡gracias!", "es", "positive"),
    ("Dependienta maleducada y esperamos cuarenta minutos. No vuelvo.", "es", "negative"),
    ("Compré una barra de pan y dos cruasanes.", "es", "neutral"),
]


@pytest.fixture(scope="module")
def analyser() -> LearnedAnalyser:
    backend = LearnedAnalyser()
    backend.load()
    return backend


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_weights_load_for_every_language(language: str) -> None:
    model = read_model(MODEL_DIR / f"{language}.npz")
    assert model.weights.dtype == np.float32
    assert model.weights.shape == (len(model.buckets), 3 + len(TOPICS))
    assert model.dense.shape == (len(DENSE_FEATURES), 3 + len(TOPICS))
    assert ((model.thresholds > 0) & (model.thresholds < 1)).all()
    assert model.buckets.max() < 1 << model.config.bits


def test_the_shipped_weights_stay_small() -> None:
    total = sum((MODEL_DIR / f"{lang}.npz").stat().st_size for lang in LANGUAGES)
    assert total < 5_000_000


@pytest.mark.parametrize(("text", "language", "label"), CLEAR)
def test_it_labels_clear_comments_in_each_language(
    analyser: LearnedAnalyser, text: str, language: str, label: str
) -> None:
    result = analyser.analyse(text, language)
    assert result.sentiment == label
    assert -1.0 <= result.score <= 1.0
    assert set(result.topics) <= set(TOPICS)
    assert set(result.negative_topics) <= set(result.topics)


def test_the_score_follows_the_verdict(analyser: LearnedAnalyser) -> None:
    good = analyser.analyse("Wonderful service, lovely staff, great coffee!", "en")
    bad = analyser.analyse("Terrible service, rude staff, awful coffee.", "en")
    assert good.score > 0.3 > -0.3 > bad.score


@pytest.mark.parametrize(
    ("text", "language", "topic"),
    [
        ("Way too expensive.", "en", "price"),
        ("The barista was rude.", "en", "staff_friendliness"),
    ],
)
def test_a_clear_complaint_names_its_topic(
    analyser: LearnedAnalyser, text: str, language: str, topic: str
) -> None:
    result = analyser.analyse(text, language)
    assert topic in result.topics
    assert topic in result.negative_topics


def test_empty_text_is_neutral_without_topics(analyser: LearnedAnalyser) -> None:
    result = analyser.analyse("", "da")
    assert (result.sentiment, result.score, result.topics) == ("neutral", 0.0, ())


def test_a_language_we_do_not_serve_is_analysed_with_the_english_model(
    analyser: LearnedAnalyser,
) -> None:
    result = analyser.analyse("Lovely staff and great coffee!", "de")
    assert result.language == "de"
    assert result.sentiment == "positive"


def test_the_hash_is_crc32_of_the_utf8_feature_string() -> None:
    assert bucket("w:good") == zlib.crc32(b"w:good") & (2**18 - 1) == 44403
    assert bucket("c:ждал", bits=18) == zlib.crc32("c:ждал".encode()) & 0x3FFFF


def test_the_hash_is_the_same_in_another_process() -> None:
    code = "from regulars.text.learned import bucket; print(bucket('w:good'), bucket('b:non è'))"
    outputs = {
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT / "src")},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {f"{bucket('w:good')} {bucket('b:non è')}\n"}


def test_folding_removes_accents_and_long_letter_runs() -> None:
    assert fold("perché") == "perche"
    assert fold("всё") == "все"
    assert fold("soooo") == "soo"
    assert fold("kaffe") == "kaffe"


def test_features_have_word_character_and_dense_parts() -> None:
    features = Featuriser(FeatureConfig()).features("Non è buono.", "it")
    assert bucket("w:non") in features.indices
    assert bucket("b:non e") in features.indices
    assert bucket("c:buon") in features.indices
    assert bucket("n:buono") in features.indices
    assert features.dense.shape == (len(DENSE_FEATURES),)


TINY = [
    Example("Lovely staff, great coffee.", "positive", frozenset({"staff_friendliness"}), "x"),
    Example("Rude staff and a long queue.", "negative", frozenset({"waiting"}), "x"),
    Example("I bought a loaf of bread.", "neutral", frozenset(), "y"),
    Example("Too expensive for what it is.", "negative", frozenset({"price"}), "y"),
    Example("Friendly and quick, thanks!", "positive", frozenset({"waiting"}), "z"),
]


def test_training_is_deterministic() -> None:
    data = build_dataset(TINY, "en", FeatureConfig())
    thresholds = np.full(len(TOPICS), 0.5)
    first = fit_model(data, 1e-3, 1e-3, thresholds)
    second = fit_model(build_dataset(TINY, "en", FeatureConfig()), 1e-3, 1e-3, thresholds)
    assert np.array_equal(first.buckets, second.buckets)
    assert np.array_equal(first.weights, second.weights)
    assert np.array_equal(first.dense, second.dense)
    assert np.array_equal(first.bias, second.bias)
    # Topics with too few examples are left to the lexicon's rules.
    assert not first.learned.any()


def test_missing_weights_fall_back_to_the_lexicon(tmp_path: Path) -> None:
    text = "Il personale è stato scortese e l'attesa infinita."
    assert LearnedAnalyser(tmp_path).analyse(text, "it") == LexiconAnalyser().analyse(text, "it")


def test_without_weights_the_default_is_the_lexicon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(learned, "weights_present", lambda: False)
    monkeypatch.setattr(comments, "_default", None)
    assert isinstance(default_analyser(), LexiconAnalyser)


def test_analyse_comment_uses_the_learned_backend_by_default(analyser: LearnedAnalyser) -> None:
    assert isinstance(get_analyser(), LearnedAnalyser)
    text = "Ho aspettato un'ora e nessuno si è scusato."
    assert analyse_comment(text, "it") == analyser.analyse(text, "it")


def test_warming_up_loads_every_language_s_weights_before_the_first_comment() -> None:
    from regulars.text.comments import warm_up
    from regulars.text.learned import LearnedAnalyser

    analyser = warm_up()
    assert isinstance(analyser, LearnedAnalyser)
    loaded = {lang for lang, p in analyser._predictors.items() if p is not None}
    assert loaded == set(LANGUAGES)
