"""Fitted estimators as files that load without pickle: a tree of plain values and arrays.

:func:`dumps` writes an object as a zip of ``tree.json`` (dicts, lists,
strings, numbers, and for each object its class's name and its state) and
``arrays.npz`` (NumPy arrays, saved without pickle). :func:`loads` makes
objects only of classes in the modules of ``ALLOWED``, by ``__new__`` and
their own ``__setstate__`` (or ``__dict__``): it never calls code that the
file names, as unpickling would. The shipped fits (``_shipped``) are such
files: skops reads the same kind of state, but its import lists every
scikit-learn estimator, seconds that a fresh process's first vector need not
pay.

>>> import numpy as np
>>> from sklearn.preprocessing import StandardScaler
>>> scaler = StandardScaler().fit(np.arange(6.0).reshape(3, 2))
>>> loads(dumps(scaler)).transform([[2.0, 3.0]])
array([[0., 0.]])
"""

import importlib
import io
import json
import zipfile

import numpy as np
import scipy.sparse as sp

# The modules whose classes a file may hold.
ALLOWED = ("sk_colour_embed.", "sklearn.", "numpy.")


def _qualified(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _allowed_class(name):
    """The class named ``name`` (``module.Class``), if its module is allowed, or an error."""
    module, _, qualname = name.rpartition(".")
    if not (module + ".").startswith(ALLOWED) or "." in qualname:
        raise ValueError(f"the file names {name!r}, which is not a class it may hold")
    value = getattr(importlib.import_module(module), qualname, None)
    if not isinstance(value, type):
        raise ValueError(f"the file names {name!r}, which is not a class")
    return value


class _Writer:
    def __init__(self):
        self.arrays, self.seen = {}, {}

    def array(self, value):
        key = f"a{len(self.arrays)}"
        self.arrays[key] = value
        return key

    def node(self, value):
        if value is None or isinstance(value, bool | str):
            return value
        if type(value) is int or type(value) is float:
            return value
        if isinstance(value, np.generic):
            return {"scalar": value.dtype.str, "value": value.item()}
        if isinstance(value, np.ndarray):
            if value.dtype.kind == "O":
                items = [self.node(item) for item in value.ravel().tolist()]
                return {"objects": items, "shape": list(value.shape)}
            return {"array": self.array(value)}
        if isinstance(value, np.dtype):
            return {"dtype": value.str}
        if isinstance(value, type):
            _allowed_class(_qualified(value))  # a class the file may name
            return {"type": _qualified(value)}
        if isinstance(value, list):
            return [self.node(item) for item in value]
        if isinstance(value, tuple):
            return {"tuple": [self.node(item) for item in value]}
        if isinstance(value, dict):
            return {"dict": [[self.node(k), self.node(v)] for k, v in value.items()]}
        if isinstance(value, np.random.RandomState):
            return {"random_state": self.node(value.get_state())}
        if sp.issparse(value):  # as its CSR arrays, and whether it was an array or a matrix
            csr = value.tocsr()
            parts = [self.array(part) for part in (csr.data, csr.indices, csr.indptr)]
            kind = "array" if isinstance(value, sp.sparray) else "matrix"
            return {"sparse": value.format, "kind": kind, "parts": parts, "shape": csr.shape}
        return self.instance(value)

    def instance(self, value):
        name = _qualified(type(value))
        _allowed_class(name)
        if id(value) in self.seen:  # the same object, as an estimator and its parts share it
            return {"ref": self.seen[id(value)]}
        self.seen[id(value)] = number = len(self.seen)
        state = value.__getstate__() if hasattr(value, "__getstate__") else vars(value)
        return {"object": name, "id": number, "state": self.node(state)}


class _Reader:
    def __init__(self, arrays):
        self.arrays, self.made = arrays, {}

    def node(self, value):
        if not isinstance(value, dict | list):
            return value
        if isinstance(value, list):
            return [self.node(item) for item in value]
        if "scalar" in value:
            return np.array(value["value"], dtype=np.dtype(value["scalar"]))[()]
        if "array" in value:
            return self.arrays[value["array"]]
        if "objects" in value:
            items = np.empty(len(value["objects"]), dtype=object)
            items[:] = [self.node(item) for item in value["objects"]]
            return items.reshape(value["shape"])
        if "dtype" in value:
            return np.dtype(value["dtype"])
        if "type" in value:
            return _allowed_class(value["type"])
        if "tuple" in value:
            return tuple(self.node(item) for item in value["tuple"])
        if "dict" in value:
            return {self.node(k): self.node(v) for k, v in value["dict"]}
        if "random_state" in value:
            random_state = np.random.RandomState()
            random_state.set_state(self.node(value["random_state"]))
            return random_state
        if "sparse" in value:
            make = sp.csr_array if value["kind"] == "array" else sp.csr_matrix
            parts = tuple(self.arrays[part] for part in value["parts"])
            return make(parts, shape=tuple(value["shape"])).asformat(value["sparse"])
        if "ref" in value:
            return self.made[value["ref"]]
        return self.instance(value)

    def instance(self, value):
        cls = _allowed_class(value["object"])
        made = cls.__new__(cls)
        state = self.node(value["state"])
        if hasattr(made, "__setstate__"):
            made.__setstate__(state)
        else:
            vars(made).update(state)
        self.made[value["id"]] = made
        return made


def dumps(value):
    """``value`` as the bytes of a file :func:`loads` reads.

    Raises a ``ValueError`` for an object whose class is not in ``ALLOWED``.
    """
    writer = _Writer()
    tree = writer.node(value)
    arrays = io.BytesIO()
    np.savez(arrays, **writer.arrays)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("tree.json", json.dumps(tree))
        archive.writestr("arrays.npz", arrays.getvalue())
    return data.getvalue()


def loads(data):
    """The object of the bytes of :func:`dumps`: only classes of ``ALLOWED`` are made."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        tree = json.loads(archive.read("tree.json"))
        with np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=False) as arrays:
            arrays = dict(arrays)
    return _Reader(arrays).node(tree)
