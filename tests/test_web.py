"""The pages: home, join, phone, admin, console, screen and the published minutes."""

from __future__ import annotations

import re

from kit.core import queries
from kit.meeting import lifecycle
from tests.conftest import gen_meeting, gen_participant, prepared_meeting

SAME_ORIGIN = {"Origin": "http://localhost"}


def test_the_home_page_leads_to_the_join_page_from_a_typed_code(client, db):
    meeting = gen_meeting(db)
    assert client.get("/").status_code == 200
    typed = f"{meeting.code[:3].lower()} {meeting.code[3:]}"
    response = client.get("/go", query_string={"code": typed})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/j/{meeting.code}")


def test_an_unknown_code_gets_a_clear_message(client):
    response = client.get("/go", query_string={"code": "ABCDEF"})
    assert response.status_code == 404
    assert "Check the code" in response.get_data(as_text=True) or "code" in response.get_data(as_text=True)
    assert client.get("/j/ABCDEF").status_code == 404


def test_joining_by_the_form_then_coming_back_as_the_same_person(client, db):
    meeting = gen_meeting(db)
    page = client.get(f"/j/{meeting.code}")
    assert page.status_code == 200 and 'name="name"' in page.get_data(as_text=True)
    response = client.post(
        f"/j/{meeting.code}", data={"name": "Awa", "structure": "CCAS", "territory": ""}, headers=SAME_ORIGIN
    )
    assert response.status_code == 303
    phone = client.get(f"/j/{meeting.code}").get_data(as_text=True)
    [participant] = queries.participants(db, meeting)
    assert f'data-token="{participant.token}"' in phone
    assert meeting.facilitator_key not in phone and meeting.screen_key not in phone


def test_a_name_of_spaces_is_refused_with_the_form_kept(client, db):
    meeting = gen_meeting(db)
    response = client.post(f"/j/{meeting.code}", data={"name": "   ", "structure": "CCAS"}, headers=SAME_ORIGIN)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and 'value="CCAS"' in page
    assert queries.participants(db, meeting) == []


def test_a_join_posted_from_another_site_is_refused(client, db):
    meeting = gen_meeting(db)
    response = client.post(f"/j/{meeting.code}", data={"name": "Eve"}, headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert queries.participants(db, meeting) == []


def test_a_closed_meeting_takes_no_one_new_but_keeps_its_participants(client, db):
    meeting = gen_meeting(db, live=True)
    client.post(f"/j/{meeting.code}", data={"name": "Awa"}, headers=SAME_ORIGIN)
    lifecycle.close(db, meeting)
    assert client.get(f"/j/{meeting.code}").status_code == 200
    newcomer = client.application.test_client()
    assert newcomer.get(f"/j/{meeting.code}").status_code == 410


def test_the_join_qr_code_is_an_svg_of_the_join_link(client, db):
    meeting = gen_meeting(db)
    response = client.get(f"/j/{meeting.code}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith(("<?xml", "<svg"))


def test_admin_needs_the_token_and_then_remembers_it(client, app):
    assert client.get("/admin").status_code == 403
    assert client.get("/admin", query_string={"token": "wrong"}).status_code == 403
    response = client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    assert response.status_code == 302 and "token" not in response.headers["Location"]
    page = client.get("/admin").get_data(as_text=True)
    assert "Rencontre mensuelle du réseau" in page


def test_admin_prepares_a_meeting_from_a_template(client, app, db):
    client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    response = client.post(
        "/admin/meetings",
        data={"template": "rencontre-mensuelle", "title": "Rencontre de mars", "date": "2026-03-12", "place": "Vitré"},
        headers=SAME_ORIGIN,
    )
    assert response.status_code == 303
    code = re.search(r"/m/(\w+)/console", response.headers["Location"]).group(1)
    meeting = lifecycle.get_meeting(db, code)
    assert meeting.title == "Rencontre de mars" and len(meeting.steps) == 5
    assert client.get(response.headers["Location"], follow_redirects=True).status_code == 200


def test_admin_refuses_a_bad_date_or_template_and_creates_nothing(client, app, db):
    client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    for data in ({"template": "rencontre-mensuelle", "date": "31/02/2026"}, {"template": "nope"}):
        response = client.post("/admin/meetings", data=data, headers=SAME_ORIGIN)
        assert response.status_code == 400 and 'role="alert"' in response.get_data(as_text=True)
    assert "meeting-list" in client.get("/admin").get_data(as_text=True)
    from kit.core.models import Meeting

    assert db.query(Meeting).count() == 0


def test_creating_a_meeting_needs_the_admin(client, db):
    response = client.post("/admin/meetings", data={"template": "rencontre-mensuelle"}, headers=SAME_ORIGIN)
    assert response.status_code == 403


def test_console_and_screen_need_their_keys(client, db):
    meeting = gen_meeting(db)
    console = f"/m/{meeting.code}/console"
    screen = f"/m/{meeting.code}/screen"
    assert client.get(console).status_code == 403
    assert client.get(console, query_string={"key": meeting.screen_key}).status_code == 403
    # the key is kept and leaves the address (tests/test_proxy.py), then the console opens
    assert client.get(console, query_string={"key": meeting.facilitator_key}, follow_redirects=True).status_code == 200
    assert client.get(screen, query_string={"key": "nope"}).status_code == 403
    page = client.get(screen, query_string={"key": meeting.screen_key}, follow_redirects=True).get_data(as_text=True)
    # the projected page never shows the console's secret
    assert meeting.facilitator_key not in page


def test_each_live_view_loads_the_shared_script_and_its_own_only(app, client, db):
    meeting = gen_meeting(db)
    phone = app.test_client()
    phone.post(f"/j/{meeting.code}", data={"name": "Awa"}, headers=SAME_ORIGIN)
    pages = {
        "phone": phone.get(f"/j/{meeting.code}"),
        "screen": client.get(f"/m/{meeting.code}/screen?key={meeting.screen_key}", follow_redirects=True),
        "console": client.get(f"/m/{meeting.code}/console?key={meeting.facilitator_key}", follow_redirects=True),
    }
    for view, page in pages.items():
        scripts = re.findall(r'<script src="([^"]+)"', page.get_data(as_text=True))
        assert scripts == [
            "/static/vendor/socket.io/socket.io.min.js",
            "/static/live/common.js",
            f"/static/live/{view}.js",
        ], view
        for script in scripts:
            served = client.get(script)
            assert served.status_code == 200 and served.mimetype == "text/javascript", script


def test_published_minutes_are_served_at_the_share_link_only(client, db):
    meeting = gen_meeting(db, live=True)
    awa = gen_participant(db, meeting, "Awa <b>")
    lifecycle.contribute(
        db, meeting, awa, meeting.steps[0].id, "c", {"name": "Awa <b>", "structure": "", "territory": ""}
    )
    base = f"/minutes/{meeting.share_token}"
    lifecycle.close(db, meeting)
    assert client.get(base).status_code == 404, "closed but not yet published"
    lifecycle.publish(db, meeting)
    page = client.get(base)
    assert page.status_code == 200
    assert "Awa &lt;b&gt;" in page.get_data(as_text=True)
    markdown = client.get(base + ".md")
    assert markdown.status_code == 200 and markdown.mimetype == "text/markdown"
    assert markdown.get_data(as_text=True) == meeting.minutes_md
    data = client.get(base + ".json").get_json()
    assert data["participants"][0]["name"] == "Awa <b>"
    assert client.get("/minutes/not-the-token").status_code == 404


def test_pages_speak_french_by_default_and_english_when_asked(app, client):
    meeting = prepared_meeting(app)
    french = client.get(f"/j/{meeting.code}").get_data(as_text=True)
    english = client.get(f"/j/{meeting.code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in french and "Votre nom" in french
    assert '<html lang="en">' in english and "Your name" in english
    switched = client.get(f"/j/{meeting.code}?lang=en").get_data(as_text=True)
    assert "Your name" in switched
    assert "Your name" in client.get(f"/j/{meeting.code}").get_data(as_text=True), "the choice is remembered"


def test_every_page_refuses_to_be_framed_and_keeps_links_private(client):
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
