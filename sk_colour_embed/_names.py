"""Names as people type them: folded spelling, and the known name a variant stands for.

:class:`NameIndex` holds the training names' character 3-grams. It says how far
a name is from the nearest known one (the ``add_indicator`` column), and which
known name a variant spells (another case, spacing, hyphenation, or one or two
letters typed wrong), so that :class:`~sk_colour_embed.RegressedItemVectors`
gives ``"burgandy"`` burgundy's learned vector before it guesses.
"""

import re
import unicodedata

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

# A variant differs from its known name by at most this many letters (insertions,
# deletions, substitutions, swaps of neighbours), and by at most this share of its length:
# "burgandy" (1 of 8) is burgundy, "puce" is not "puke" (1 of 4).
_MAX_EDITS = 2
_MAX_EDIT_SHARE = 0.2
# Known names compared letter by letter: the nearest by 3-grams.
_CANDIDATES = 3


def plain_name(name):
    """``name`` as people mean it: Unicode forms, case, runs of spaces, hyphens and
    underscores folded, so that ``"Dark  Olive-Green"`` is ``"dark olive green"``.

    >>> plain_name(" Dark  Olive-Green ")
    'dark olive green'
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(re.sub(r"[-_/]+", " ", folded).split())


def edits(a, b, most=_MAX_EDITS):
    """The letters to change to make ``a`` into ``b`` (Damerau-Levenshtein, neighbours
    swapped counting one), or ``most + 1`` once it is more than ``most``.

    >>> edits("burgandy", "burgundy"), edits("grey", "gery"), edits("red", "blue")
    (1, 1, 3)
    """
    if abs(len(a) - len(b)) > most:
        return most + 1
    before, row = None, list(range(len(b) + 1))
    for i, letter in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (letter != other))
            if before is not None and i > 1 and j > 1 and letter == b[j - 2] and a[i - 2] == other:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > most:
            return most + 1
        before, row = row, current
    return min(row[-1], most + 1)


class NameIndex:
    """The character 3-grams of known names, to find the nearest and the one a variant spells.

    Parameters
    ----------
    names : sequence
        The known keys; those that are not strings are left out.

    Examples
    --------
    >>> index = NameIndex(["burgundy", "navy blue", "puke", "light mint", "pink"])
    >>> index.variant_of(["Navy-Blue", "burgandy", "puce", "teal", "light pink"]).tolist()
    [1, 0, -1, -1, -1]
    """

    def __init__(self, names):
        self.positions = np.array([i for i, name in enumerate(names) if isinstance(name, str)])
        self.plain = [plain_name(names[i]) for i in self.positions]
        self.words = {word for name in self.plain for word in name.split()}
        self._reader = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), dtype=np.float64)
        try:
            self._grams = self._reader.fit_transform(self.plain)
        except ValueError:  # no name at all, or none with a 3-gram
            self._grams = None

    def similarity(self, names):
        """Each name's cosine similarity to the nearest known name, by 3-grams, and its position.

        Returns
        -------
        similarity : ndarray of shape (len(names),)
            In [0, 1]; 0 when no known name shares a 3-gram with it.
        nearest : ndarray of shape (len(names), k)
            The positions of the ``k`` most similar known names, most similar first.
        """
        n, k = len(names), min(_CANDIDATES, len(self.positions))
        if self._grams is None or not n:
            return np.zeros(n), np.zeros((n, 0), dtype=int)
        scores = self._reader.transform([plain_name(name) for name in names]) @ self._grams.T
        scores = scores.toarray()
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        best = np.clip(np.take_along_axis(scores, order[:, :1], axis=1)[:, 0], 0.0, 1.0)
        return best, self.positions[order]

    def variant_of(self, names):
        """The position of the known name each name spells otherwise, or -1.

        The same name with case, spacing and hyphens folded; or, for a name
        with a word no known name has, one at most ``_MAX_EDITS`` letters
        (and a fifth of its length) away.
        """
        _, nearest = self.similarity(names)
        found = np.full(len(names), -1)
        plain = {}
        for name, position in zip(self.plain, self.positions, strict=True):
            plain.setdefault(name, position)  # the first of names folded alike
        for row, name in enumerate(names):
            name = plain_name(name)
            if name in plain:
                found[row] = plain[name]
                continue
            if set(name.split()) <= self.words:
                continue  # known words first: "light pink" is not a typo of "light mint"
            most = min(_MAX_EDITS, int(_MAX_EDIT_SHARE * len(name)))
            for position in nearest[row]:
                known = self.plain[int(np.searchsorted(self.positions, position))]
                if most and edits(name, known, most) <= most:
                    found[row] = position
                    break
        return found
