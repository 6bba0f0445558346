"""Storage: migrations match the models, SQLite runs in WAL mode, times come back in UTC, a row
inserted without being read back is what the database holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import DateTime, String, inspect, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kit import create_app
from kit.core import queries
from kit.core.db import insert_row, make_engine, upgrade
from kit.core.models import Base, Vote
from kit.meeting import lifecycle, moderation, room, votes
from kit.meeting.templates import StepTemplate
from tests.conftest import gen_meeting, gen_template
from tests.server import postgres_or_skip


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


@pytest.fixture(params=["sqlite", "postgres"])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rows.sqlite3'}"
        return
    with postgres_or_skip() as url:
        yield url


def columns_of(row: object) -> dict[str, object]:
    return {column.key: getattr(row, column.key) for column in inspect(type(row)).columns}


def test_a_row_inserted_is_what_a_fresh_read_finds(engine_url, tmp_path):
    """`insert_row` builds the object from what it sent, without reading the row back: every
    column must be what the database holds (defaults, the new key, None for the rest)."""
    settings = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": engine_url}
    app = create_app({**settings, "ASYNC_MODE": "threading"})
    made = app.extensions["kit.sessionmaker"]
    with app.app_context(), made() as db:
        meeting = lifecycle.create_meeting(db, gen_template())
        lifecycle.start(db, meeting)
        first = lifecycle.join(db, meeting, "Awa Ndiaye", "Médiathèque de Villejean", "Rennes")
        second = lifecycle.join(db, meeting, "Élodie Lefèvre-Guérin")
        text = "Un atelier « démarches en ligne » chaque mardi : les gens arrivent avec leurs codes oubliés."
        board = lifecycle.move(db, meeting, 1)
        sent = [
            lifecycle.contribute(db, meeting, person, board.id, f"c{n}", {"text": f"{text} ({n})"}).contribution
            for n, person in enumerate((first, second, first))
        ]
        support = insert_row(db, Vote, contribution_id=sent[0].id, participant_id=second.id)
        db.commit()
        assert len({c.id for c in sent}) == 3
        stored = [first, second, *sent, support]
        # every column is set: reading one asks nothing of the database
        assert all(not inspect(row).unloaded & columns_of(row).keys() for row in stored)
        with made() as fresh:
            for row in stored:
                again = fresh.get(type(row), row.id)
                assert again is not None
                assert columns_of(row) == columns_of(again), type(row).__name__
    app.extensions["kit.engine"].dispose()


class _Scratch(DeclarativeBase):
    pass


class _Note(_Scratch):
    """A table with a column only the database fills in (a server default, no Python one)."""

    __tablename__ = "scratch_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    shelf: Mapped[str] = mapped_column(String(20), server_default="tiroir")
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def test_a_column_only_the_database_fills_in_is_read_back(engine_url):
    engine = make_engine(engine_url)
    _Scratch.metadata.create_all(engine)
    try:
        with Session(engine) as db:
            note = insert_row(db, _Note, text="Penser aux chargeurs de téléphone")
            other = insert_row(db, _Note, text="Salle du 2ᵉ étage", shelf="armoire")
            db.commit()
            assert (note.shelf, note.seen_at, other.shelf) == ("tiroir", None, "armoire")
            assert other.id == note.id + 1
            with Session(engine) as fresh:
                assert columns_of(fresh.get(_Note, note.id)) == columns_of(note)
    finally:
        _Scratch.metadata.drop_all(engine)
        engine.dispose()


def test_a_vote_is_cast_raced_and_taken_back_alike_on_both_databases(engine_url, tmp_path):
    """A vote goes through plain statements (kit.meeting.votes): the same vote sent on two
    connections at once is stored once, and taken back once, on SQLite and on PostgreSQL."""
    settings = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": engine_url}
    app = create_app({**settings, "ASYNC_MODE": "threading"})
    made = app.extensions["kit.sessionmaker"]
    template = gen_template(StepTemplate("needs", "Besoins", "De quoi avez-vous besoin ?", {}))
    with app.app_context(), made() as db, made() as other:
        meeting = lifecycle.create_meeting(db, template)
        lifecycle.start(db, meeting)
        awa = lifecycle.join(db, meeting, "Awa Ndiaye", "Médiathèque de Villejean", "Rennes")
        text = "Des permanences pour les démarches de la CAF, avec un ordinateur en libre accès."
        need = lifecycle.contribute(db, meeting, awa, meeting.steps[0].id, "n1", {"text": text}).contribution
        ids = (meeting.id, awa.id, need.id)
        for wanted in (True, False):
            mine, theirs = votes.read_ballot(db, *ids), votes.read_ballot(other, *ids)
            assert mine is not None and theirs is not None
            assert votes.cast_vote(other, theirs, wanted) is not None, "the first one counts"
            assert votes.cast_vote(db, mine, wanted) is None, "the second finds it done"
            assert queries.tallies(db, meeting.steps[0].id) == ({need.id: 1} if wanted else {})
        assert votes.set_vote(db, meeting, awa, need.id, True) is True
        assert votes.set_vote(db, meeting, awa, need.id, True) is False
        assert queries.tallies(db, meeting.steps[0].id) == {need.id: 1}
    app.extensions["kit.engine"].dispose()


def test_a_ticks_tally_is_the_rooms_counts_on_both_databases(engine_url, tmp_path):
    """The counts a busy room's screen is sent every tick come from one statement
    (`lifecycle.tally`): they must be what `lifecycle.counts` gives, with people removed, cards
    hidden or merged left out, and before the first step (no step: no activity, nothing counted)."""
    settings = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": engine_url}
    app = create_app({**settings, "ASYNC_MODE": "threading"})
    made = app.extensions["kit.sessionmaker"]
    template = gen_template(
        StepTemplate("board", "Actualités", "Quoi de neuf dans vos structures ?", {}),
        StepTemplate("needs", "Besoins", "De quoi avez-vous besoin ?", {}),
    )
    with app.app_context(), made() as db:
        meeting = lifecycle.create_meeting(db, template)
        before = lifecycle.tally(db, meeting.id)
        assert before is not None and (before.activity, before.counts) == (None, lifecycle.counts(db, meeting))
        assert before.counts == {"participants": 0, "contributions": 0}
        lifecycle.start(db, meeting)
        names = ("Awa Ndiaye", "Élodie Lefèvre-Guérin", "Zoé Le Bihan", "Anaïs Kerbrat", "Bruno Oger")
        people = [lifecycle.join(db, meeting, name, "Médiathèque de Villejean", "Rennes") for name in names]
        room.remove_participant(db, meeting, people[-1].id)
        lifecycle.move(db, meeting, 1)
        text = "Un atelier « démarches en ligne » le mardi : les gens arrivent avec leurs codes oubliés ({n})."
        needs = [
            lifecycle.contribute(db, meeting, people[n % 4], meeting.steps[1].id, f"n{n}", {"text": text.format(n=n)})
            for n in range(12)
        ]
        moderation.hide(db, meeting, needs[0].contribution.id)
        moderation.merge(db, meeting, needs[1].contribution.id, needs[2].contribution.id)
        tallied = lifecycle.tally(db, meeting.id)
        assert tallied is not None and tallied.activity == "needs"
        assert tallied.counts == lifecycle.counts(db, meeting) == {"participants": 4, "contributions": 10}
        head = tallied.head
        assert (head.id, head.code, head.version, head.current_step_id, head.step_version) == (
            meeting.id,
            meeting.code,
            meeting.version,
            meeting.current_step_id,
            meeting.step_version,
        )
        assert queries.removed_ids(db, meeting.id) == {people[-1].id}
        assert lifecycle.tally(db, meeting.id + 1000) is None
    app.extensions["kit.engine"].dispose()
