"""Storage: migrations match the models, SQLite runs in WAL mode, times come back in UTC."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from kit.core.db import make_engine, upgrade
from kit.core.models import Base
from tests.conftest import gen_meeting


def test_the_migrations_build_exactly_the_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrading_twice_is_harmless(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'twice.sqlite3'}")
    upgrade(engine)
    upgrade(engine)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    engine = app.extensions["kit.engine"]
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_times_come_back_aware_in_utc(db):
    meeting = gen_meeting(db)
    db.expire_all()
    assert meeting.created_at.tzinfo is not None and meeting.created_at.utcoffset().total_seconds() == 0
