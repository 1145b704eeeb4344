"""WordVectors: pretrained word vectors of names, from the optional extra, loaded offline."""

import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline, make_union
from sklearn.utils._param_validation import InvalidParameterError

from sk_colour_embed import PairSampler, PairSimilarityEmbedder, WordVectors

ROOT = Path(__file__).parents[1]


def run_fresh(code, tmp_path):
    """Run ``code`` in a fresh interpreter that imports this copy of the package.

    HOME is an empty folder, so no model cached under ``~/.cache`` can serve a
    load, and no Hugging Face offline switch is set: what does not touch the
    network must not, by itself.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HF_", "HUGGINGFACE_", "TRANSFORMERS_"))
    }
    env.update(PYTHONPATH=str(ROOT), HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )


@pytest.mark.parametrize("dim", [64, 128, 256])
def test_each_name_gets_a_unit_float32_vector_of_the_chosen_dimension(dim):
    words = WordVectors(dim=dim).fit(["crimson"])
    vectors = words.transform(["crimson", "sky blue", "x"])
    assert vectors.shape == (3, dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    assert list(words.get_feature_names_out()) == [f"wordvectors{i}" for i in range(dim)]


def test_a_smaller_dim_is_the_first_coordinates_of_the_full_vectors():
    # The model was trained to be read at 64, 128 and 256 dimensions (matryoshka).
    names = ["crimson", "sky blue"]
    full = WordVectors(normalize=False).fit(names).transform(names)
    small = WordVectors(dim=64, normalize=False).fit(names).transform(names)
    np.testing.assert_array_equal(small, full[:, :64])
    assert small.flags.c_contiguous
    unit = WordVectors(dim=64).fit(names).transform(names)
    np.testing.assert_allclose(unit, small / np.linalg.norm(small, axis=1, keepdims=True))


def test_a_names_vector_is_the_same_whatever_is_transformed_with_it():
    # wordllama pads each batch of 64 names to its longest one.
    names = [f"{'very ' * (i % 7)}dark red {i}" for i in range(150)]
    words = WordVectors().fit(names)
    together = words.transform(names)
    alone = np.vstack([words.transform([name]) for name in names[::37]])
    np.testing.assert_array_equal(together[::37], alone)
    np.testing.assert_array_equal(WordVectors().fit(["red"]).transform(names), together)


def test_colour_words_are_near_their_meaning_not_their_spelling():
    # The knowledge no reading of the training names' spelling has: these share no token.
    words = WordVectors().fit(["crimson"])

    def nearest(name, candidates):
        vectors = words.transform([name, *candidates])
        return candidates[int(np.argmax(vectors[1:] @ vectors[0]))]

    assert nearest("crimson", ["red", "teal", "navy", "olive", "lavender"]) == "red"
    assert nearest("grey", ["gray", "red", "blue", "green", "purple"]) == "gray"
    assert nearest("sky blue", ["light blue", "dark red", "olive", "lime"]) == "light blue"


def test_names_are_read_as_their_lowercased_words():
    words = WordVectors().fit(["red"])
    red = words.transform(["dark red"])
    np.testing.assert_array_equal(words.transform([" Dark \t RED  "]), red)
    cased = WordVectors(lowercase=False).fit(["red"])
    assert not np.allclose(cased.transform(["Dark Red"]), red)
    np.testing.assert_array_equal(cased.transform(["dark  red "]), red)


@pytest.mark.parametrize("normalize", [True, False])
def test_a_name_with_no_token_gets_the_zero_vector(normalize):
    words = WordVectors(normalize=normalize).fit(["red"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 on the way
        vectors = words.transform(["", "   ", "red"])
    np.testing.assert_array_equal(vectors[:2], 0.0)
    assert np.linalg.norm(vectors[2]) > 0


def test_a_column_of_names_in_any_form_gives_the_same_vectors():
    names = ["crimson", "sky blue"]
    expected = WordVectors().fit(names).transform(names)
    forms = [
        names,
        tuple(names),
        np.array(names),
        np.array(names, dtype=object).reshape(-1, 1),
        pd.Series(names),
        pd.DataFrame({"name": names}),
    ]
    for form in forms:
        np.testing.assert_array_equal(WordVectors().fit(form).transform(form), expected)
    words = WordVectors().fit(pd.DataFrame({"name": names}))
    assert list(words.feature_names_in_) == ["name"] and words.n_features_in_ == 1
    assert list(words.get_feature_names_out(["name"]))[:1] == ["wordvectors0"]
    # One column of names is the column under any name, as for the embedder.
    np.testing.assert_array_equal(words.transform(pd.DataFrame({"colour": names})), expected)


def test_pandas_output_keeps_the_index_and_names_the_columns():
    frame = pd.DataFrame({"name": ["crimson", "teal"]}, index=["a", "b"])
    out = WordVectors(dim=64).set_output(transform="pandas").fit_transform(frame)
    assert list(out.index) == ["a", "b"]
    assert list(out.columns) == [f"wordvectors{i}" for i in range(64)]


@pytest.mark.parametrize(
    "X, message",
    [
        # scikit-learn's validation makes None in a column of strings NaN.
        (["red", None, "blue"], r"row 1 holds a missing name \(None or NaN\), and 1 row\(s\) in"),
        (["red", "blue", np.nan], r"row 2 holds a missing name"),
        (["red", 3, 4.5], r"row 1 holds 3 \(int\), and 2 row\(s\) in all"),
    ],
)
def test_a_name_that_is_not_a_string_is_refused_with_its_row(X, message):
    with pytest.raises(ValueError, match=message):
        WordVectors().fit(X)
    words = WordVectors().fit(["red"])
    with pytest.raises(ValueError, match=message):
        words.transform(X)


def test_more_than_one_column_is_refused():
    two_columns = pd.DataFrame({"a": ["red"], "b": ["blue"]})
    with pytest.raises(ValueError, match="one column of names; it has 2 columns"):
        WordVectors().fit(two_columns)
    with pytest.raises(ValueError, match="X has 2 features, but WordVectors is expecting 1"):
        WordVectors().fit(["red"]).transform(two_columns.to_numpy())


def test_a_failed_fit_leaves_the_transformer_as_it_was():
    words = WordVectors().fit(pd.DataFrame({"name": ["red"]}))
    with pytest.raises(ValueError, match="row 0 holds"):
        words.fit([None])
    assert list(words.feature_names_in_) == ["name"]


def test_parameters_are_validated_and_an_unfitted_transformer_says_so():
    with pytest.raises(
        InvalidParameterError, match="'dim' parameter of WordVectors must be a int among .*Got 100"
    ):
        WordVectors(dim=100).fit(["red"])
    with pytest.raises(InvalidParameterError, match="'normalize' parameter"):
        WordVectors(normalize="l2").fit(["red"])
    with pytest.raises(ValueError, match="Invalid parameter 'norm'.*No parameter was set"):
        WordVectors().set_params(dim=64, norm=None)
    with pytest.raises(Exception, match="not fitted"):
        WordVectors().transform(["red"])
    with pytest.raises(Exception, match="not fitted"):
        WordVectors().get_feature_names_out()


def test_pickle_and_clone_give_the_same_vectors_without_carrying_the_model():
    names = ["crimson", "sky blue"]
    words = WordVectors(dim=128).fit(names)
    expected = words.transform(names)
    saved = pickle.dumps(words)
    assert len(saved) < 2_000  # the 8 MB of token vectors are loaded, not pickled
    np.testing.assert_array_equal(pickle.loads(saved).transform(names), expected)
    copy = clone(words)
    assert copy.get_params() == words.get_params()
    np.testing.assert_array_equal(copy.fit(names).transform(names), expected)


@pytest.mark.slow  # a fresh Python process
def test_the_model_loads_and_embeds_with_no_network_and_wordllama_is_imported_at_fit(tmp_path):
    # wordllama calls logging.basicConfig(level=INFO) when imported: not here.
    result = run_fresh(
        """
        import logging, socket, sys

        attempts = []

        def refuse(*args, **kwargs):
            attempts.append(args[:2])
            raise OSError("no network in this test")

        socket.socket.connect = socket.socket.connect_ex = refuse
        socket.create_connection = socket.getaddrinfo = refuse

        from sk_colour_embed import WordVectors

        words = WordVectors(dim=64)
        print("wordllama" in sys.modules)
        vectors = words.fit_transform(["crimson", "sky blue"])
        print(vectors.shape, "attempts:", attempts)
        print("wordllama" in sys.modules, logging.getLogger().handlers, end=" ")
        print(logging.getLevelName(logging.getLogger().level))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["False", "(2, 64) attempts: []", "True [] WARNING"]
    assert not (tmp_path / ".cache").exists() and not (tmp_path / "cache").exists()


@pytest.mark.slow  # a fresh Python process
def test_without_wordllama_the_package_works_and_the_error_says_what_to_install(tmp_path):
    result = run_fresh(
        """
        import sys
        sys.modules["wordllama"] = None  # as if not installed: its import fails

        import sk_colour_embed
        from sk_colour_embed import PairSimilarityEmbedder, WordVectors

        PairSimilarityEmbedder(vectorizer=WordVectors())
        try:
            WordVectors().fit(["red"])
        except ImportError as error:
            print(error)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("WordVectors needs wordllama (")
    assert result.stdout.strip().endswith('pip install "sk_colour_embed[words]"')


def test_the_embedder_reads_names_through_word_vectors(css4):
    X, y = css4
    embedder = PairSimilarityEmbedder(
        vectorizer=WordVectors(dim=64),
        sampler=PairSampler(n_pairs=2_000),
        epochs=3,
        batch_size=256,
        random_state=0,
    ).fit(X.iloc[:60], y.iloc[:60])
    unseen = pd.DataFrame({"name": ["crimson red", "deep ocean blue"]})
    vectors = embedder.transform(unseen)
    assert vectors.shape == (2, 2) and np.isfinite(vectors).all()


# Words and word vectors, as the docs configure them for names never seen.
WITH_WORD_VECTORS = {
    # recommended: the tutorial's lookup, and a regressor from names to its vectors
    "unseen_regressor": lambda: dict(
        unseen_regressor=make_pipeline(
            make_union(TfidfVectorizer(), WordVectors()),
            MLPRegressor(hidden_layer_sizes=64, alpha=0.1),
        )
    ),
    # the names read inside the pair model, through a hidden layer
    "vectorizer": lambda: dict(
        vectorizer=make_union(TfidfVectorizer(), WordVectors()),
        hidden_layer_sizes=(32,),
        batch_size=2048,
        learning_rate=0.004,
    ),
}


@pytest.mark.slow  # judged on the 949 xkcd colours
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # untrained
@pytest.mark.parametrize("reading", list(WITH_WORD_VECTORS))
def test_word_vectors_place_names_without_a_seen_word(xkcd_split, reading):
    # Each configuration of the docs, on few pairs, against its untrained self.
    X_train, y_train, X_test, y_test = xkcd_split
    params = dict(WITH_WORD_VECTORS[reading](), sampler=PairSampler(n_pairs=20_000), random_state=0)
    embedder = PairSimilarityEmbedder(3, epochs=40, **params).fit(X_train, y_train)
    untrained = PairSimilarityEmbedder(3, epochs=1, **{**params, "learning_rate": 1e-9})
    untrained.fit(X_train, y_train)
    words = TfidfVectorizer().fit(X_train["name"])
    no_seen_word = words.transform(X_test["name"]).getnnz(axis=1) == 0
    assert no_seen_word.sum() >= 10
    new = X_test[no_seen_word], y_test[no_seen_word]
    assert np.isfinite(embedder.transform(X_test)).all()  # every name has a vector
    assert embedder.score(*new) > untrained.score(*new) + 0.1
