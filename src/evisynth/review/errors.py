"""Errors of the review domain; adapters show them as one line."""


class DomainError(ValueError):
    """A domain rule was broken; the message names the field, the value and the fix."""
