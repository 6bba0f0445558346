"""The database: one engine per app, one session per app context, migrations on start-up."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from sqlalchemy import Engine, Table, create_engine, event, insert, text
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

Model = TypeVar("Model", bound=DeclarativeBase)
_INSERTS: dict[type, _Insertion] = {}


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite files get WAL and foreign keys."""
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver the postgres extra installs
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    options: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 15}
    else:
        options["pool_pre_ping"] = True
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the screen read while phones write; NORMAL sync survives a killed process
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    # freed pages are overwritten with zeros: withdrawn or forgotten words do not linger in the file
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest migration; several processes may start at once."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # one process migrates, the others wait for it (released at commit)
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(b"kit-migrations")})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def init_db(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    upgrade(engine)
    app.extensions["kit.engine"] = engine
    app.extensions["kit.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The database session of the current app context (one per request or live event)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["kit.sessionmaker"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def checkpoint(db: Session) -> None:
    """After an erasure is committed, copy the WAL back into the database and empty it (SQLite).

    Until a checkpoint, the old pages, erased words included, stay in the ``-wal`` file beside the
    database. PostgreSQL keeps no such file in the instance folder: nothing to do there.
    """
    bind = db.get_bind()
    if bind.dialect.name != "sqlite":
        return
    db.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    db.commit()


def insert_row(db: Session, model: type[Model], **values: Any) -> Model:
    """Insert one row with a plain INSERT and take it into the session as if read.

    What `db.add(model(**values))` and a flush do, in about a third of the time: the unit of
    work's flush of one new row was a quarter of a contribution's cost (profiled), and a join
    storm or a busy room inserts one row per event. The object is what the database holds
    without reading the row back: the given values, the columns' Python defaults as SQLAlchemy
    applied them, the new key (SQLite's last row id; RETURNING on PostgreSQL), None for the rest,
    and, by RETURNING, any column only the database fills in. A constraint the row breaks raises
    here, not at the commit."""
    insertion = _INSERTS.get(model)
    if insertion is None:
        insertion = _INSERTS.setdefault(model, _Insertion(cast(Table, model.__table__)))
    result = db.connection().execute(insertion.statement, values)
    row = dict(insertion.blank)
    row.update(cast(Mapping[str, Any], result.last_inserted_params()))  # a mapping: one row was sent
    if insertion.filled_by_database:
        row.update(result.one()._asdict())
    else:
        row.update(zip(insertion.keys, cast(Sequence[Any], result.inserted_primary_key), strict=True))
    stored = model(**row)
    make_transient_to_detached(stored)
    db.add(stored)
    return stored


class _Insertion:
    """A table's INSERT, built once, and what `insert_row` needs to know of its columns."""

    def __init__(self, table: Table) -> None:
        # a default only the database knows (a server default with no Python one) is read back
        self.filled_by_database = [
            column for column in table.c if column.server_default is not None and column.default is None
        ]
        keys = list(table.primary_key)
        self.keys = [column.key for column in keys]
        statement = insert(table)
        self.statement = statement.returning(*keys, *self.filled_by_database) if self.filled_by_database else statement
        self.blank: dict[str, Any] = dict.fromkeys(table.c.keys())
