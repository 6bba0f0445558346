"""Alembic environment: kit runs migrations itself on start-up (kit.core.db.upgrade).

To write a new migration after changing kit/core/models.py, see docs/architecture.md.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from kit.core.models import Base

target_metadata = Base.metadata


def run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(os.environ["KIT_DATABASE_URL"])
    with engine.begin() as fresh:
        run(fresh)
