"""Fixtures: an app on a throw-away SQLite file, its clients, and small factories."""

from __future__ import annotations

import functools
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kit import create_app
from kit.core.db import get_session, make_engine, upgrade
from kit.core.extensions import socketio
from kit.core.models import Meeting, Participant
from kit.meeting import lifecycle
from kit.meeting.templates import MeetingTemplate, StepTemplate

ROOT = Path(__file__).resolve().parent.parent
# the name under which tests/test_fuzz.py hands each test's count of examples to the report
FUZZ_REPORT = "fuzz examples"


@functools.cache
def starts_servers(path: str) -> bool:
    """Whether a test file has tests that start `kit serve` (marked e2e), from its path in the repository."""
    return "pytest.mark.e2e" in (ROOT / path).read_text(encoding="utf-8")


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With pytest-xdist's default distribution, the test files that start `kit serve` (and
    Chromium) go to one worker, which runs them first and one after the other, as without xdist;
    the other worker runs the in-process tests meanwhile.

    Two such tests side by side would share the two cores with each other's servers, browsers and
    hundreds of clients, and their time limits are set for a machine they have to themselves.
    (The scheduler, not an `xdist_group` mark: pytest 9 ignores the group xdist adds to the test's
    id. It sees test ids only, so it groups whole files.)
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ServersOnOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            # one unit for every server test, the biggest, so it is handed out first; any other test alone
            return "kit serve" if starts_servers(nodeid.split("::", 1)[0]) else nodeid

    return ServersOnOneWorker(config, log)


# how much lower the worker that runs in-process tests sets its priority
IN_PROCESS_NICENESS = 10
_made_way = False


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A pytest-xdist worker about to run an in-process test lowers its priority, for good: the
    tests that start kit serve keep the cores they need (their clients, servers and browser wait
    on each other, with time limits) and the in-process tests take the time they leave idle.

    The worker that runs the server tests gets them first, so it only lowers its priority once
    they are all done.
    """
    global _made_way
    if _made_way or not hasattr(item.config, "workerinput") or starts_servers(item.nodeid.split("::", 1)[0]):
        return
    os.nice(IN_PROCESS_NICENESS)
    _made_way = True


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many examples each fuzz target ran, gathered from the tests' reports (of any worker)."""
    examples: Counter[str] = Counter()
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == FUZZ_REPORT and getattr(report, "when", None) == "teardown":
                    examples.update(value)
    if examples:
        terminalreporter.write_line("")
        terminalreporter.write_line(f"fuzz examples per target ({sum(examples.values())} in all):")
        for target, count in sorted(examples.items()):
            terminalreporter.write_line(f"  {target}: {count}")


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file brought to the latest migration once for the whole run.

    Running the migrations takes about 0.3 s and hundreds of tests make an app: each starts from a
    copy of this file instead, and create_app's own upgrade finds nothing left to do. The
    migrations themselves are checked by tests/test_storage.py, on files of their own.
    """
    path = tmp_path_factory.mktemp("migrated") / "kit.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closed: the write-ahead log is folded into the file
    return path


def migrated_instance(migrated_sqlite: Path, folder: Path) -> Path:
    """An instance folder whose database is a copy of the migrated file; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_sqlite, folder / "kit.sqlite3")
    return folder


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(migrated_instance(migrated_sqlite, tmp_path / "instance")),
            "ASYNC_MODE": "threading",
            "PUBLIC_URL": "http://kit.test",
            "COUNTS_INTERVAL": 0.01,
            "SCREEN_COUNTS_INTERVAL": 0.01,
        }
    )
    yield app


@pytest.fixture
def db(app: Flask):  # type: ignore[no-untyped-def]
    """A database session in an app context that requests made during the test share.

    Flask-Babel remembers the chosen language in that context: a test that compares languages
    prepares its data in a short context of its own instead (see `prepared_meeting`).
    """
    with app.app_context():
        yield get_session()


def prepared_meeting(app: Flask, **kwargs: Any) -> Meeting:
    """A meeting made in a context of its own, so later requests each choose their language."""
    with app.app_context():
        return gen_meeting(get_session(), **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def gen_template(*steps: StepTemplate, title: str = "Rencontre test") -> MeetingTemplate:
    """A template built in code: a check-in then a board with two examples, unless steps are given."""
    steps = steps or (
        StepTemplate("checkin", "Accueil", "Qui êtes-vous ?", {}),
        StepTemplate("board", "Besoins", "De quoi avez-vous besoin ?", {"exemplier": ["Un exemple"]}),
        StepTemplate("board", "Évaluation", "Un mot ?", {}),
    )
    return MeetingTemplate("test", ROOT / "sessions" / "test.toml", title, "", "fr", tuple(steps))


def gen_meeting(db, *, live: bool = False, **kwargs: Any) -> Meeting:  # type: ignore[no-untyped-def]
    meeting = lifecycle.create_meeting(db, gen_template(), **kwargs)
    if live:
        lifecycle.start(db, meeting)
    return meeting


def gen_participant(db, meeting: Meeting, name: str = "Awa", **kwargs: Any) -> Participant:  # type: ignore[no-untyped-def]
    return lifecycle.join(db, meeting, name, kwargs.get("structure", "Médiathèque"), kwargs.get("territory", "Rennes"))


@pytest.fixture
def live_clients(app: Flask):  # type: ignore[no-untyped-def]
    """Make Socket.IO test clients for a view of a meeting; all are disconnected at the end."""
    made: list[Any] = []

    def connect(view: str, auth: dict[str, Any], headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        flask_client = app.test_client()
        client = socketio.test_client(
            app, namespace=f"/{view}", auth=auth, flask_test_client=flask_client, headers=headers
        )
        made.append((client, f"/{view}"))
        return client

    yield connect
    for client, namespace in made:
        if client.is_connected(namespace):
            client.disconnect(namespace=namespace)


def postgres_url() -> str | None:
    return os.environ.get("KIT_TEST_POSTGRES_URL")
