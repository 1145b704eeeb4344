"""The basic colour words of other languages, read as English: "Rosso Corsa" as "red Corsa".

Product names borrow colour words from Italian, French, Spanish, Portuguese,
German and Dutch ("Bianco Avus", "Gris Anthracite", "Verde Oliva"). The
reference tables name colours in English, and neither their 3-grams nor
general word vectors say that "rosso" is red: rewritten, such a name is
read by the English word it holds.
"""

import re
import unicodedata

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from sk_colour_embed._atomic import atomic
from sk_colour_embed._readers import NameColumnMixin

# The eleven basic colour terms (Berlin and Kay), gold and silver, and the modifiers a
# colour name takes, in Italian, French, Spanish, Portuguese, German and Dutch, with their
# inflections, written without accents (they are folded before the lookup). A word that a
# bundled table's names hold already is left out ("rose", "violet", "golden"; and "rosa",
# "rouge", "azul", which the xkcd table names as colours of their own): the reference's
# names read as they are, and a product name with such a word reads by the reference's.
# So is a word English gives another sense ("rot", "hell", "wit"): "Hell Fire Red" is red.
_WORDS = {
    "red": "rosso rossa rossi rosse rojo roja rojos rojas vermelho vermelha rote roter rotes rood",
    "orange": "arancio arancione arancioni naranja naranjas laranja laranjas oranje",
    "yellow": "giallo gialla gialli gialle jaune jaunes amarillo amarilla amarelo amarela "
    "gelb gelbe gelber gelbes geel gele",
    "green": "verde verdi verdes vert verte verts vertes grun grune gruner grunes gruen "
    "gruene groen groene",
    "blue": "blu bleu bleue bleus azules azuis blau blaue blauer blaues blauw blauwe",
    "light blue": "azzurro azzurra celeste",
    "purple": "viola morado morada roxo roxa violett violette lila paars paarse",
    "pink": "rosado rosada roze",
    "brown": "marrone marroni marron marrom brun brune bruns castano castana castanho "
    "castanha braun braune brauner bruin bruine",
    "grey": "grigio grigia grigi grigie gris grise grises cinza cinzento cinzenta grau "
    "graue grauer grijs grijze",
    "black": "nero nera neri nere noir noire noirs negro negra negros preto preta schwarz "
    "schwarze schwarzer zwart zwarte",
    "white": "bianco bianca bianchi bianche blanc blanche blancs blanco blanca blancos "
    "branco branca weiss weisse weisser witte",
    "gold": "oro dorato dorata dore doree dorado dorada ouro dourado dourada",
    "silver": "argento argentato argent argente plata plateado prata prateado silber zilver",
    "light": "chiaro chiara clair claire claro clara helle heller licht lichte",
    "dark": "scuro scura fonce foncee oscuro oscura escuro escura dunkel dunkle dunkler "
    "donker donkere",
    "pale": "pallido pallida palido palida blass bleek",
}
LEXICON = {word: english for english, words in _WORDS.items() for word in words.split()}
_WORD = re.compile(r"[^\W\d_]+")


def _folded(word):
    """``word`` without case or accents: "Grün" is "grun", "Foncé" is "fonce"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(letter for letter in decomposed if not unicodedata.combining(letter))


def _english(match):
    word = match.group()
    return LEXICON.get(_folded(word), word)


class ColourWordTranslator(NameColumnMixin, TransformerMixin, BaseEstimator):
    """Rewrite the basic colour words of six European languages in English.

    Each word of a name that is a basic colour word (red, orange, yellow,
    green, blue, light blue, purple, pink, brown, grey, black, white, gold,
    silver) or a colour modifier (light, dark, pale) in Italian, French,
    Spanish, Portuguese, German or Dutch becomes the English word, whatever
    its case and accents; the rest of the name stays as it is. The first
    step of the recommended ``unseen_regressor``: the reference tables name
    colours in English, and neither their character 3-grams nor general word
    vectors tell that "rosso" is red. It learns nothing; like scikit-learn's
    text vectorizers, it takes a column of names, and it gives one.

    Attributes
    ----------
    n_features_in_ : int
        1, the column of names.
    feature_names_in_ : ndarray of shape (1,)
        The column's name, when ``X`` in :meth:`fit` had a string one.

    Examples
    --------
    >>> from sk_colour_embed import ColourWordTranslator
    >>> names = ["Rosso Corsa", "Grün Metallic", "navy"]
    >>> ColourWordTranslator().fit_transform(names).tolist()
    ['red Corsa', 'green Metallic', 'navy']
    """

    @atomic
    def fit(self, X, y=None):
        """Check the names; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, 1)
            Names, as strings: a missing name or a number is refused, naming its row.
        y : None
            Ignored.

        Returns
        -------
        self : ColourWordTranslator
        """
        self._validate_names(X, reset=True)
        return self

    def transform(self, X):
        """The names ``X`` with their foreign colour words in English.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, 1)
            Names, as strings.

        Returns
        -------
        ndarray of shape (n_samples,), dtype object
            The names, as the column scikit-learn's text vectorizers take.
        """
        check_is_fitted(self)
        return np.array(
            [_WORD.sub(_english, name) for name in self._validate_names(X)], dtype=object
        )
