"""Settings and addresses: the instance folder, its secrets, kit.toml, and the room's address."""

from __future__ import annotations

from types import SimpleNamespace

from kit import create_app
from kit.web import lan


def test_secrets_are_created_once_and_kept_across_restarts(tmp_path):
    config = {"INSTANCE_PATH": str(tmp_path), "ASYNC_MODE": "threading"}
    first, second = create_app(config), create_app(config)
    assert first.config["ADMIN_TOKEN"] == second.config["ADMIN_TOKEN"]
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "admin-token").stat().st_mode & 0o077 == 0, "only the owner may read the admin token"
    assert first.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'kit.sqlite3'}"


def test_kit_toml_then_environment_then_code(tmp_path, monkeypatch):
    (tmp_path / "kit.toml").write_text(
        'MAX_TEXT_LENGTH = 700\nRATE_LIMIT = 5\nDEFAULT_LANGUAGE = "en"\n', encoding="utf-8"
    )
    monkeypatch.setenv("KIT_RATE_LIMIT", "9")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "ASYNC_MODE": "threading", "DEFAULT_LANGUAGE": "fr"})
    assert app.config["MAX_TEXT_LENGTH"] == 700
    assert app.config["RATE_LIMIT"] == 9
    assert app.config["DEFAULT_LANGUAGE"] == "fr"


def adapter(name, *ips):  # type: ignore[no-untyped-def]
    return SimpleNamespace(nice_name=name, ips=[SimpleNamespace(ip=ip) for ip in ips])


def test_the_join_address_is_the_laptops_address_on_the_room_network(monkeypatch):
    adapters = [
        adapter("lo", "127.0.0.1"),
        adapter("docker0", "172.17.0.1"),
        adapter("wlp2s0", ("fe80::1", 0, 0), "192.168.1.23"),
        adapter("eth0", "10.4.0.7"),
    ]
    monkeypatch.setattr(lan.ifaddr, "get_adapters", lambda: adapters)
    assert lan.public_url("0.0.0.0", 8000) == "http://192.168.1.23:8000"
    assert lan.public_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"


def test_without_a_network_the_laptop_itself_is_used(monkeypatch):
    monkeypatch.setattr(lan.ifaddr, "get_adapters", lambda: [adapter("lo", "127.0.0.1")])
    assert lan.public_url("0.0.0.0", 8001) == "http://127.0.0.1:8001"
