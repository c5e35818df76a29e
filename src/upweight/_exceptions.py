"""The exceptions upweight raises on purpose.

Every message is one line that names what was received and what to do about it, so the
command-line tool can print it as it is.

The tree is small:

- :class:`UpweightError` -- the base of everything below; catch it to catch them all.
- :class:`LabelError` -- the labels cannot be used: missing, a single class, NaN / None
  values, mixed types, continuous values.
- :class:`PlanError` -- a sampling plan cannot be made: a factor below 1, an unknown class,
  a target share out of range, a factor that would leave a class empty.
- :class:`InputError` -- data of the wrong shape or type: ``X`` and ``y`` of different
  lengths, probabilities outside [0, 1], a weight column that already exists.
- :class:`FileError` -- a file cannot be read or written: unsupported format, unreadable,
  output equal to the input, output already present.
- :class:`MissingExtraError` -- an optional framework is not installed (also an
  :class:`ImportError`); the message names the extra, e.g. ``pip install 'upweight[lightgbm]'``.

One warning class, :class:`UpweightWarning` (a :class:`UserWarning`), says in one line what
was repaired on the way, e.g. a damaged stored run of a sweep that is computed again. Its
subclass :class:`OverDownsampleWarning` says that a factor goes too far: a downsampled class
would keep fewer rows than a class left untouched, or the smallest class is downsampled.

:class:`LabelError`, :class:`PlanError` and :class:`InputError` are also
:class:`ValueError`, as scikit-learn expects of bad arguments; :class:`FileError` is also
an :class:`OSError`, :class:`MissingExtraError` an :class:`ImportError`.
"""

from __future__ import annotations

__all__ = [
    "FileError",
    "InputError",
    "LabelError",
    "MissingExtraError",
    "OverDownsampleWarning",
    "PlanError",
    "UpweightError",
    "UpweightWarning",
]


class UpweightError(Exception):
    """Base class of the errors upweight raises on purpose.

    Examples
    --------
    Catch it to handle every error upweight raises; the message is one line.

    >>> import upweight
    >>> try:
    ...     upweight.plan({0: 900, 1: 100}, factor=0.5)
    ... except upweight.UpweightError as exc:
    ...     print(type(exc).__name__, "-", exc)  # doctest: +NORMALIZE_WHITESPACE
    PlanError - factor must be >= 1 (keep one in k rows); got 0.5 (a factor below 1 would
    mean upsampling)
    """


class LabelError(UpweightError, ValueError):
    """The labels cannot be used (missing values, one class only, mixed or continuous).

    Examples
    --------
    >>> import upweight
    >>> upweight.profile([1, 1, 1])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    upweight.LabelError: only one class (1) is present in the labels; downsampling needs at
    least two classes
    """


class PlanError(UpweightError, ValueError):
    """A sampling plan cannot be made from the arguments given.

    Examples
    --------
    >>> import upweight
    >>> upweight.plan({0: 900, 1: 100}, factor=1000)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    upweight.PlanError: factor 1000 is larger than the 900 rows of class 0: it would keep less
    than one row; use a factor of at most 900
    """


class InputError(UpweightError, ValueError):
    """Data of the wrong shape or type was passed.

    Examples
    --------
    >>> import numpy as np, upweight
    >>> upweight.downsample(np.zeros((3, 2)), [0, 1], factor=2)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    upweight.InputError: X has 3 rows but y has 2 labels; they must match
    """


class FileError(UpweightError, OSError):
    """A file cannot be read or written as asked.

    Examples
    --------
    >>> import upweight
    >>> upweight.profile_file("no_such_file.csv", label="y")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
        ...
    upweight.FileError: file not found: no_such_file.csv
    """


class MissingExtraError(UpweightError, ImportError):
    """An optional framework is not installed; the message names the extra to install.

    Examples
    --------
    Importing an adapter whose framework is missing raises it, with a message such as
    ``PyTorch is not installed: pip install 'upweight[torch]'``; it is also an
    :class:`ImportError`, so code written for optional imports catches it as it is.

    >>> import upweight
    >>> try:
    ...     import upweight.torch
    ... except upweight.MissingExtraError as exc:  # without PyTorch
    ...     message = str(exc)
    >>> issubclass(upweight.MissingExtraError, ImportError)
    True
    """


class UpweightWarning(UserWarning):
    """Something was repaired on the way; the one-line message says what.

    Examples
    --------
    A model that weights the classes itself, on top of the upweighting:

    >>> import warnings, numpy as np, upweight
    >>> from sklearn.linear_model import LogisticRegression
    >>> from upweight.sklearn import DownsampledClassifier
    >>> X, y = np.arange(100.0).reshape(-1, 1), np.array([0] * 90 + [1] * 10)
    >>> model = DownsampledClassifier(LogisticRegression(class_weight="balanced"), factor=3)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     model = model.fit(X, y)
    >>> print(caught[0].category.__name__, "-", caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    UpweightWarning - LogisticRegression(class_weight='balanced') weights the classes again
    after the downsampling: the corrected probabilities will not match the real class
    shares; leave class_weight=None
    """


class OverDownsampleWarning(UpweightWarning):
    """A factor goes too far: the one-line message names the class and the fix.

    Raised by the engines (:func:`upweight.downsample`, :func:`upweight.sample_file`, the
    scikit-learn, Spark, PyTorch and Keras adapters) when the plan they apply makes a
    downsampled class smaller than a class left untouched, or downsamples the smallest
    class; see :attr:`upweight.SamplingPlan.over_downsampled`. The data is still sampled
    as asked.

    Examples
    --------
    >>> import warnings, upweight
    >>> y = [0] * 90 + [1] * 10
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     selection = upweight.select(y, factor=30, random_state=0)
    >>> print(caught[0].category.__name__, "-", caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    OverDownsampleWarning - factor 30 keeps 3 rows of class 0, fewer than the 10 of
    untouched class 1; factor <= 9 keeps class 0 at least as large as class 1
    >>> selection.plan.kept  # sampled as asked
    {0: 3, 1: 10}
    """


def outside_stacklevel() -> int:
    """The ``stacklevel`` for :func:`warnings.warn` that names the user's line.

    Counted from the function that calls :func:`warnings.warn` (the caller of this one):
    the first frame outside upweight, and outside scikit-learn and imbalanced-learn (the
    wrappers around an estimator's ``fit``, a ``Pipeline``, a grid search), so that a
    warning points at the line that asked for the work, however deep it was found.
    """
    import os
    import sys

    inside = [os.path.dirname(os.path.abspath(__file__))]
    for name in ("sklearn", "imblearn"):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path:
            inside.append(os.path.dirname(os.path.abspath(path)))
    prefixes = tuple(p + os.sep for p in inside)
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        prefixes
    ):
        frame = frame.f_back
        level += 1
    return level
