"""Callbacks of the training: the engine's epoch callbacks, and scikit-learn's.

The engine calls each of its callbacks as ``callback(epoch, loss, variables)``
before training (``epoch`` 0, ``loss`` NaN) and after every epoch;
``variables()`` gives the model's trainable weights at that point: the token
vectors, the encoder's weights, then the head's two. One that returns True
after an epoch ends training there. :class:`Recorder` keeps the vectors.

scikit-learn's callbacks (``set_callbacks``: ``ProgressBar``,
``ScoringMonitor`` and the user's own) see a fit as a task of one subtask an
epoch: :func:`fit_task` runs an estimator's fit as that task, and its
:class:`EpochTasks` tells them of each epoch.
"""

from contextlib import contextmanager

import numpy as np
from sklearn.callback import ProgressBar

from sk_colour_embed._vectors import compose
from sk_colour_embed._warnings import warn_user


class Recorder:
    """Keep the item vectors every ``every`` epochs, epoch 0 included.

    ``item_weights`` (the items' token weights) and ``normalize`` turn token
    vectors (and the encoder's weights) into item vectors, as
    :func:`sk_colour_embed._vectors.compose` does.
    """

    def __init__(self, every, item_weights, normalize):
        self.every = every
        self.item_weights = item_weights
        self.normalize = normalize
        self.epochs, self.frames = [], []

    def __call__(self, epoch, loss, variables):
        if epoch % self.every == 0:
            self.epochs.append(epoch)
            token_vectors, *encoder, _, _ = variables()  # the head's scale and bias last
            vectors = compose(self.item_weights, token_vectors, self.normalize, encoder)
            self.frames.append(vectors.astype(np.float32))

    def result(self):
        """The recorded epochs and the stacked item vectors."""
        return np.array(self.epochs), np.stack(self.frames)


class EpochTasks:
    """Tell scikit-learn's callbacks of each epoch, one subtask of the fit's task each.

    Called as the training core's ``on_epoch(epoch, training)``, where
    ``training()`` gives the ``FitResult`` as it stands. As scikit-learn's
    ``LogisticRegression`` tells them of its iterations: the first epoch's task
    begins before training, and each epoch's end begins the next one's; a
    callback's ``on_fit_task_end`` returning True ends training there (the
    call returns True). ``fitted_attributes(training)`` gives the attributes
    that make a copy of the estimator predict, transform and score as after
    that epoch, for the callbacks that ask for a ``fitted_estimator``
    (``ScoringMonitor``); they are built only then.
    """

    def __init__(self, context, estimator, X, y, n_epochs, fitted_attributes):
        self.context, self.estimator = context, estimator
        self.X, self.y = X, y
        self.n_epochs = n_epochs
        self.fitted_attributes = fitted_attributes
        self.task = None  # the epoch under way

    def _hook_arguments(self, training):
        return dict(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            reconstruction_attributes=lambda: self.fitted_attributes(training()),
        )

    def __call__(self, epoch, training):
        stop = False
        if self.task is not None:
            stop = self.task.call_on_fit_task_end(**self._hook_arguments(training))
            self.task = None
        if epoch < self.n_epochs and not stop:
            self.task = self.context.subcontext(task_name="epoch")
            self.task.call_on_fit_task_begin(**self._hook_arguments(training))
        return stop

    def close(self):
        """End the task of an epoch that never ran, after training stopped early, as empty."""
        if self.task is not None:
            self.task.call_on_fit_task_end(estimator=self.estimator)
            self.task = None


class FitTask:
    """An estimator's fit as scikit-learn's callbacks see it, from :func:`fit_task`."""

    def __init__(self, context, estimator, X, y, n_epochs):
        self.context, self.estimator = context, estimator
        self.X, self.y = X, y
        self.n_epochs = n_epochs
        self.epochs = None

    def epoch_tasks(self, fitted_attributes):
        """An :class:`EpochTasks` for the training core's ``on_epoch``, or None.

        None when no callback is set (a fit without callbacks pays nothing an
        epoch) or the fit has no epochs of its own.
        """
        if not getattr(self.estimator, "_skl_callbacks", None) or not self.n_epochs:
            return None
        self.epochs = EpochTasks(
            self.context, self.estimator, self.X, self.y, self.n_epochs, fitted_attributes
        )
        return self.epochs


def _progress_bar(estimator):
    """The ``ProgressBar`` that ``verbose`` asks of this fit, or None.

    ``verbose=1`` is ``set_callbacks(ProgressBar())`` for the fit, unless one
    is set already. Inside a meta-estimator that tells its sub-estimators of
    its callbacks (``GridSearchCV``, ``Pipeline``), scikit-learn shows bars
    only for callbacks set on the outermost estimator: there it shows none,
    and says so once.
    """
    callbacks = getattr(estimator, "_skl_callbacks", [])
    if not estimator.verbose or any(isinstance(c, ProgressBar) for c in callbacks):
        return None
    if hasattr(estimator, "_parent_callback_ctx"):
        warn_user(
            f"{type(estimator).__name__}(verbose={estimator.verbose}) shows no progress bar "
            "inside a meta-estimator (GridSearchCV, Pipeline): set the bar on the outermost "
            "one, search.set_callbacks(sklearn.callback.ProgressBar(max_propagation_depth="
            "None)), to see each fit's epochs under it.",
            once=True,
        )
        return None
    return ProgressBar()


@contextmanager
def fit_task(estimator, X, y, n_epochs):
    """Run ``estimator``'s fit on ``X, y`` as a task of scikit-learn's callbacks.

    Yields the fit's :class:`FitTask`.

    The estimator has ``CallbackSupportMixin`` and its ``fit`` runs under
    scikit-learn's ``_fit_context``, which tears the callbacks down whatever
    happens. Enter this before anything that restores the estimator's state
    on failure (``all_or_nothing``), so that the callbacks' record of the fit
    stays for their teardown. The task has ``n_epochs`` subtasks at most; its
    end is called when the block completes, the estimator fitted.
    """
    bar = _progress_bar(estimator)
    own = getattr(estimator, "_skl_callbacks", None)
    if bar is not None:
        estimator._skl_callbacks = [*(own or []), bar]
    try:
        context = estimator._init_callback_context(max_subtasks=n_epochs)
        context.call_on_fit_task_begin(estimator=estimator, X=X, y=y)
        task = FitTask(context, estimator, X, y, n_epochs)
        yield task
        if task.epochs is not None:
            task.epochs.close()
        context.call_on_fit_task_end(estimator=estimator, X=X, y=y, reconstruction_attributes={})
    finally:
        if bar is not None:  # the fit's alone, as verbose asked
            estimator.set_callbacks(*(own or []))
