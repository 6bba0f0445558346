"""kit installed like any Python server: from a built wheel, not from this clone.

A non-editable install must carry everything kit reads at run time: the meeting templates of
sessions/ (as kit/sessions/), the compiled French catalogue, the pages and the static files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# what the installed kit prints about itself, run from outside the clone with only the wheel's files
PROBE = """
import json, pathlib, kit
from kit import create_app
from kit.meeting.templates import list_templates
app = create_app({"INSTANCE_PATH": INSTANCE, "ASYNC_MODE": "threading"})
package = pathlib.Path(kit.__file__).parent
print(json.dumps({
    "package": str(package),
    "templates": sorted(t.name for t in list_templates(app.config["SESSIONS_DIRS"]) if hasattr(t, "steps")),
    "catalogue": (package / "translations/fr/LC_MESSAGES/messages.mo").is_file(),
}))
with app.test_client() as client:
    client.get("/admin", query_string={"token": app.config["ADMIN_TOKEN"]})
    print(client.get("/admin", headers={"Accept-Language": "fr"}).get_data(as_text=True))
"""


def build_wheel(out: Path) -> Path:
    """kit's wheel, built from this clone into `out`."""
    # no build isolation: hatchling and babel are test dependencies, and no index is needed
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    [built] = out.glob("kit-*.whl")
    return built


def install_wheel(wheel: Path, target: Path) -> None:
    """Install kit alone into `target` (run it with PYTHONPATH=target: the dependencies are this environment's)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        timeout=120,
        capture_output=True,
    )


@pytest.fixture(scope="module", name="wheel")
def wheel_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_the_wheel_carries_the_templates_and_the_french_catalogue(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(name).name for name in names if name.startswith("kit/sessions/")}
    assert shipped == {path.name for path in (ROOT / "sessions").glob("*.toml")}
    assert "kit/translations/fr/LC_MESSAGES/messages.mo" in names
    assert "kit/templates/console.html" in names and "kit/static/live/common.js" in names
    assert any(name.startswith("kit/core/migrations/versions/") for name in names)
    # the lists kit keeps as data, with their sources: read at import
    assert {"kit/places/typologies.json", "kit/activities/data/coop_thematiques.json"} <= set(names)


def test_kit_installed_from_the_wheel_offers_the_monthly_meeting_in_french(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    install_wheel(wheel, target)
    # the dependencies come from this environment; kit itself only from the wheel (never this clone)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}
    env.pop("KIT_INSTANCE_PATH", None)
    env.pop("KIT_SESSIONS_DIRS", None)
    probe = f"INSTANCE = {str(tmp_path / 'instance')!r}\n" + PROBE
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=outside, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-3000:]
    first, page = result.stdout.split("\n", 1)
    found = json.loads(first)
    assert Path(found["package"]).is_relative_to(target), f"kit was imported from {found['package']}, not the wheel"
    assert found["catalogue"]
    assert "rencontre-mensuelle" in found["templates"]
    # the admin page offers it, in French
    assert 'value="rencontre-mensuelle"' in page
    assert "Rencontre mensuelle" in page and 'lang="fr"' in page
