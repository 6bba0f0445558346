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


def test_the_networks_chat_columns_come_and_go_with_migration_0017(tmp_path):
    from alembic import command
    from alembic.config import Config

    from kit.core.db import MIGRATIONS

    engine = make_engine(f"sqlite:///{tmp_path / 'chat.sqlite3'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def migrate(step, revision: str) -> None:  # type: ignore[no-untyped-def]
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)

    def columns() -> set[str]:
        with engine.connect() as connection:
            return {row[1] for row in connection.execute(text("PRAGMA table_info(network)"))}

    migrate(command.upgrade, "0016")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO network (name, territory, scale, feed_token, created_at) VALUES (:n, '', '', 'f', :t)"),
            {"n": "Réseau des médiateurs du pays de Vitré", "t": "2026-11-01 10:00:00"},
        )
    migrate(command.upgrade, "0017")
    assert {"chat_webhook_url", "chat_format"} <= columns()
    with engine.begin() as connection:
        row = connection.execute(text("SELECT name, chat_webhook_url, chat_format FROM network")).one()
        assert tuple(row) == ("Réseau des médiateurs du pays de Vitré", None, None)
        connection.execute(text("UPDATE network SET chat_webhook_url = 'https://chat.vitre.fr/hooks/x'"))
    migrate(command.downgrade, "0016")
    assert not {"chat_webhook_url", "chat_format"} & columns()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM network")).scalar() == "Réseau des médiateurs du pays de Vitré"
