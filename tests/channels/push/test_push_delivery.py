"""Delivery against a real endpoint on 127.0.0.1: signatures, retries, dead letters, secrets."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from syndicate.cli import cli


def _publish(site: Any, push: Any, receiver: Any, **partner: Any) -> None:
    site.article("news", "first-story", "First body.\n", tags=["AI"])
    site.write_config(channels=push.settings(push.partner(receiver.url, **partner)))
    result = site.cli("publish", "--channels", "push")
    assert result.exit_code == 0, result.output


def _push(site: Any, *args: str) -> Any:
    # Not site.cli: it would mix stderr into output; keep them apart to check each.
    runner = CliRunner()
    return runner.invoke(
        cli, ["--config", str(site.config_path), "push", *args], catch_exceptions=False
    )


def test_signed_delivery_verified_by_independent_receiver(site, push, receiver):
    _publish(site, push, receiver)
    result = _push(site)
    assert result.exit_code == 0, result.output
    assert "1 delivered" in result.stdout
    [seen] = receiver.seen
    assert seen.verified and seen.answer == "200"
    assert seen.headers["content-type"] == "application/json"
    assert seen.json()["headlines"][0]["value"] == "First Story"
    [row] = push.rows(site.root)
    assert row["state"] == "delivered" and row["attempts"] == 1
    assert seen.id == row["webhook_id"] and seen.id.startswith("msg_")


def test_retries_on_503_500_timeout_and_dropped_connection_then_success(site, push, receiver):
    receiver.plan = [
        ("status", 503, {"Retry-After": "1"}, b"busy"),
        ("status", 500, {}, b"oops"),
        ("hang", 1.5),
        ("drop",),
        ("status", 429, {}, b"slow down"),
    ]
    _publish(site, push, receiver)
    result = _push(site, "--drain")
    assert result.exit_code == 0, result.output
    answers = [s.answer for s in receiver.seen]
    assert answers == ["503", "500", "hang", "drop", "429", "200"]
    assert len({s.id for s in receiver.seen}) == 1  # one webhook-id across every retry
    assert all(s.verified for s in receiver.seen)
    stamps = [int(s.headers["webhook-timestamp"]) for s in receiver.seen]
    assert stamps[1] - stamps[0] >= 1  # waited for Retry-After before the next attempt
    [row] = push.rows(site.root)
    assert row["state"] == "delivered" and row["attempts"] == 6 and row["last_status"] == 200
    assert "retry" in result.stderr and "timed out" in result.stderr


def test_400_goes_to_dead_letters_with_status_and_excerpt(site, push, receiver):
    receiver.plan = [("status", 400, {}, b'{"error": "headline too long"}')]
    _publish(site, push, receiver)
    result = _push(site, "--drain")
    assert result.exit_code == 0, result.output
    assert len(receiver.seen) == 1  # a 400 is not retried
    [row] = push.rows(site.root)
    assert row["state"] == "dead" and row["last_status"] == 400
    assert "headline too long" in row["last_error"]

    status = _push(site, "status", "--json")
    data = json.loads(status.stdout)
    [wire] = data["partners"]
    assert (wire["pending"], wire["retrying"], wire["delivered"], wire["dead"]) == (0, 0, 0, 1)
    assert data["dead_letters"][0]["last_status"] == 400

    requeued = _push(site, "retry-dead")
    assert "requeued 1" in requeued.stdout
    assert _push(site).exit_code == 0
    assert [s.answer for s in receiver.seen] == ["400", "200"]
    assert receiver.seen[0].id == receiver.seen[1].id
    assert push.rows(site.root)[0]["state"] == "delivered"


def test_exhausted_attempts_become_dead(site, push, receiver):
    receiver.plan = [("status", 502, {}, b"bad gateway")] * 3
    _publish(site, push, receiver, max_attempts=3)
    _push(site, "--drain")
    assert [s.answer for s in receiver.seen] == ["502"] * 3
    [row] = push.rows(site.root)
    assert row["state"] == "dead" and row["attempts"] == 3
    assert row["last_error"].startswith("gave up after 3 attempts")


def test_status_table_counts_pending_and_age(site, push, receiver):
    _publish(site, push, receiver)
    site.article("news", "second-story", "Second.\n")
    site.cli("publish", "--channels", "push")
    table = _push(site, "status").stdout.splitlines()
    assert table[0].split() == [
        "partner",
        "pending",
        "retrying",
        "delivered",
        "dead",
        "oldest",
        "pending",
    ]
    cells = table[1].split()
    assert cells[:5] == ["wire", "2", "0", "0", "0"]
    assert cells[5].endswith("s")


def test_secrets_never_reach_store_or_errors(site, push, receiver):
    receiver.token = push.token
    receiver.plan = [("status", 400, {}, f"rejected: Bearer {push.token}".encode())]
    auth = {"type": "bearer", "token": "${" + push.token_env + "}"}
    _publish(site, push, receiver, auth=auth)
    result = _push(site, "--drain")
    assert receiver.seen[0].headers["authorization"] == f"Bearer {push.token}"
    store = (site.root / ".syndicate" / "state" / "push" / "outbox.sqlite3").read_bytes()
    assert push.token.encode() not in store
    assert push.token not in result.stdout + result.stderr
    assert "[redacted]" in push.rows(site.root)[0]["last_error"]
    status = _push(site, "status")
    assert push.token not in status.stdout


def test_hmac_secret_not_in_store(site, push, receiver):
    _publish(site, push, receiver)
    _push(site)
    data = b"".join(p.read_bytes() for p in (site.root / ".syndicate" / "state" / "push").iterdir())
    assert push.secret.encode() not in data
    assert push.secret.removeprefix("whsec_").encode() not in data
    assert push.raw_key not in data


def test_missing_secret_is_one_readable_error(site, push, receiver, monkeypatch):
    _publish(site, push, receiver)
    monkeypatch.delenv(push.secret_env)
    result = _push(site)
    assert result.exit_code == 1
    assert f"environment variable {push.secret_env} is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert receiver.seen == []


def test_redirect_is_not_followed_and_its_query_not_stored(site, push, receiver):
    receiver.plan = [("status", 302, {"Location": "http://elsewhere.test/x?key=abc123"}, b"")]
    _publish(site, push, receiver)
    _push(site, "--drain")
    assert len(receiver.seen) == 1
    [row] = push.rows(site.root)
    assert row["state"] == "dead" and row["last_status"] == 302
    assert "redirected to http://elsewhere.test/x" in row["last_error"]
    assert "abc123" not in row["last_error"]


def test_partner_option_sends_only_that_partner(site, push, receiver):
    site.article("news", "story", "Body.\n")
    partners = [push.partner(receiver.url, name="a"), push.partner(receiver.url, name="b")]
    site.write_config(channels=push.settings(*partners))
    assert site.cli("publish", "--channels", "push").exit_code == 0
    assert _push(site, "--partner", "b").exit_code == 0
    assert {r["partner"]: r["state"] for r in push.rows(site.root)} == {
        "a": "pending",
        "b": "delivered",
    }
    unknown = _push(site, "--partner", "zzz")
    assert unknown.exit_code == 1 and "no partner named 'zzz'" in unknown.stderr


def test_retry_after_http_date_and_full_jitter_bounds():
    import random
    from datetime import UTC, datetime
    from email.utils import format_datetime

    from syndicate_channels.push.retry import parse_retry_after, retry_delay
    from syndicate_channels.push.settings import Backoff

    now = 1_700_000_000.0
    date = format_datetime(datetime.fromtimestamp(now + 120, UTC), usegmt=True)
    assert parse_retry_after(date, now) == 120
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("soon", now) is None
    backoff = Backoff(base=1, cap=8, max_retry_after=60)
    rng = random.Random(7)
    for attempt in range(1, 10):
        delay = retry_delay(attempt, backoff, None, rng)
        assert 0 <= delay <= min(8, 2 ** (attempt - 1))
    assert retry_delay(1, backoff, 45, rng) >= 45  # never sooner than asked
    assert retry_delay(1, backoff, 3600, rng) <= 60  # but not absurdly late
