"""Partner isolation, private-address refusal, the attempt log, replay and auto-disable."""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from typing import Any

import pytest
from click.testing import CliRunner

from syndicate import netguard
from syndicate.cli import cli


def _push(site: Any, *args: str) -> Any:
    return CliRunner().invoke(
        cli, ["--config", str(site.config_path), "push", *args], catch_exceptions=False
    )


def test_one_broken_partner_never_stops_the_publish_or_the_others(
    site, push, receiver, monkeypatch
):
    monkeypatch.setenv("BAD_SECRET", "whsec_not*base64")
    monkeypatch.delenv("MISSING_HOST", raising=False)
    good = push.partner(receiver.url, name="good")
    bad_secret = push.partner(receiver.url, name="badsecret", auth={"secret": "${BAD_SECRET}"})
    bad_url = push.partner("http://${MISSING_HOST}/hook", name="badurl")
    site.article("news", "story", "Body.\n")
    site.write_config(channels=push.settings(good, bad_secret, bad_url))

    check = site.cli("check")
    assert check.exit_code == 1
    assert "partner 'badsecret': environment variable BAD_SECRET: not a Standard Webhooks" in (
        check.output
    )
    assert "partner 'badurl': url: environment variable MISSING_HOST is not set" in check.output
    assert "no problems found" not in check.output

    published = site.cli("publish", "--channels", "push")
    assert published.exit_code == 0, published.output
    assert {r["partner"] for r in push.rows(site.root)} == {"good", "badsecret", "badurl"}

    result = _push(site, "--drain")
    assert result.exit_code == 1
    assert "1 delivered" in result.stdout
    assert "partner 'badurl': url: environment variable MISSING_HOST is not set" in result.stderr
    assert len(receiver.ids()) == 1 and all(s.verified for s in receiver.seen)
    assert {r["partner"]: r["state"] for r in push.rows(site.root)} == {
        "good": "delivered",
        "badsecret": "pending",
        "badurl": "pending",
    }
    status = _push(site, "status")
    assert "broken: partner 'badsecret'" in status.stdout
    assert "broken: partner 'badurl'" in status.stdout
    rows = {r["partner"]: r for r in json.loads(_push(site, "status", "--json").stdout)["partners"]}
    assert rows["good"]["problem"] is None
    assert "MISSING_HOST" in rows["badurl"]["problem"]

    monkeypatch.setenv("MISSING_HOST", receiver.url.split("/")[2])
    monkeypatch.setenv("BAD_SECRET", push.secret)
    fixed = _push(site, "--drain")
    assert fixed.exit_code == 0 and "2 delivered" in fixed.stdout


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.9", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),
        ("::1", True),
        ("fe80::1", True),
        ("fd00:ec2::254", True),
        ("::ffff:127.0.0.1", True),
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
    ],
)
def test_address_classes(address: str, refused: bool) -> None:
    assert (netguard.refusal(ipaddress.ip_address(address)) is not None) is refused


def test_private_addresses_are_refused_at_connection_time(site, push, receiver, monkeypatch):
    """A name that resolves to loopback is refused where the socket would be opened."""
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    lookups: list[str] = []

    async def rebinding(host: str, port: int, **kw: Any) -> list[Any]:
        lookups.append(host)  # a public answer for the first lookup, loopback afterwards
        address = "93.184.216.34" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(netguard.anyio, "getaddrinfo", rebinding)
    lookups.append("warm-up")  # whatever looked up the name before, the connection re-checks
    site.article("news", "story", "Body.\n")
    partners = [
        push.partner(
            f"http://partner.test:{port}/hook", name="rebound", allow_private_network=False
        ),
        push.partner(receiver.url, name="loopback", allow_private_network=False),
        push.partner(receiver.url, name="lab"),  # allow_private_network: true
    ]
    site.write_config(channels=push.settings(*partners))
    assert site.cli("publish", "--channels", "push").exit_code == 0
    result = _push(site, "--drain")
    assert result.exit_code == 0, result.output
    states = {r["partner"]: r for r in push.rows(site.root)}
    assert states["lab"]["state"] == "delivered"
    for name, host in (("rebound", "partner.test"), ("loopback", "127.0.0.1")):
        row = states[name]
        assert row["state"] == "dead" and row["attempts"] == 1
        assert f"{host} resolves to 127.0.0.1, a loopback address; refused" in row["last_error"]
    assert len(receiver.seen) == 1  # only the partner allowed on the private network


def test_log_lists_every_attempt_and_replay_resends_delivered(site, push, receiver):
    receiver.plan = [("status", 503, {}, b"busy"), ("drop",)]
    site.article("news", "one", "One.\n")
    site.article("news", "two", "Two.\n")
    site.write_config(channels=push.settings(push.partner(receiver.url, concurrency=1)))
    assert site.cli("publish", "--channels", "push").exit_code == 0
    assert _push(site, "--drain").exit_code == 0
    log = json.loads(_push(site, "log", "--json").stdout)
    assert sorted(a["outcome"] for a in log) == ["delivered", "delivered", "retry", "retry"]
    assert sorted(str(a["status"]) for a in log) == ["200", "200", "503", "None"]
    assert any("connection failed" in a["error"] for a in log)
    for uid in {a["uid"] for a in log}:  # each message: attempts 1..n, the last delivered
        mine = [a for a in log if a["uid"] == uid]
        assert [a["attempt"] for a in mine] == list(range(1, len(mine) + 1))
        assert mine[-1]["outcome"] == "delivered" and len({a["webhook_id"] for a in mine}) == 1
    first_uid = log[0]["uid"]
    text = _push(site, "log", "--article", first_uid).stdout.splitlines()
    assert len(text) == sum(a["uid"] == first_uid for a in log)
    assert all(first_uid in line for line in text)

    before = len(receiver.seen)
    replay = _push(site, "replay", "--article", first_uid)
    assert "queued 1 message(s) again" in replay.stdout
    assert _push(site, "--drain").exit_code == 0
    assert len(receiver.seen) == before + 1
    assert receiver.seen[-1].id == log[0]["webhook_id"]  # the same message, as Svix resends

    everything = _push(site, "replay", "--since", "1h")
    assert "queued 2 message(s) again" in everything.stdout
    future = _push(site, "replay", "--until", "2000-01-01")
    assert "queued 0 message(s) again" in future.stdout
    assert _push(site, "replay").exit_code == 1  # says what to choose
    bad = _push(site, "replay", "--since", "yesterday-ish")
    assert bad.exit_code == 2 and "ISO date/time" in bad.output


def test_an_endpoint_failing_continuously_is_disabled_then_enabled(site, push, receiver):
    receiver.plan = [("status", 503, {}, b"down")] * 40
    site.article("news", "story", "Body.\n")
    partner = push.partner(receiver.url, max_attempts=1000)
    partner["backoff"] = {"base": 0.05, "cap": 0.05}
    site.write_config(channels=push.settings(partner, disable_after=0.3))
    assert site.cli("publish", "--channels", "push").exit_code == 0
    started = time.monotonic()
    result = _push(site, "--drain")  # returns once the partner is disabled: nothing is due
    assert result.exit_code == 0, result.output
    assert 0.3 <= time.monotonic() - started < 20
    status = _push(site, "status")
    assert "disabled: wire since" in status.stdout
    assert "every attempt failed for" in status.stdout and "HTTP 503: down" in status.stdout
    tried = len(receiver.seen)
    assert _push(site, "--drain").exit_code == 0
    assert len(receiver.seen) == tried  # a disabled endpoint is left alone

    receiver.plan = []
    enabled = _push(site, "enable", "wire")
    assert "wire enabled; 1 waiting deliveries are due now" in enabled.stdout
    assert _push(site, "--drain").exit_code == 0
    assert push.rows(site.root)[0]["state"] == "delivered"
    assert "disabled" not in _push(site, "status").stdout


def test_publish_push_status_and_log_on_postgresql(site, push, receiver, pg_url, monkeypatch):
    """state_url moves the outbox to PostgreSQL; the CLI works the same (credentials as ${VAR})."""
    user, rest = pg_url.removeprefix("postgresql://").split("@", 1)
    monkeypatch.setenv("STATE_DB_USER", user)
    site.settings["state_url"] = "postgresql://${STATE_DB_USER}@" + rest
    receiver.plan = [("status", 503, {"Retry-After": "0"}, b"busy")]
    site.article("news", "story", "Body.\n")
    site.write_config(channels=push.settings(push.partner(receiver.url)))
    migrated = site.cli("state", "migrate")
    assert migrated.exit_code == 0, migrated.output
    assert "syndicate_push: schema version 0 -> 1" in migrated.output
    assert "syndicate_mail: schema version 0 -> 1" in migrated.output
    assert "up to date" in site.cli("state", "migrate").output
    assert site.cli("publish", "--channels", "push").exit_code == 0
    assert not (site.root / ".syndicate" / "state" / "push").exists()  # nothing in SQLite
    result = _push(site, "--drain")
    assert result.exit_code == 0, result.output
    assert "1 delivered" in result.stdout
    log = json.loads(_push(site, "log", "--json").stdout)
    assert [(a["outcome"], a["status"]) for a in log] == [("retry", 503), ("delivered", 200)]
    rows = json.loads(_push(site, "status", "--json").stdout)["partners"]
    assert rows[0]["delivered"] == 1 and rows[0]["pending"] == 0
    assert "PostgreSQL at postgresql://postgres@" in site.cli("state", "where").output

    monkeypatch.delenv("STATE_DB_USER")
    missing = _push(site, "status")
    assert missing.exit_code == 1
    assert "state_url: environment variable STATE_DB_USER is not set" in missing.stderr
