"""Fits that ship with the package (``sk_colour_embed._shipped``), and the recommended
colour embedder that uses them (``colour_embedder``)."""

import hashlib
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone

import sk_colour_embed._shipped as shipped
from sk_colour_embed import colour_embedder
from sk_colour_embed._reference import _VERSIONS, FITS, fit_key
from sk_colour_embed._state_files import dumps

from conftest import small_embedder

# The shipped fits serve the library versions that made them (their keys hold them); with
# others the same settings train, and the tests of what ships cannot be run.
MADE_WITH = json.loads(shipped.MANIFEST.read_text())["made_with"]["versions"]
made_with_these_versions = pytest.mark.skipif(
    MADE_WITH != list(_VERSIONS),
    reason=f"the shipped fits were made with {MADE_WITH}, not {list(_VERSIONS)}: "
    "python scripts/make_shipped_fits.py makes them anew",
)


@pytest.fixture
def fits_folder(tmp_path, monkeypatch):
    """An empty folder of shipped fits, in place of the package's, and no fit in memory."""
    monkeypatch.setattr(shipped, "FOLDER", tmp_path)
    monkeypatch.setattr(shipped, "MANIFEST", tmp_path / "manifest.json")
    shipped._manifest.cache_clear()
    FITS.clear()
    yield tmp_path
    shipped._manifest.cache_clear()
    FITS.clear()


def ship(folder, estimator, X, y, fitted):
    """Ship ``fitted`` as the fit of ``estimator`` on ``X, y``, as the script does."""
    data = dumps(fitted)
    name = f"{fit_key(estimator, X, y)}.fit"
    (folder / name).write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps({"fits": {name: {"sha256": sha}}}))
    return folder / name


def test_a_reference_fit_of_shipped_settings_is_the_shipped_fit(css4, fits_folder):
    X, y = css4
    embedder = small_embedder(reference=(X, y))
    own = clone(embedder).set_params(reference=None)
    # Another fit under the key: what the reference fit gives shows where it came from.
    other = small_embedder(random_state=1).fit(X, y)
    ship(fits_folder, own, X, y, other)
    np.testing.assert_array_equal(embedder.fit(X).transform(X), other.transform(X))


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),  # cut
        lambda path: path.write_bytes(b"\0" * 100),  # overwritten
        lambda path: path.write_bytes(b""),  # emptied
    ],
)
def test_a_damaged_shipped_fit_costs_no_fit(css4, fits_folder, damage):
    X, y = css4
    embedder = small_embedder(reference=(X, y))
    own = clone(embedder).set_params(reference=None)
    damage(ship(fits_folder, own, X, y, small_embedder(random_state=1).fit(X, y)))
    with pytest.warns(RuntimeWarning) as caught:
        vectors = embedder.fit(X).transform(X)
    assert len([w for w in caught if "shipped" in str(w.message)]) == 1
    assert "SK_COLOUR_EMBED_SHIPPED_FITS=off" in str(caught[0].message)
    np.testing.assert_array_equal(vectors, clone(own).fit(X, y).transform(X))  # trained


def test_shipped_fits_can_be_turned_off(css4, fits_folder, monkeypatch):
    X, y = css4
    embedder = small_embedder(reference=(X, y))
    own = clone(embedder).set_params(reference=None)
    ship(fits_folder, own, X, y, small_embedder(random_state=1).fit(X, y))
    monkeypatch.setenv(shipped.SHIPPED_OFF, "off")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        vectors = embedder.fit(X).transform(X)
    np.testing.assert_array_equal(vectors, clone(own).fit(X, y).transform(X))


@made_with_these_versions
def test_each_shipped_file_is_the_one_its_settings_ask_for_and_whole():
    # A change of the package's parameters changes the key: the fits must be made anew
    # (python scripts/make_shipped_fits.py), or colour_embedder() would train.
    manifest = json.loads(shipped.MANIFEST.read_text())["fits"]
    for words in (False, True):
        embedder = colour_embedder(words=words)
        own = clone(embedder).set_params(reference=None, memory=None)
        name = f"{fit_key(own, *embedder.reference)}.fit"
        assert name in manifest, (words, name)
        data = (shipped.FOLDER / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == manifest[name]["sha256"]
    assert {path.name for path in shipped.FOLDER.glob("*.fit")} == set(manifest)


NO_TENSORFLOW = """
import sys, time
sys.modules['tensorflow'] = None  # any import of TensorFlow now fails
sys.modules['keras'] = None
import warnings
warnings.simplefilter("error")
from sk_colour_embed import colour_embedder
names = ["Midnight Blue", "burgandy", "Rosso Corsa", None] * 250
for words in (False, True):
    embedder = colour_embedder(words=words).fit(names)
    vectors = embedder.transform(names)
    print(words, vectors.shape, list(embedder.get_feature_names_out()[-3:]))
"""


@pytest.mark.slow  # a fresh Python process
@made_with_these_versions
def test_the_recommended_embedder_is_ready_without_tensorflow():
    # Both shipped fits, without and with word vectors, in one process without TensorFlow.
    result = subprocess.run([sys.executable, "-c", NO_TENSORFLOW], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    said = (
        "(1000, 11) ['pairsimilarityembedder_missing', 'pairsimilarityembedder_unseen', "
        "'pairsimilarityembedder_name_distance']"
    )
    assert result.stdout.splitlines()[-2:] == [f"False {said}", f"True {said}"]


@pytest.mark.slow  # the shipped fit's settings, at real size
@made_with_these_versions
def test_the_shipped_fit_is_what_its_settings_train(monkeypatch):
    # The script that makes the fits trains them as any fit does; on the machine that made
    # them the vectors are the same bit for bit, elsewhere XLA's code for another processor
    # may differ in the last bits, which the training can carry further.
    embedder = colour_embedder()
    X, y = embedder.reference
    loaded = clone(embedder).fit(X)
    monkeypatch.setenv(shipped.SHIPPED_OFF, "off")
    FITS.clear()
    trained = clone(embedder).set_params(reference=None).fit(X, y)
    np.testing.assert_allclose(loaded.embedding_, trained.embedding_, rtol=1e-3, atol=1e-4)
    assert loaded.score(X, y) == pytest.approx(trained.score(X, y), abs=1e-3)
