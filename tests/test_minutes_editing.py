"""Closing writes a draft; the facilitator reviews it, with a preview, and publishes it."""

from __future__ import annotations

import pytest

from kit.core.errors import KitError
from kit.meeting import lifecycle
from tests.conftest import gen_meeting

SAME_ORIGIN = {"Origin": "http://localhost"}


def test_the_reviewed_minutes_are_the_ones_published(client, db):
    meeting = gen_meeting(db, live=True)
    with pytest.raises(KitError):
        lifecycle.edit_minutes(db, meeting, "# Trop tôt")
    lifecycle.close(db, meeting)
    base = f"/m/{meeting.code}/minutes"
    key = meeting.facilitator_key
    page = client.get(base, query_string={"key": key})
    assert page.status_code == 200 and "Rencontre test" in page.get_data(as_text=True)
    preview = client.post(
        f"{base}/preview", data={"key": key, "minutes": "# Relu\n\n<script>x()</script> **ok**"}, headers=SAME_ORIGIN
    )
    assert preview.status_code == 200
    assert "<h1>Relu</h1>" in preview.get_data(as_text=True) and "<script" not in preview.get_data(as_text=True)
    edited = "# Rencontre test\n\nCompte rendu relu par l'animatrice.\n"
    response = client.post(base, data={"key": key, "minutes": edited, "action": "publish"}, headers=SAME_ORIGIN)
    assert response.status_code == 303
    db.expire_all()
    assert meeting.status == "published"
    assert client.get(f"/minutes/{meeting.share_token}.md").get_data(as_text=True) == edited
    assert "animatrice" in client.get(f"/minutes/{meeting.share_token}").get_data(as_text=True)


def test_only_the_facilitator_edits_the_minutes(client, db):
    meeting = gen_meeting(db, live=True)
    lifecycle.close(db, meeting)
    base = f"/m/{meeting.code}/minutes"
    for key in (None, meeting.screen_key, "guess"):
        data = {"minutes": "# Piratage", **({"key": key} if key else {})}
        assert client.post(base, data=data, headers=SAME_ORIGIN).status_code == 403
        assert client.post(f"{base}/preview", data=data, headers=SAME_ORIGIN).status_code == 403
    assert (
        client.post(
            base, data={"key": meeting.facilitator_key, "minutes": "x"}, headers={"Origin": "http://evil.example"}
        ).status_code
        == 403
    )
    db.expire_all()
    assert "Piratage" not in meeting.minutes_md


def test_empty_minutes_are_refused_plainly(client, db):
    meeting = gen_meeting(db, live=True)
    lifecycle.close(db, meeting)
    response = client.post(
        f"/m/{meeting.code}/minutes", data={"key": meeting.facilitator_key, "minutes": "   "}, headers=SAME_ORIGIN
    )
    assert response.status_code == 400 and 'role="alert"' in response.get_data(as_text=True)
