"""Storage of review projects: a database per project (SQLite or PostgreSQL) and the bundle.

``open_project`` opens a project and migrates its schema; ``Project`` loads and saves the
review, extracted values, resolutions and appraisals, every change audited; the modules
``records`` (imported records and duplicate links) and ``screening`` (decisions, full texts,
settings) store the rest of a project; ``accounts`` the web server's users, sessions and
memberships, in the server's own database.
``read_bundle`` / ``write_bundle`` read and write the plain-text bundle
(docs/review-bundle.md).
"""

from evisynth.storage.bundle import Bundle, read_bundle, write_bundle
from evisynth.storage.errors import BundleError, StorageError
from evisynth.storage.project import AuditEntry, Project, open_project

__all__ = [
    "AuditEntry",
    "Bundle",
    "BundleError",
    "Project",
    "StorageError",
    "open_project",
    "read_bundle",
    "write_bundle",
]
