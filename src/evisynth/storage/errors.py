"""Errors of the storage layer; the CLI shows them as one line."""

from __future__ import annotations


class StorageError(ValueError):
    """A project operation was refused; the message names the id or field and the fix.

    Nothing stored has changed when this is raised: every operation runs in one transaction.
    """


class BundleError(ValueError):
    """A review bundle that cannot be read.

    The message names the file, the line when known, the field, the value and the fix, e.g.
    ``values.csv line 14: 'value' must be a number (got "1,077.1"); write numbers without
    thousands separators``.
    """
