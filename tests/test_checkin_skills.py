"""The check-in offers the skills the field already names: the network's own, then La Coop de la
médiation numérique's themes (kit/activities/data/coop_thematiques.json, kept with its source)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kit.activities import activity_for
from kit.activities.checkin import COOP_LABELS, COOP_THEMATIQUES, SKILL_LENGTH
from kit.core import queries
from kit.core.collation import sort_key
from kit.core.db import get_session
from kit.live.state import state
from kit.meeting import lifecycle
from kit.meeting.templates import StepTemplate
from kit.network import networks
from tests.conftest import gen_participant, gen_template

# the Coop's own thematique.ts (inclusion-numerique/coop-mediation-numerique at the commit and path
# the data file records), to compare kit's copy with: not kept in this repository (AGPL code of
# another project); set the variable to a clone's file to run the comparison
SOURCE = os.environ.get("KIT_COOP_THEMATIQUE_TS")


def checkin_template():  # type: ignore[no-untyped-def]
    return gen_template(StepTemplate("checkin", "Accueil", "", {"skills": ["Démarches en ligne", "Ateliers Pix"]}))


def test_the_coops_themes_are_kept_with_their_source():
    data = COOP_THEMATIQUES
    assert data["repository"] == "inclusion-numerique/coop-mediation-numerique"
    assert data["path"] == "apps/web/src/features/activites/use-cases/cra/fields/thematique.ts"
    assert re.fullmatch(r"[0-9a-f]{40}", data["commit"]) and data["commit"] in data["source"]
    assert data["source"].endswith(data["path"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["date"]) and data["date"] <= data["retrieved"]
    themes = data["thematiques"]
    assert len(themes) == 19
    assert all(set(theme) == {"value", "label"} for theme in themes)
    assert all(re.fullmatch(r"[A-Z][A-Za-z]+", theme["value"]) for theme in themes)
    assert len({theme["value"] for theme in themes}) == len(themes)
    assert len({label.casefold() for label in COOP_LABELS}) == len(COOP_LABELS)
    # each one is a skill a person could have typed: short, trimmed
    assert all(label == label.strip() and 0 < len(label) <= SKILL_LENGTH for label in COOP_LABELS)
    assert {"Diagnostic numérique", "Navigation sur internet", "E-mail", "Parentalité"} <= set(COOP_LABELS)


@pytest.mark.skipif(not SOURCE, reason="set KIT_COOP_THEMATIQUE_TS to the Coop's thematique.ts to compare")
def test_the_coops_themes_are_its_thematique_ts_value_for_value():
    source = Path(str(SOURCE)).read_text(encoding="utf-8")
    block = re.search(r"export const thematiquesNonAdministrativesLabels = \{(.*?)\} as const", source, re.S)
    assert block is not None
    listed = re.findall(r"^\s*(\w+): '([^']*)',?$", block.group(1), re.M)
    assert [(t["value"], t["label"]) for t in COOP_THEMATIQUES["thematiques"]] == listed


def test_the_phone_offers_the_networks_skills_then_the_coops_without_repeats(app, db):
    network = networks.create_network(db, "Réseau des médiateurs du pays de Vitré", "Vitré Communauté", "epci")
    march = lifecycle.create_meeting(db, checkin_template(), title="Rencontre de mars", network_id=network.id)
    lifecycle.start(db, march)
    awa = gen_participant(db, march, "Awa")
    lifecycle.contribute(
        db, march, awa, march.steps[0].id, "c", {"name": "Awa", "offers_other": "parentalité, Fresque du numérique"}
    )
    lifecycle.close(db, march)

    april = lifecycle.create_meeting(db, checkin_template(), title="Rencontre d'avril", network_id=network.id)
    activity = activity_for(april.steps[0])
    own, coop = activity.offered_skills([])
    assert own == ["Ateliers Pix", "Démarches en ligne", "Fresque du numérique", "parentalité"]
    # "Parentalité" is already the network's (as Awa wrote it): offered once
    assert "Parentalité" not in coop and len(coop) == len(COOP_LABELS) - 1
    assert {"Diagnostic numérique", "Navigation sur internet", "Intelligence artificielle (IA)"} <= set(coop)
    assert coop == sorted(coop, key=sort_key)
    assert coop.index("E-mail") < coop.index("Gérer ses contenus numériques") < coop.index("Insertion professionnelle")

    lifecycle.start(db, april)
    with app.test_request_context():
        html = state(get_session(), april, "phone", "fr")["html"]
    chips = re.findall(r'<input type="checkbox" name="offers" value="([^"]+)">', html)
    assert chips == own + coop
    assert html.count('value="Navigation sur internet"') == 2  # offered, and sought
    assert 'class="chip more-themes"' in html and "(18)" in html  # the Coop's themes not already the network's


def test_a_coop_theme_picked_is_stored_and_free_text_still_goes(app, db):
    meeting = lifecycle.create_meeting(db, checkin_template(), title="Rencontre du hub de Rennes")
    lifecycle.start(db, meeting)
    step = meeting.steps[0]
    lea = gen_participant(db, meeting, "Léa")
    sent = lifecycle.contribute(
        db,
        meeting,
        lea,
        step.id,
        "1",
        {
            "name": "Léa",
            "offers": ["Navigation sur internet", "Démarches en ligne"],
            "offers_other": "Fresque du numérique",
            "seeks": ["Intelligence artificielle (IA)"],
            "seeks_other": "Ateliers seniors en EHPAD",
        },
    ).contribution
    assert sent.data["offers"] == ["Navigation sur internet", "Démarches en ligne", "Fresque du numérique"]
    assert sent.data["seeks"] == ["Intelligence artificielle (IA)", "Ateliers seniors en EHPAD"]
    lifecycle.close(db, meeting)
    assert "| Navigation sur internet | Léa |  |" in meeting.minutes_md
    assert "| Ateliers seniors en EHPAD |  | Léa |" in meeting.minutes_md
    # and the network-less meeting's own list grows with them, so they come before La Coop's next time
    own, coop = activity_for(step).offered_skills(queries.contributions(db, step))
    assert "Navigation sur internet" in own and "Navigation sur internet" not in coop
