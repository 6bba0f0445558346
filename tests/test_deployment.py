"""docs/deployment.md's Debian server, followed as far as this machine allows: kit installed from its
wheel, the documented kit.env on a fresh PostgreSQL database, `kit serve` as the service would start
it (without systemd), a meeting prepared as through Caddy, the nightly backup (pg_dump and the
uploads) restored into another database, and an upgrade's restart that finds its migrations done.

Runs when KIT_TEST_POSTGRES_URL names a PostgreSQL server (CI sets it); Caddy itself is
tests/test_caddy.py's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.server import KitServer, postgres_database
from tests.test_wheel import build_wheel, install_wheel

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("KIT_TEST_POSTGRES_URL")
DOMAIN = "kit.example.org"
# what Caddy adds to every request it passes on to kit
THROUGH_CADDY = {"Host": DOMAIN, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def documented_env() -> dict[str, str]:
    """The kit.env of the Debian server section (the ```sh block that sets KIT_PROXY_HOPS)."""
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    [block] = [b for b in blocks if "KIT_PROXY_HOPS" in b and "MESSAGE_QUEUE" not in b]
    pairs = [line.split("=", 1) for line in block.splitlines() if line and not line.startswith("#")]
    return {name: value for name, value in pairs}


def documented_commands(marker: str) -> list[str]:
    """The lines of the ```sh block of docs/deployment.md whose first line starts with `marker`."""
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"```sh\n(.*?)```", text, re.S) if b.startswith(marker)]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def psql_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(name="installed")
def installed_fixture(tmp_path: Path) -> Path:
    target = tmp_path / "venv-site"
    install_wheel(build_wheel(tmp_path / "wheel"), target)
    return target


@pytest.fixture(name="database")
def database_fixture() -> Iterator[str]:
    if not POSTGRES:
        pytest.skip("set KIT_TEST_POSTGRES_URL to follow docs/deployment.md on PostgreSQL")
    with postgres_database(POSTGRES) as url:
        yield url


def test_the_documented_debian_server_on_a_fresh_postgresql(installed: Path, database: str, tmp_path: Path) -> None:
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("needs pg_dump and pg_restore (postgresql-client)")
    env = documented_env()
    assert env["KIT_PROXY_HOPS"] == "1" and env["KIT_ALLOWED_HOSTS"] == DOMAIN
    assert env["KIT_PUBLIC_URL"] == f"https://{DOMAIN}"
    instance = tmp_path / "srv" / "instance"
    server = KitServer(instance, database_url=database)
    # the documented settings, with this machine's database and folder; kit itself from the wheel
    server.env.update({**env, "KIT_INSTANCE_PATH": str(instance), "KIT_DATABASE_URL": database})
    server.env["KIT_ALLOWED_HOSTS"] = f"{DOMAIN},127.0.0.1"  # and the address the harness polls
    server.env["PYTHONPATH"] = str(installed)
    server.env["PYTHONSAFEPATH"] = "1"
    engine = create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    server.start()
    try:
        # the migrations ran at start-up, on PostgreSQL
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        admin_token = (instance / "admin-token").read_text().strip()

        # the facilitator, as Caddy passes them on: the admin link, the form, the console. The cookie is
        # Secure (the browser sees https), so it is handed back by hand over this plain connection
        signed_in = requests.get(
            f"{server.url}/admin", params={"token": admin_token}, headers=THROUGH_CADDY, allow_redirects=False
        )
        assert "; Secure" in signed_in.headers["Set-Cookie"], "the session cookie is Secure under HTTPS"
        cookie = {"Cookie": signed_in.headers["Set-Cookie"].split(";", 1)[0]}
        created = requests.post(
            f"{server.url}/admin/meetings",
            data={"template": "rencontre-mensuelle", "title": "Rencontre sur le serveur"},
            headers={**THROUGH_CADDY, **cookie, "Origin": f"https://{DOMAIN}"},
            allow_redirects=False,
        )
        assert created.status_code == 303, created.text[:500]
        console_link = created.headers["Location"]
        code = re.search(r"/m/([A-Z0-9]+)/console", console_link).group(1)  # type: ignore[union-attr]
        assert requests.get(f"{server.url}/", headers={"Host": "other.example"}).status_code == 400
        # a photo in the uploads folder, as the preparation page would leave one
        uploads = instance / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        (uploads / "lieu.jpg").write_bytes(b"\xff\xd8\xff photo")

        # -- the nightly backup, as documented ---------------------------------------------------
        backups = tmp_path / "backups"
        backups.mkdir()
        for line in documented_commands("pg_dump --format=custom --file=/srv/kit/backups/kit-"):
            command = line.replace("postgresql://kit:secret@127.0.0.1:5432/kit", psql_url(database))
            command = command.replace("/srv/kit/backups", str(backups)).replace("/srv/kit/instance", str(instance))
            subprocess.run(command, shell=True, check=True, timeout=60, capture_output=True)
        [dump] = backups.glob("kit-*.dump")
        [archive] = backups.glob("uploads-*.tar.gz")
        assert "uploads/lieu.jpg" in tarfile.open(archive).getnames()

        # -- an upgrade: stop, start again; the migrations are already there, nothing is lost -------
        server.stop()
        server.start()
        console = requests.get(f"{server.url}/m/{code}/console", headers={**THROUGH_CADDY, **cookie})
        assert console.status_code == 200 and "Rencontre sur le serveur" in console.text
        assert console.headers["Cache-Control"] == "no-store"
    finally:
        server.stop()
        engine.dispose()

    # -- the backup restored into another fresh database holds the meeting -------------------------
    with postgres_database(POSTGRES or "") as restored:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={psql_url(restored)}", str(dump)],
            check=True,
            timeout=60,
            capture_output=True,
        )
        engine = create_engine(restored.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.connect() as connection:
                titles = connection.execute(text("SELECT title FROM meeting")).scalars().all()
        finally:
            engine.dispose()
        assert "Rencontre sur le serveur" in titles
