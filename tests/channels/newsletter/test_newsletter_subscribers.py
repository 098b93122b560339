"""Subscriber management from the CLI, settings validation, and publish staying quiet."""

from __future__ import annotations

from typing import Any

from conftest import SiteFactory


def configure(site: SiteFactory, nl_config: Any, **overrides: Any) -> None:
    site.write_config(channels={"newsletter": nl_config(2525, **overrides)})


def test_csv_import_reports_bad_lines_and_imports_the_rest(
    site: SiteFactory, nl_cli: Any, nl_config: Any
) -> None:
    configure(site, nl_config)
    csv_file = site.root / "readers.csv"
    csv_file.write_text(
        "Name,E-mail\n"
        "Ann Lee,ann@example.com\n"
        "Broken,not-an-address\n"
        '"Chen, Wei",CHEN@Example.NET\n'
        "\n"
        "No Domain,bo@\n"
        "Ann again,Ann@example.com\n"
        "Dan,dan@example.org\n",
        encoding="utf-8",
    )
    result = nl_cli(site.config_path, "subscribers", "import", str(csv_file), "--list", "daily")
    assert result.exit_code == 0, result.output
    assert f"{csv_file}:3: invalid address 'not-an-address'" in result.stderr
    assert f"{csv_file}:6: invalid address 'bo@'" in result.stderr
    assert "3 added, 1 already on the list (unchanged), 2 invalid row(s) skipped" in result.output

    listed = nl_cli(site.config_path, "subscribers", "list", "--list", "daily")
    rows = [line.split("\t") for line in listed.output.splitlines()]
    assert rows == [
        ["ann@example.com", "active", "Ann Lee"],
        ["CHEN@example.net", "active", "Chen, Wei"],
        ["dan@example.org", "active", "Dan"],
    ]

    removed = nl_cli(
        site.config_path, "subscribers", "remove", "chen@EXAMPLE.net", "--list", "daily"
    )
    assert removed.exit_code == 0, removed.output
    again = nl_cli(site.config_path, "subscribers", "remove", "chen@example.net", "--list", "daily")
    assert again.exit_code == 1 and "is not on list 'daily'" in again.stderr
    listed = nl_cli(
        site.config_path, "subscribers", "list", "--list", "daily", "--status", "active"
    )
    assert [line.split("\t")[0] for line in listed.output.splitlines()] == [
        "ann@example.com",
        "dan@example.org",
    ]


def test_add_rejects_invalid_address_and_unknown_list(
    site: SiteFactory, nl_cli: Any, nl_config: Any
) -> None:
    configure(site, nl_config)
    bad = nl_cli(site.config_path, "subscribers", "add", "ann@@example.com", "--list", "daily")
    assert bad.exit_code == 1 and "invalid address 'ann@@example.com'" in bad.stderr
    unknown = nl_cli(site.config_path, "subscribers", "add", "a@example.com", "--list", "weekly")
    assert unknown.exit_code == 1
    assert "no mailing list 'weekly' in channels.newsletter.lists (daily)" in unknown.stderr


def test_settings_errors_name_the_key(site: SiteFactory, nl_cli: Any, nl_config: Any) -> None:
    config = nl_config(2525, colour="blue")
    config["smtp"]["security"] = "ssl"
    config["secret"] = "written-in-the-file"
    site.write_config(channels={"newsletter": config})
    result = nl_cli(site.config_path, "subscribers", "list", "--list", "daily")
    assert result.exit_code == 1
    assert "channels.newsletter.lists.0.colour: unknown setting" in result.stderr
    assert "channels.newsletter.smtp.security:" in result.stderr
    assert "channels.newsletter.secret: secrets are not stored in syndicate.yaml" in result.stderr
    assert "written-in-the-file" not in result.stderr


def test_send_without_secret_fails_before_anything_is_sent(
    site: SiteFactory, nl_cli: Any, nl_config: Any, monkeypatch: Any
) -> None:
    configure(site, nl_config)
    monkeypatch.delenv("NEWSLETTER_SECRET")
    result = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert result.exit_code == 1
    assert "environment variable NEWSLETTER_SECRET is not set" in result.stderr


def test_publish_with_lists_configured_writes_no_newsletter_files(
    site: SiteFactory, nl_config: Any
) -> None:
    site.section("finance", "Finance")
    site.article("finance", "first", title="First story")
    configure(site, nl_config)
    result = site.cli("publish", "--channels", "newsletter")
    assert result.exit_code == 0, result.output
    public = site.root / "public"
    assert not public.exists() or not any(p.is_file() for p in public.rglob("*"))
    assert not (site.root / ".syndicate/state/newsletter/mailing.sqlite3").exists()


def test_settings_fingerprint_names_the_secret_but_never_holds_it(
    site: SiteFactory, nl_config: Any, newsletter_secret: str
) -> None:
    from syndicate_channels.newsletter.settings import NewsletterSettings

    raw = nl_config(2525)
    raw["smtp"].update(username="mailer", password="${SMTP_PASSWORD}")
    settings = NewsletterSettings.model_validate(raw)
    dumped = settings.model_dump_json()
    assert "${NEWSLETTER_SECRET}" in dumped and "${SMTP_PASSWORD}" in dumped
    assert newsletter_secret not in dumped
