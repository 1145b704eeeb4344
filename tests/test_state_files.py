"""Files of plain state and arrays (``sk_colour_embed._state_files``): what the shipped fits are."""

import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest

from sk_colour_embed._state_files import dumps, loads

from conftest import nearest_name_regressor, small_embedder


def test_a_fitted_embedder_round_trips_and_shares_what_it_shared(css4):
    X, y = css4
    fitted = small_embedder(unseen_regressor=nearest_name_regressor()).fit(X, y)
    loaded = loads(dumps(fitted))
    names = pd.DataFrame({"name": ["red", "burgandy", "pale sky blue"]})
    np.testing.assert_array_equal(loaded.transform(names), fitted.transform(names))
    assert loaded.classifier_.vectors_ is loaded.vectors_  # one object, as in the fit
    assert loaded.most_similar("red", topn=3) == fitted.most_similar("red", topn=3)
    assert pickle.loads(pickle.dumps(loaded)).history_ == fitted.history_


def rewritten(data, change):
    """``data`` with its tree changed by ``change``."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        tree, arrays = json.loads(archive.read("tree.json")), archive.read("arrays.npz")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("tree.json", json.dumps(change(tree)))
        archive.writestr("arrays.npz", arrays)
    return out.getvalue()


@pytest.mark.parametrize("name", ["subprocess.Popen", "builtins.eval", "os.system", "numpy.load"])
def test_a_file_that_names_a_class_outside_the_allowed_modules_is_refused(name):
    data = rewritten(dumps({"a": 1}), lambda tree: {"object": name, "id": 0, "state": {}})
    with pytest.raises(ValueError, match=f"the file names '{name}', which is not a class"):
        loads(data)


def test_an_object_of_a_class_outside_the_allowed_modules_is_not_written():
    with pytest.raises(ValueError, match="'pandas.DataFrame', which is not a class"):
        dumps([pd.DataFrame({"a": [1]})])
