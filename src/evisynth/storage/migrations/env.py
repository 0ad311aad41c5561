"""Alembic environment for evisynth projects.

``evisynth.storage.project.open_project`` runs the migrations on its own connection, passed
in ``config.attributes["connection"]``, inside its transaction. Without one (the alembic
command line, to write a new revision) the config's ``sqlalchemy.url`` is used.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from evisynth.storage.schema import Base

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise SystemExit("set sqlalchemy.url, or migrate through evisynth.storage.open_project")
        with create_engine(url).begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("evisynth migrations run online only (open_project does this)")
run_migrations()
