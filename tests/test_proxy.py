"""kit behind a reverse proxy, and kit on the laptop with no proxy: which headers it believes, which
host names it answers, and the secrets of the console and screen links.

The same through a real Caddy and Chromium: tests/test_caddy.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from kit import create_app
from tests.conftest import gen_meeting, migrated_instance

PUBLIC = "kit.example.org"
# what Caddy or nginx adds to a request it passes on
FROM_THE_PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": PUBLIC, "X-Forwarded-For": "203.0.113.7"}


@pytest.fixture(name="make_app")
def make_app_fixture(tmp_path: Path, migrated_sqlite: Path) -> Callable[..., Flask]:
    """An application with these settings on a migrated database; it answers /_seen with what it saw
    of the request (the client's address, the scheme, the host)."""

    def make(**settings: Any) -> Flask:
        instance = migrated_instance(migrated_sqlite, tmp_path / f"instance-{len(list(tmp_path.iterdir()))}")
        app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "ASYNC_MODE": "threading", **settings})

        @app.get("/_seen")
        def seen() -> dict[str, Any]:
            return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}

        return app

    return make


def admin_signs_in(client: FlaskClient, app: Flask, **headers: str) -> Any:
    return client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]}, headers=headers)


def prepare_meeting(client: FlaskClient, origin: str, **headers: str) -> Any:
    return client.post(
        "/admin/meetings", data={"template": "rencontre-mensuelle"}, headers={"Origin": origin, **headers}
    )


# -- no proxy (the laptop): nothing a client writes in X-Forwarded-* is believed -------------------
def test_without_a_trusted_proxy_forged_forwarded_headers_change_nothing(make_app):
    app = make_app()
    client = app.test_client()
    seen = client.get("/_seen", headers=FROM_THE_PROXY, environ_base={"REMOTE_ADDR": "192.168.1.30"}).get_json()
    assert seen == {"addr": "192.168.1.30", "scheme": "http", "host": "localhost"}
    signed_in = admin_signs_in(client, app, **FROM_THE_PROXY)
    assert "Secure" not in signed_in.headers["Set-Cookie"], "a forged https must not make the cookie unusable on http"
    assert "Strict-Transport-Security" not in signed_in.headers
    # the origin check compares with the address really served, not the forged one
    assert prepare_meeting(client, "http://localhost", **FROM_THE_PROXY).status_code == 303
    assert prepare_meeting(client, f"https://{PUBLIC}", **FROM_THE_PROXY).status_code == 403


def test_the_laptop_answers_any_host_name_by_default(make_app):
    # the laptop's address changes with the room's Wi-Fi: no list to keep up to date
    client = make_app().test_client()
    for host in ("192.168.1.20:8000", "10.0.0.5:8000", "kit-laptop.local:8000"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host


# -- behind one proxy ------------------------------------------------------------------------------
def test_behind_an_https_proxy_forms_work_cookies_are_secure_and_hsts_is_sent(make_app):
    app = make_app(PROXY_HOPS=1, ALLOWED_HOSTS=[PUBLIC])
    client = app.test_client()
    seen = client.get("/_seen", headers=FROM_THE_PROXY, environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
    assert seen == {"addr": "203.0.113.7", "scheme": "https", "host": PUBLIC}
    signed_in = admin_signs_in(client, app, **FROM_THE_PROXY)
    assert "; Secure" in signed_in.headers["Set-Cookie"]
    assert signed_in.headers["Strict-Transport-Security"].startswith("max-age=")
    # the form posted from the https page passes the origin check: it was a 403 before PROXY_HOPS
    created = prepare_meeting(client, f"https://{PUBLIC}", **FROM_THE_PROXY)
    assert created.status_code == 303, created.get_data(as_text=True)
    assert prepare_meeting(client, f"http://{PUBLIC}", **FROM_THE_PROXY).status_code == 403
    assert prepare_meeting(client, "https://evil.example", **FROM_THE_PROXY).status_code == 403


def test_a_proxy_that_does_not_say_the_scheme_is_taken_for_plain_http(make_app):
    app = make_app(PROXY_HOPS=1, ALLOWED_HOSTS=[PUBLIC])
    client = app.test_client()
    plain = {"Host": PUBLIC, "X-Forwarded-For": "203.0.113.7"}
    assert client.get("/_seen", headers=plain).get_json()["scheme"] == "http"
    signed_in = admin_signs_in(client, app, **plain)
    assert "Secure" not in signed_in.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in signed_in.headers
    assert prepare_meeting(client, f"http://{PUBLIC}", **plain).status_code == 303


def test_only_the_trusted_number_of_proxies_is_believed(make_app):
    # one proxy trusted: a client's own X-Forwarded-For in front of the proxy's is not its address
    client = make_app(PROXY_HOPS=1).test_client()
    seen = client.get("/_seen", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"}).get_json()
    assert seen["addr"] == "203.0.113.7"


# -- host names --------------------------------------------------------------------------------------
def test_a_host_not_in_the_list_gets_a_clear_400_page_and_no_socket(make_app):
    app = make_app(ALLOWED_HOSTS=[PUBLIC])
    client = app.test_client()
    refused = client.get("/", headers={"Host": "rebound.evil.example", "Accept-Language": "fr"})
    assert refused.status_code == 400
    assert "est pas servie ici" in refused.get_data(as_text=True)
    assert "rebound.evil.example" not in refused.headers["Content-Security-Policy"]
    handshake = client.get("/socket.io/", query_string={"EIO": "4", "transport": "polling"}, headers={"Host": "evil"})
    assert handshake.status_code == 400
    assert client.get("/", headers={"Host": PUBLIC}).status_code == 200
    assert client.get("/", headers={"Host": f"{PUBLIC}:443"}).status_code == 200, "the port is not part of the name"
    opened = client.get("/socket.io/", query_string={"EIO": "4", "transport": "polling"}, headers={"Host": PUBLIC})
    assert opened.status_code == 200 and opened.get_data(as_text=True).startswith("0{")


def test_allowed_hosts_from_the_environment_as_a_list_of_names(make_app, monkeypatch):
    monkeypatch.setenv("KIT_ALLOWED_HOSTS", "kit.example.org, reunions.example.org")
    client = make_app().test_client()
    assert client.get("/", headers={"Host": "reunions.example.org"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost"}).status_code == 400


# -- the console's and screen's secrets leave the address bar ------------------------------------
def test_the_console_key_leaves_the_address_and_the_page_is_not_stored(app, db):
    meeting = gen_meeting(db)
    laptop = app.test_client()
    opened = laptop.get(f"/m/{meeting.code}/console", query_string={"key": meeting.facilitator_key})
    assert opened.status_code == 303 and opened.headers["Location"] == f"/m/{meeting.code}/console"
    page = laptop.get(f"/m/{meeting.code}/console")
    assert page.status_code == 200
    # the live connection still authenticates with the key, from the page's body
    assert f'data-key="{meeting.facilitator_key}"' in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    # another browser, without the link, has nothing
    assert app.test_client().get(f"/m/{meeting.code}/console").status_code == 403
    assert laptop.get(f"/m/{meeting.code}/console", query_string={"key": "guess"}).status_code == 403


def test_the_screen_key_leaves_the_address_and_the_screen_never_takes_the_console_key(app, db):
    meeting = gen_meeting(db)
    laptop = app.test_client()
    laptop.get(f"/m/{meeting.code}/console", query_string={"key": meeting.facilitator_key})
    opened = laptop.get(f"/m/{meeting.code}/screen", query_string={"key": meeting.screen_key})
    assert opened.status_code == 303 and opened.headers["Location"] == f"/m/{meeting.code}/screen"
    page = laptop.get(f"/m/{meeting.code}/screen")
    body = page.get_data(as_text=True)
    assert f'data-key="{meeting.screen_key}"' in body and meeting.facilitator_key not in body
    assert page.headers["Cache-Control"] == "no-store"
    assert laptop.get(f"/m/{meeting.code}/console").status_code == 200, "the console's key is still kept"
    assert app.test_client().get(f"/m/{meeting.code}/screen").status_code == 403


def test_a_participant_page_is_not_stored_either(app, db):
    meeting = gen_meeting(db)
    phone = app.test_client()
    phone.post(f"/j/{meeting.code}", data={"name": "Awa"}, headers={"Origin": "http://localhost"})
    page = phone.get(f"/j/{meeting.code}")
    assert "data-token=" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "no-store" not in app.test_client().get("/").headers.get("Cache-Control", "")
