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
    """Base class of the errors upweight raises on purpose."""


class LabelError(UpweightError, ValueError):
    """The labels cannot be used (missing values, one class only, mixed or continuous)."""


class PlanError(UpweightError, ValueError):
    """A sampling plan cannot be made from the arguments given."""


class InputError(UpweightError, ValueError):
    """Data of the wrong shape or type was passed."""


class FileError(UpweightError, OSError):
    """A file cannot be read or written as asked."""


class MissingExtraError(UpweightError, ImportError):
    """An optional framework is not installed; the message names the extra to install."""


class UpweightWarning(UserWarning):
    """Something was repaired on the way; the one-line message says what."""


class OverDownsampleWarning(UpweightWarning):
    """A factor goes too far: the one-line message names the class and the fix.

    Raised by the engines (:func:`upweight.downsample`, :func:`upweight.sample_file`, the
    scikit-learn, Spark, PyTorch and Keras adapters) when the plan they apply makes a
    downsampled class smaller than a class left untouched, or downsamples the smallest
    class; see :attr:`upweight.SamplingPlan.over_downsampled`. The data is still sampled
    as asked.
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
