"""Errors raised by the orientation package."""

from __future__ import annotations


class OrientationError(Exception):
    """Base of every error the orientation package raises."""


class SourceError(OrientationError):
    """A source file is missing, unreadable or not in an accepted format."""


class ImportAbortedError(OrientationError):
    """The import stopped before committing; the previous data is untouched."""


class SchemesError(OrientationError):
    """The schemes table (schemes.yml) is malformed."""


class DataNotLoadedError(OrientationError):
    """The orientation tables are empty: the reference data was never imported."""
