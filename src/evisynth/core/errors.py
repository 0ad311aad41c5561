"""Errors raised by the numeric core; adapters turn them into one-line messages."""


class InputError(ValueError):
    """Input that cannot be analysed; the message names the value and the fix."""


class ConvergenceError(RuntimeError):
    """An iterative estimator did not converge; the message names the analysis and a remedy."""
