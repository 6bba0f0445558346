"""The places' pages in real Chromium: the import preview, the network page with its filters and counts,
a member's offer-sheet form (with its errors) and the printed offer sheet — axe-core on each, 44 px
targets on the phone, no sideways scrolling; screenshots under screenshots/browser-places-*.png.
Skipped without Playwright and /usr/bin/chromium, unless KIT_REQUIRE_BROWSER is set."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import DESK, PHONE, Room, browser_fixture, expect, room_fixture, server_fixture, shoot  # noqa: F401  (fixtures)
from tests.server import KitServer
from tests.test_browser_pages import SMALL_TARGETS, axe
from tests.test_places import HEADER, line
from tests.test_screenshots import ROOT

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "tests" / "fixtures" / "standard-mediation-num" / "exemple-valide.csv"


def test_places_pages_pass_axe_and_print(server: KitServer, room: Room, tmp_path: Path) -> None:
    problems: list[str] = []
    small: list[str] = []
    admin_token = (server.instance / "admin-token").read_text().strip()
    desk = room.page(bypass_csp=True, **DESK)
    desk.goto(f"{server.url}/admin?token={admin_token}")
    desk.get_by_text("Créer un réseau").click()
    desk.get_by_label("Nom du réseau").fill("Réseau du pays de Vitré")
    desk.get_by_role("button", name="Créer le réseau").click()
    desk.get_by_role("link", name="Réseau du pays de Vitré").click()
    network_url = desk.url.split("#")[0]

    # a file with an error row: the preview says where and why
    mixed = tmp_path / "lieux.csv"
    rows = [
        line(),
        line(id="vitre-2", nom="CCAS d'Étrelles", commune="Étrelles", code_postal="355"),
        line(
            id="vitre-3",
            nom="Espace jeunes",
            commune="Châteaugiron",
            services="Loisirs et créations numériques",
            publics_specifiquement_adresses="Jeunes",
        ),
    ]
    mixed.write_text("\r\n".join([HEADER, *rows]) + "\r\n", encoding="utf-8")
    desk.get_by_label(re.compile("^Un fichier CSV au standard national")).set_input_files(str(mixed))
    desk.get_by_role("button", name="Voir ce qui serait importé").click()
    expect(desk.get_by_role("heading", name=re.compile("ce qui changerait"))).to_be_visible()
    problems += axe(desk, "places import preview")
    shoot(desk, "places-import-preview", full_page=True)
    desk.get_by_role("button", name=re.compile("Importer seulement les 2 lignes valides")).click()
    expect(desk.get_by_text(re.compile("2 lieux ajoutés"))).to_be_visible()

    # then the standard's own example
    desk.get_by_label(re.compile("^Un fichier CSV au standard national")).set_input_files(str(EXAMPLE))
    desk.get_by_role("button", name="Voir ce qui serait importé").click()
    desk.get_by_role("button", name="Importer", exact=True).click()
    desk.get_by_label("Nom d'un membre qui travaille à Anonymal").fill("Awa Diallo")
    desk.get_by_role("button", name="Relier — Anonymal").click()
    # the page the link leads back to, loaded, before axe is injected into it
    expect(desk.locator(".member", has_text="Awa Diallo")).to_be_visible()
    problems += axe(desk, "network page with places")
    shoot(desk, "places-network", full_page=True)
    desk.get_by_label("Service", exact=True).select_option("Loisirs et créations numériques")
    desk.get_by_role("button", name="Afficher").click()
    expect(desk.get_by_text("2 lieux affichés")).to_be_visible()  # Espace jeunes and the v1 example
    problems += axe(desk, "network page, places filtered")
    desk.goto(network_url)
    desk.get_by_text("Lien personnel").first.click()
    edit_link = re.search(r"https?://\S+/offer/edit/[\w-]+", desk.content())
    assert edit_link, "the coordinator sees the member's personal link"

    # the member, on a phone: the form, a refusal that says why, then the sheet
    phone = room.page(bypass_csp=True, **PHONE)
    phone.goto(edit_link.group(0))
    expect(phone.get_by_role("heading", name="La fiche d'offre de Anonymal")).to_be_visible()
    problems += axe(phone, "offer sheet form")
    small += [f"offer sheet form: {t}" for t in phone.evaluate(SMALL_TARGETS)]
    phone.get_by_label(re.compile("^Code postal")).fill("5110")
    phone.get_by_label(re.compile("^Combien de temps|^Durée")).fill("45 minutes par rendez-vous")
    phone.get_by_role("button", name="Enregistrer la fiche").click()
    expect(phone.get_by_role("alert")).to_contain_text("1 valeur à corriger")
    problems += axe(phone, "offer sheet form with an error")
    shoot(phone, "places-edit-error-phone", full_page=True)
    phone.get_by_label(re.compile("^Code postal")).fill("51100")
    phone.get_by_label(re.compile("^Fréquence")).fill("Chaque mardi, de 14 h à 17 h")
    # the weekly timetable, filled in with the fingers: it writes the OSM hours
    expect(phone.get_by_label("Mardi, ouverture 1 : ouvre à")).to_have_value("09:00")
    phone.get_by_label("Dimanche, ouverture 1 : ouvre à").fill("10:00")
    phone.get_by_label("Dimanche, ouverture 1 : ferme à").fill("12:00")
    problems += axe(phone, "offer sheet form, weekly timetable open")
    small += [f"offer sheet form, timetable: {t}" for t in phone.evaluate(SMALL_TARGETS)]
    shoot(phone, "places-edit-timetable-phone", full_page=True)
    phone.locator("details.timetable").screenshot(path=str(ROOT / "screenshots" / "browser-places-timetable.png"))
    phone.get_by_role("button", name="Enregistrer la fiche").click()
    phone.get_by_role("link", name="Voir la fiche").click()
    expect(phone.get_by_role("heading", name="Anonymal")).to_be_visible()
    problems += axe(phone, "offer sheet")
    small += [f"offer sheet: {t}" for t in phone.evaluate(SMALL_TARGETS)]
    if phone.evaluate("document.documentElement.scrollWidth") > 360:
        small.append("offer sheet: the page scrolls sideways on a phone")
    shoot(phone, "places-sheet-phone", full_page=True)
    sheet = room.page(**DESK)
    sheet.goto(phone.url)
    sheet.emulate_media(media="print")
    shoot(sheet, "places-sheet-print", full_page=True)
    sheet.pdf(path=str(ROOT / "screenshots" / "offer-sheet-a4.pdf"), format="A4")
    assert "Chaque mardi" in sheet.content()
    assert "Le dimanche : 10:00 – 12:00." in sheet.content()

    # the network's places as open data: a checkbox, then a public page for data.gouv.fr
    desk.goto(network_url)
    desk.get_by_label("Publier les lieux en données ouvertes").check()
    desk.get_by_label(re.compile("^SIRET ou numéro RNA")).fill("24350013900017")
    desk.locator("form.open-data-setting").get_by_role("button", name="Enregistrer").click()
    expect(desk.get_by_text("Les lieux sont publiés en données ouvertes.")).to_be_visible()
    problems += axe(desk, "network page, open data chosen")
    desk.get_by_role("link", name=re.compile("open-data")).click()
    expect(desk.get_by_role("heading", name=re.compile("^Lieux de médiation numérique de"))).to_be_visible()
    problems += axe(desk, "open data page")
    shoot(desk, "places-open-data", full_page=True)
    public = room.page(**PHONE)
    public.goto(desk.url)
    small += [f"open data page: {t}" for t in public.evaluate(SMALL_TARGETS)]
    if public.evaluate("document.documentElement.scrollWidth") > 360:
        small.append("open data page: the page scrolls sideways on a phone")
    shoot(public, "places-open-data-phone", full_page=True)
    assert not problems, "\n".join(problems)
    assert not small, "\n".join(small)
