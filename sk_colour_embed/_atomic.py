"""An estimator changes whole or not at all: a fit or ``set_params`` that fails leaves it as it was.

scikit-learn's ``validate_data`` records ``n_features_in_`` before the package's own checks
of the same data run, and its ``set_params`` sets the parameters one by one, so an error
part-way would leave a mix of old and new. The estimators use these instead.
"""

from collections import defaultdict
from contextlib import contextmanager
from functools import wraps


@contextmanager
def all_or_nothing(estimator):
    """Restore ``estimator``'s attributes if the block fails or is interrupted.

    A fit either completes or leaves the estimator as it was: no mix of a new
    ``n_features_in_`` with old vectors, no half-fitted first fit.
    """
    state = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(state)
        raise


def atomic(method):
    """``method`` run :func:`all_or_nothing`: if it fails, the estimator is as it was."""

    @wraps(method)
    def run_whole_or_not_at_all(estimator, *args, **kwargs):
        with all_or_nothing(estimator):
            return method(estimator, *args, **kwargs)

    return run_whole_or_not_at_all


def check_param_names(estimator, params, prefix=""):
    """Raise a ``ValueError`` naming a parameter ``set_params`` cannot set, before any is set.

    A name is settable when scikit-learn's ``set_params`` would set it: a parameter of
    ``estimator``, or ``<component>__<parameter>`` of a component that is an estimator
    (given in the same call, or already there) and has that parameter, at any depth.

    Examples
    --------
    >>> from sk_colour_embed import PairSimilarityEmbedder
    >>> check_param_names(PairSimilarityEmbedder(), {"vectorizer__lowercase": False})
    Traceback (most recent call last):
    ...
    ValueError: Cannot set parameter 'vectorizer__lowercase': vectorizer is None, ...
    """
    valid = estimator.get_params(deep=True)
    # scikit-learn sets the components given in the same call before their parameters.
    values = {**valid, **{name: value for name, value in params.items() if name in valid}}
    nested = defaultdict(dict)
    for name, value in params.items():
        key, delim, sub_name = name.partition("__")
        if key not in values:
            raise ValueError(
                f"Invalid parameter {prefix + name!r}: {type(estimator).__name__} has no "
                f"parameter {key!r}; its parameters are "
                f"{sorted(k for k in valid if '__' not in k)!r}. No parameter was set."
            )
        if delim:
            nested[key][sub_name] = value
    for key, sub_params in nested.items():
        component = values[key]
        if not hasattr(component, "get_params") or isinstance(component, type):
            raise ValueError(
                f"Cannot set parameter {prefix + key + '__' + next(iter(sub_params))!r}: "
                f"{prefix + key} is {component!r}, which has no parameters; give {key} an "
                "estimator first (in the same call or before). No parameter was set."
            )
        check_param_names(component, sub_params, prefix=f"{prefix}{key}__")


class AtomicParamsMixin:
    """``set_params`` that sets every parameter given, or none and names the one at fault."""

    def set_params(self, **params):
        """Set the parameters of this estimator, all of them or none.

        As scikit-learn's ``set_params`` (``<component>__<parameter>`` sets a
        component's parameter), but every name is checked first: an unknown
        name, or one under a component that is not an estimator (such as
        ``vectorizer__lowercase`` with ``vectorizer=None``), raises a
        ``ValueError`` that names it, and nothing is set.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        check_param_names(self, params)
        return super().set_params(**params)
