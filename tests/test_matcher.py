from __future__ import annotations

import numpy as np
import pytest

from bot.features import char_features, word_features
from bot.index_cache import fit_cached, index_key, training_data
from bot.knowledge import KnowledgeBase
from bot.matcher import OUT_OF_SCOPE, IntentMatcher, NotFittedError


def test_unfitted_matcher_raises_a_clear_error() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        IntentMatcher().rank("dci")


def test_init_only_stores_parameters() -> None:
    matcher = IntentMatcher(word_weight=0.3, shortlist=7)
    assert matcher.get_params()["word_weight"] == 0.3
    assert not hasattr(matcher, "vocabulary_")


def test_fit_returns_self(kb: KnowledgeBase) -> None:
    matcher = IntentMatcher()
    assert matcher.fit(*training_data(kb)) is matcher
    assert matcher.intent_ids_ == sorted([*kb.intents, OUT_OF_SCOPE])  # the out-of-scope examples are a class


def test_query_vector_equals_scikit_learn_transform(kb: KnowledgeBase) -> None:
    """Our NumPy vectoriser must reproduce scikit-learn's TF-IDF weights exactly."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    matcher = IntentMatcher(word_weight=1.0).fit(*training_data(kb))
    reference = TfidfVectorizer(analyzer=word_features, sublinear_tf=True, norm="l2").fit(matcher.examples_)
    for text in ["ce est quoi la dci", "le courriel du ssi de nouakchott nouakchott", "zzz inconnu dci"]:
        cols, weights = matcher.vectorize(text)
        ours = dict(zip(cols.tolist(), weights.tolist(), strict=True))
        row = reference.transform([text])
        expected = {matcher.vocabulary_[f"w|{feat}"]: row[0, col]
                    for feat, col in reference.vocabulary_.items() if row[0, col]}
        assert ours.keys() == expected.keys()
        assert np.allclose([ours[k] for k in expected], list(expected.values()), atol=1e-5)


def test_char_features_stay_inside_words() -> None:
    assert char_features("dci ssi", 3, 3) == [" dc", "dci", "ci ", " ss", "ssi", "si "]


def test_rank_scores_are_on_the_zero_one_scale(engine) -> None:
    candidates = engine.matcher.rank(engine.kb.normalize("c'est quoi la dci"), top=5)
    assert candidates[0].intent == "dci.definition"
    assert all(0.0 <= c.score <= 1.0 for c in candidates)
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)


def test_save_and_load_give_the_same_ranking(engine, tmp_path) -> None:
    path = tmp_path / "index.npz"
    engine.matcher.save(path)
    loaded = IntentMatcher.load(path)
    question = engine.kb.normalize("kel est le fax du ssi")
    assert loaded.rank(question) == engine.matcher.rank(question)


def test_fit_cached_reuses_the_index(kb: KnowledgeBase, tmp_path) -> None:
    params = IntentMatcher().get_params()
    first = fit_cached(kb, params, tmp_path)
    files = list(tmp_path.glob("index-*.npz"))
    assert [f.name for f in files] == [f"index-{index_key(kb, params)}.npz"]
    second = fit_cached(kb, params, tmp_path)
    assert second.examples_ == first.examples_


def test_classifier_gives_probabilities_that_separate_siblings(engine) -> None:
    matcher = engine.matcher
    normalized = engine.kb.normalize("c'est où le SSI en Mauritanie ?")
    probabilities = matcher.classify(*matcher.vectorize(normalized))
    assert probabilities is not None and probabilities.shape == (len(matcher.intent_ids_),)
    assert abs(float(probabilities.sum()) - 1.0) < 1e-6
    p = dict(zip(matcher.intent_ids_, probabilities.tolist(), strict=True))
    assert p["nouakchott.localisation"] > p["nouakchott.chef"]
    ranked = matcher.rank(normalized)
    assert ranked[0].intent == "nouakchott.localisation"
    assert ranked[0].classifier == round(p["nouakchott.localisation"], 4)


def test_leave_one_out_ranking_leaves_the_classifier_out(engine) -> None:
    ranked = engine.matcher.rank(engine.matcher.examples_[0], exclude=0)
    assert ranked and all(c.classifier is None for c in ranked)


def test_without_classifier_the_score_is_the_similarity(kb: KnowledgeBase, monkeypatch) -> None:

    plain = IntentMatcher(classifier_budget=0).fit(*training_data(kb))  # as for data too large to fit it
    assert plain.classify(*plain.vectorize("ce est quoi la dci")) is None
    ranked = plain.rank("ce est quoi la dci")
    similarity = IntentMatcher(classifier_weight=0.0).fit(*training_data(kb)).rank("ce est quoi la dci")
    assert [(c.intent, c.score, c.classifier) for c in ranked] == [(c.intent, c.score, None) for c in similarity]


def test_classifier_with_two_intents_gives_one_probability_each(tmp_path) -> None:
    """scikit-learn keeps one weight vector for two classes; the matcher must still score both."""
    from bot.reader import load_knowledge

    (tmp_path / "knowledge").mkdir()
    (tmp_path / "intents").mkdir()
    (tmp_path / "knowledge" / "t.toml").write_text(
        'topic = "t"\n' + "".join(f'[[answers]]\nid = "t.{a}"\ntitle = "{a}"\ntext = "{a}."\nsource = "§1"\n\n'
                                  for a in ("fax", "chef")), encoding="utf-8")
    fax = ["le fax", "numero de fax", "fax du service", "quel fax", "envoyer un fax", "fax svp"]
    chef = ["qui dirige", "le chef", "qui est le chef", "nom du chef", "le directeur", "qui commande"]
    (tmp_path / "intents" / "t.toml").write_text(
        'topic = "t"\n' + "".join(f'[[intents]]\nid = "t.{a}"\nanswer = "t.{a}"\nexamples = {examples!r}\n\n'
                                  for a, examples in (("fax", fax), ("chef", chef))).replace("'", '"'),
        encoding="utf-8")
    matcher = IntentMatcher().fit(*training_data(load_knowledge(tmp_path / "knowledge", tmp_path / "intents")))
    p = dict(zip(matcher.intent_ids_, matcher.classify(*matcher.vectorize("le numero de fax")).tolist(), strict=True))
    assert set(p) == {"t.fax", "t.chef"}
    assert p["t.fax"] > 0.9 > p["t.chef"]
    assert matcher.rank("qui est le directeur")[0].intent == "t.chef"


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 20, 160])
def test_the_shortlist_holds_exactly_the_largest_cosines(seed: int, k: int) -> None:
    import numpy as np

    from bot.features import top_positions

    rng = np.random.default_rng(seed)
    values = rng.random(3000) ** 8  # mostly near zero, as in a large knowledge base
    values[rng.random(3000) < 0.5] = 0.0
    expected = set(np.argsort(-values, kind="stable")[:k].tolist())
    found = top_positions(values, k)
    assert len(found) == k and set(values[found].tolist()) == set(values[list(expected)].tolist())
    assert sorted(top_positions(values[:10], 20).tolist()) == list(range(10))
