"""Persistence with skops: a fitted embedder saved and loaded without pickle."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from sk_colour_embed import ItemTable, ItemVectors

from conftest import small_embedder

# What a fitted embedder may ask to be trusted: its own classes and plain types.
PLAIN = ("sk_colour_embed.", "numpy.", "pandas.", "sklearn.", "builtins.")
ROOT = Path(__file__).parents[1]
NEW_NAMES = pd.DataFrame({"name": ["dark red", "pale sky blue"]})


KINDS = ["lookup", "tfidf", "hidden-layers", "unseen-regressor"]


@pytest.fixture(scope="module")
def all_fitted(css4):
    """An embedder of each kind, fitted once."""
    X, y = css4

    def fitted(kind):
        vectorizer = None if kind in ("lookup", "unseen-regressor") else TfidfVectorizer()
        hidden = (4,) if kind == "hidden-layers" else ()
        regressor = make_pipeline(TfidfVectorizer(analyzer="char_wb"), Ridge())
        return small_embedder(
            vectorizer=vectorizer,
            hidden_layer_sizes=hidden,
            unseen_regressor=regressor if kind == "unseen-regressor" else None,
            handle_unknown="ignore",
        ).fit(X, y)

    return {kind: fitted(kind) for kind in KINDS}


@pytest.fixture(params=KINDS)
def fitted(request, all_fitted):
    return all_fitted[request.param]


def dump_and_list_types(embedder, path):
    sio.dump(embedder, path)
    return sio.get_untrusted_types(file=path)


def test_a_fitted_embedder_round_trips_through_skops(fitted, css4, tmp_path):
    X, _ = css4
    path = tmp_path / "embedder.skops"
    types = dump_and_list_types(fitted, path)
    assert all(name.startswith(PLAIN) for name in types), types
    assert f"sk_colour_embed._vectors.{type(fitted.vectors_).__name__}" in types
    loaded = sio.load(path, trusted=types)

    assert loaded.get_params().keys() == fitted.get_params().keys()
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(loaded.transform(NEW_NAMES), fitted.transform(NEW_NAMES))
    assert loaded.most_similar("red", topn=5) == fitted.most_similar("red", topn=5)
    for keys in (loaded.vectors_.keys, loaded.items_.keys):
        assert keys.equals(fitted.vectors_.keys) and keys.dtype == fitted.vectors_.keys.dtype
    np.testing.assert_array_equal(loaded.feature_names_in_, fitted.feature_names_in_)
    assert loaded.history_ == fitted.history_


def test_skops_refuses_what_it_is_not_told_to_trust(fitted, tmp_path):
    path = tmp_path / "embedder.skops"
    types = dump_and_list_types(fitted, path)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path, trusted=[name for name in types if "ItemVectors" not in name])


def test_pickle_still_round_trips(fitted, css4):
    X, _ = css4
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(loaded.transform(NEW_NAMES), fitted.transform(NEW_NAMES))
    assert loaded.vectors_.keys.equals(fitted.vectors_.keys)
    assert loaded.vectors_.keys.dtype == fitted.vectors_.keys.dtype
    if fitted.vectors_.reader.token_form:
        assert loaded.vectors_.reader.own == fitted.vectors_.reader.own


# Loads each file named on its command line and prints the vectors of the names.
LOAD_ELSEWHERE = """
import json, sys
sys.modules['tensorflow'] = None  # a process that cannot import TensorFlow
sys.modules['keras'] = None
import pandas as pd, skops.io as sio
names = pd.DataFrame({{'name': {names!r}}})
for path in sys.argv[1:]:
    types = sio.get_untrusted_types(file=path)
    embedder = sio.load(path, trusted=types)
    print(json.dumps(embedder.transform(names).tolist()))
"""


@pytest.mark.slow  # a fresh Python process
def test_a_file_from_this_process_loads_in_another(all_fitted, css4, tmp_path):
    # One process without TensorFlow loads the file of each kind of embedder.
    X, _ = css4
    paths = [tmp_path / f"{kind}.skops" for kind in all_fitted]
    for path, fitted in zip(paths, all_fitted.values(), strict=True):
        sio.dump(fitted, path)
    names = [*X["name"][:5], *NEW_NAMES["name"]]
    code = LOAD_ELSEWHERE.format(names=names)
    # Run from the project's folder: the package under test, as here, comes first.
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()[-len(paths) :]
    for (kind, fitted), line in zip(all_fitted.items(), lines, strict=True):
        there = np.array(json.loads(line), dtype=np.float64)
        here = fitted.transform(pd.DataFrame({"name": names}))
        np.testing.assert_array_equal(there, here, err_msg=kind)


def test_several_key_columns_survive_skops_and_pickle(tmp_path):
    keys = pd.MultiIndex.from_tuples([("red", 1), ("red", 2), ("blue", 1)], names=["name", "n"])
    vectors = ItemVectors(keys, np.eye(3), distance_scale=1.0, similarity_bias=0.0)
    table = ItemTable(keys, np.eye(3))
    for original in (vectors, table):
        sio.dump(original, tmp_path / "object.skops")
        types = sio.get_untrusted_types(file=tmp_path / "object.skops")
        assert all(name.startswith(PLAIN) for name in types), types
        for loaded in (
            sio.load(tmp_path / "object.skops", trusted=types),
            pickle.loads(pickle.dumps(original)),
        ):
            assert loaded.keys.equals(keys) and list(loaded.keys.names) == ["name", "n"]
            assert list(loaded.keys) == list(keys)
            values = loaded.vectors if isinstance(loaded, ItemVectors) else loaded.descriptors
            np.testing.assert_array_equal(values, np.eye(3))
