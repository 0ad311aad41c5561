"""Errors raised by importers; the CLI shows them as one line."""


class ImportFormatError(ValueError):
    """A file that cannot be read; the message names the file, the line when known, and the fix."""
