"""Backups of the SQLite database, taken while kit runs, and restoring one.

SQLite's online backup copies a consistent snapshot even while phones are writing. For
PostgreSQL, its own tools do this better than kit could: kit says which to use.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: no lock, the warning in `kit restore --help` stays the only guard
    fcntl = None  # type: ignore[assignment]

from sqlalchemy.engine import make_url

from kit.core.db import make_engine, upgrade
from kit.core.errors import KitError
from kit.core.i18n import lazy_gettext as _l


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL; a clear refusal for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise KitError(
            "not_sqlite",
            _l(
                "kit backs up its SQLite file itself. For PostgreSQL use pg_dump: "
                "pg_dump --format=custom --file=kit.dump DATABASE, and pg_restore to restore it."
            ),
        )
    return Path(url.database)


def backup(database_url: str, destination: Path) -> Path:
    """Copy the database to `destination` (a new file), consistent even while kit is running."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise KitError("not_found", _l("There is no database to back up at %(path)s.", path=str(source)))
    if destination.exists():
        raise KitError("exists", _l("%(path)s already exists: choose a new file name.", path=str(destination)))
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    with sqlite3.connect(source) as live, sqlite3.connect(partial) as copy:
        live.backup(copy)
    partial.replace(destination)
    return destination


def check_backup(path: Path) -> None:
    """Refuse a file that is not a readable kit database."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            ok = connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError:
        ok, tables = False, set()
    if not ok or not {"alembic_version", "meeting"} <= tables:
        raise KitError("not_a_backup", _l("%(path)s is not a kit backup.", path=str(path)))


def serving_lock(database: Path) -> Path:
    """The file `kit serve` locks beside its SQLite database while it runs."""
    return database.with_name(database.name + ".serving.lock")


def hold_while_serving(database_url: str) -> IO[str] | None:
    """`kit serve`: a shared lock beside the SQLite file, held until the process ends (several
    processes may serve one database); `restore` asks for it alone. None for PostgreSQL."""
    try:
        database = sqlite_path(database_url)
    except KitError:
        return None
    if fcntl is None:
        return None
    database.parent.mkdir(parents=True, exist_ok=True)
    handle = serving_lock(database).open("a", encoding="utf-8")
    fcntl.flock(handle, fcntl.LOCK_SH)  # waits while a restore runs
    return handle


@contextlib.contextmanager
def nobody_serving(database: Path) -> Iterator[None]:
    """Hold the serving lock alone while the database is replaced; refuse while kit runs on it."""
    if fcntl is None:
        yield
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    with serving_lock(database).open("a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KitError(
                "serving",
                _l(
                    "kit is running on this database. Stop it first (Ctrl+C in the window where "
                    "kit serve runs), then restore again."
                ),
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def restore(database_url: str, source: Path) -> Path | None:
    """Put a backup in place of the database (refused while kit serves it); return where the old one was kept."""
    target = sqlite_path(database_url)
    if not source.exists():
        raise KitError("not_found", _l("There is no file at %(path)s.", path=str(source)))
    check_backup(source)
    with nobody_serving(target):
        return _replace(database_url, target, source)


def _replace(database_url: str, target: Path, source: Path) -> Path | None:
    kept = None
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        with sqlite3.connect(target) as current, sqlite3.connect(kept) as aside:
            current.backup(aside)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as backup_file, sqlite3.connect(target) as live:
        backup_file.backup(live)
    # a backup from an older kit is brought up to date
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return kept
