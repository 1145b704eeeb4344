"""ColourWordTranslator: the basic colour words of other languages, read as English."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sk_colour_embed import ColourWordTranslator, load_colours
from sk_colour_embed._recommended import names_to_vectors

from conftest import small_embedder


def translated(names):
    return ColourWordTranslator().fit_transform(names).tolist()


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Rosso Corsa", "red Corsa"),  # Italian
        ("Gris Anthracite", "grey Anthracite"),  # French
        ("Verde Oscuro", "green dark"),  # Spanish
        ("Azul Marinho", "Azul Marinho"),  # "azul" is an xkcd colour: it reads as that
        ("Cinzento Claro", "grey light"),  # Portuguese
        ("Grün Metallic", "green Metallic"),  # German, with its umlaut
        ("GRUEN metallic", "green metallic"),  # ... and without
        ("Zwarte Parel", "black Parel"),  # Dutch
        ("Vert Foncé", "green dark"),  # accents folded, any case
        ("Bianco  Avus-Perla", "white  Avus-Perla"),  # spacing and other words as given
    ],
)
def test_foreign_colour_words_become_english_and_the_rest_stays(name, expected):
    assert translated([name]) == [expected]


def test_the_bundled_tables_names_are_left_as_they_are():
    # Their words are the reference's: a word of theirs in the lexicon would change the
    # names the recommended regressor learns from ("rouge" and "rosa" are xkcd colours).
    for table in ("xkcd", "css4"):
        names = load_colours(table, return_X_y=True)[0].iloc[:, 0].tolist()
        assert translated(names) == names


def test_a_name_with_no_foreign_colour_word_is_unchanged_character_for_character():
    names = ["Midnight Blue", "burgandy", "zzzz qqq", "", "  Dark  Olive-Green ", "rossoverde"]
    names += ["Hell Fire Red", "Dry Rot", "Quick Wit"]  # English words, whatever German says
    assert translated(names) == names


def test_any_column_of_names_gives_the_same_column():
    names = ["Rosso Corsa", "navy"]
    expected = ["red Corsa", "navy"]
    for X in (names, np.array(names), pd.Series(names, name="paint"), pd.DataFrame({"p": names})):
        result = ColourWordTranslator().fit(X).transform(X)
        assert result.shape == (2,) and result.dtype == object and result.tolist() == expected


@pytest.mark.parametrize(
    "X, message",
    [
        (
            ["red", None],
            r"ColourWordTranslator, X must hold names as strings; row 1 holds a missing",
        ),
        (["red", 3], r"row 1 holds 3 \(int\)"),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), r"one column of names; it has 2 columns"),
    ],
)
def test_what_is_not_a_column_of_names_is_refused_saying_where(X, message):
    with pytest.raises(ValueError, match=message):
        ColourWordTranslator().fit(X)
    fitted = ColourWordTranslator().fit(["red"])
    if not isinstance(X, pd.DataFrame):
        with pytest.raises(ValueError, match=message):
            fitted.transform(X)


def test_a_failed_fit_leaves_the_translator_as_it_was():
    translator = ColourWordTranslator().fit(pd.DataFrame({"paint": ["Rosso"]}))
    with pytest.raises(ValueError, match="row 0 holds a missing name"):
        translator.fit([None])
    assert list(translator.feature_names_in_) == ["paint"]


def test_unfitted_it_says_so_and_fitted_it_pickles_and_clones():
    with pytest.raises(NotFittedError):
        ColourWordTranslator().transform(["Rosso"])
    fitted = ColourWordTranslator().fit(["navy"])
    assert pickle.loads(pickle.dumps(fitted)).transform(["Nero"]).tolist() == ["black"]
    assert not hasattr(clone(fitted), "n_features_in_")


def test_the_recommended_regressor_places_a_foreign_colour_word_by_its_meaning(css4):
    # A regressor from css4 names to their RGB, with and without the translator: "Verde
    # Zabito" (a brand-like name) is green to the one that reads "verde" as green.
    X, y = css4
    names = X.iloc[:, 0].to_numpy(dtype=object)
    reading = names_to_vectors().set_params(mlpregressor__random_state=0)
    without = clone(reading).set_params(colourwordtranslator="passthrough")
    green, red = y.loc[X.iloc[:, 0] == "green"].iloc[0], y.loc[X.iloc[:, 0] == "red"].iloc[0]
    probes = np.array(["Verde Zabito", "Rosso Puvimno"], dtype=object)
    with_rgb = reading.fit(names, y).predict(probes)
    without_rgb = without.fit(names, y).predict(probes)
    for row, colour in enumerate((green, red)):
        near = np.linalg.norm(with_rgb[row] - colour)
        assert near < 0.5 * np.linalg.norm(without_rgb[row] - colour), (with_rgb, without_rgb)


def test_an_embedder_places_a_name_in_another_language_by_its_colour_word(css4):
    X, y = css4
    embedder = small_embedder(n_components=3, unseen_regressor=names_to_vectors()).fit(X, y)
    probes = {"Rosso Corsa": "red", "Verde Zabito": "green", "Nero Opaco": "black",
              "Bianco Avus": "white", "Giallo Modena": "yellow", "Bleu Nuit": "blue"}  # fmt: skip

    def found(vectors):
        return [
            colour in dict(vectors.most_similar(name, topn=5)) for name, colour in probes.items()
        ]

    assert all(found(embedder.vectors_)), found(embedder.vectors_)
    embedder.vectors_.regressor.set_params(colourwordtranslator="passthrough")
    assert sum(found(embedder.vectors_)) <= 1  # read as made-up words, they land anywhere
