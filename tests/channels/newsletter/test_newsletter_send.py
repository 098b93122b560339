"""Sending digests through a real SMTP server (aiosmtpd on 127.0.0.1) and reading them back."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes, message_from_string
from email.policy import default
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

import pytest
from conftest import SiteFactory
from syndicate_channels.newsletter.settings import load_settings, store_path
from syndicate_channels.newsletter.wrap import display_width

from syndicate.config import load_config
from syndicate.delivery.mailing import SqliteMailingStore

CHINESE_TITLE = (
    "中国人工智能产业发展联盟发布报告：文本生成视频技术将在未来三年内重塑影视后期制作流程"
)
SUBSCRIBERS = ["ann@example.com", "bo@example.org", "chen@example.net"]


def make_site(site: SiteFactory, smtp_port: int, nl_config: Any, **overrides: Any) -> None:
    site.section("finance", "Finance")
    site.section("finance/markets", "Markets")
    site.section("sports", "Sports")
    site.article(
        "finance/markets",
        "sora-film-industry",
        title='Will Sora become a director & "screenwriter"?',
        summary="Industry figures weigh what text-to-video means for post-production.",
        source={"name": "Chongqing Morning Post", "url": "https://example.com/original/123"},
        published="2024-02-20T09:30:00+08:00",
    )
    site.article(
        "finance",
        "ai-video-report",
        title=CHINESE_TITLE,
        summary="报告认为，后期制作岗位面临深刻变化。" * 3,
        published="2024-02-21T08:00:00+08:00",
    )
    site.article("sports", "match-report", title="Not in the finance list")
    site.write_config(channels={"newsletter": nl_config(smtp_port, **overrides)})


def store_for(site: SiteFactory) -> SqliteMailingStore:
    config = load_config(site.config_path)
    return SqliteMailingStore(store_path(load_settings(config), config))


def subscribe_all(site: SiteFactory, nl_cli: Any, addresses: list[str]) -> None:
    for address in addresses:
        result = nl_cli(site.config_path, "subscribers", "add", address, "--list", "daily")
        assert result.exit_code == 0, result.output


def body_lines(raw: bytes) -> list[str]:
    message = message_from_bytes(raw, policy=default)
    return message.get_content().splitlines()  # type: ignore[attr-defined,no-any-return]


def test_each_active_subscriber_gets_one_correct_message(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any
) -> None:
    make_site(site, smtp_server.port, nl_config)
    subscribe_all(site, nl_cli, [*SUBSCRIBERS, "gone@example.com"])
    store = store_for(site)
    gone = store.find_subscriber("daily", "gone@example.com")
    assert gone is not None
    store.set_status(gone.id, "unsubscribed")
    store.close()

    result = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert result.exit_code == 0, result.output
    assert "3 sent" in result.output

    received = smtp_server.recorder.messages
    assert sorted(smtp_server.recorder.recipients()) == sorted(SUBSCRIBERS)
    model = site.build().site
    finance_urls = {a.url for a in model.in_section("finance")}
    ids = set()
    for item in received:
        message = item.message
        to = parseaddr(str(message["To"]))[1]
        assert item.rcpt_tos == [to]
        assert item.mail_from == "news@example.com"
        assert message["From"].addresses[0].addr_spec == "news@example.com"
        assert message["Reply-To"] == "desk@example.com"
        assert message["MIME-Version"] == "1.0"
        assert message.get_content_type() == "text/plain"
        assert message.get_content_charset() == "utf-8"
        assert message["Subject"].startswith("Daily Brief #1: ")
        assert parsedate_to_datetime(message["Date"]).tzinfo is not None
        assert re.fullmatch(
            r"<daily\.1\.\d+\.[0-9a-f]{16}@news\.example\.com>", message["Message-ID"]
        )
        ids.add(message["Message-ID"])
        assert message["List-Id"] == "Daily Brief <daily.news.example.com>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        targets = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
        assert targets[0].startswith("mailto:unsubscribe@example.com?subject=unsubscribe%20")
        assert targets[1].startswith("https://news.example.com/newsletter/unsubscribe?token=")

        # raw lines: at most 78 characters, except a header carrying an unbreakable URL
        for raw_line in item.raw.split(b"\r\n"):
            if len(raw_line) > 78:
                assert b"https://" in raw_line or b"mailto:" in raw_line, raw_line

        lines = body_lines(item.raw)
        for line in lines:
            if display_width(line) > 72:
                # only a long URL alone, or after its [n] within RFC 5322's 78
                assert re.fullmatch(r"(\[\d+\] )?https://\S+", line), line
                assert line.startswith("https://") or display_width(line) <= 78
        text = "\n".join(lines)
        assert "".join(text.split()).count("".join(CHINESE_TITLE.split())) == 1
        assert any(display_width(line) > 60 and "中国" in line for line in lines)
        refs = dict(re.findall(r"^\[(\d+)\]\s*\n?(https?://\S+)$", text, re.M))
        assert set(refs.values()) == finance_urls | {"https://example.com/original/123"}
        assert 'Will Sora become a director & "screenwriter"? [' in text  # not HTML-escaped
        assert "Not in the finance list" not in text
        assert to in text and "1 Harbour Road" in text
        assert targets[1] in text  # the footer link is this subscriber's own
    assert len(ids) == len(received)

    # Nothing new: a second send sends nothing.
    again = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert again.exit_code == 0 and "no new articles" in again.output
    assert len(smtp_server.recorder.messages) == 3

    # A newer article makes issue #2 with only that article.
    site.article("finance", "rates", title="Central bank holds rates", published="2024-03-01")
    third = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert third.exit_code == 0, third.output
    new = smtp_server.recorder.messages[3:]
    assert len(new) == 3
    for item in new:
        text = item.message.get_content()
        assert item.message["Subject"] == "Daily Brief #2: Central bank holds rates"
        assert "Central bank holds rates" in text and "Sora" not in text


def test_refused_recipient_is_marked_reported_and_not_retried(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any
) -> None:
    make_site(site, smtp_server.port, nl_config)
    subscribe_all(site, nl_cli, SUBSCRIBERS)
    smtp_server.recorder.refuse["bo@example.org"] = "550 5.1.1 <bo@example.org>: no such user"

    result = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert result.exit_code == 0, result.output
    assert "refused: bo@example.org: 550 5.1.1" in result.stderr
    assert "2 sent, 1 refused" in result.output
    assert sorted(smtp_server.recorder.recipients()) == ["ann@example.com", "chen@example.net"]
    store = store_for(site)
    bo = store.find_subscriber("daily", "bo@example.org")
    assert bo is not None and bo.status == "bounced"
    issue_id = 1
    assert store.counts(issue_id) == {"sent": 2, "failed": 1}
    store.close()

    del smtp_server.recorder.refuse["bo@example.org"]
    rerun = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert rerun.exit_code == 0
    assert len(smtp_server.recorder.messages) == 2  # no retry, no second copy


def test_server_down_leaves_everything_pending_with_one_error(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any, unused_port: int
) -> None:
    make_site(site, unused_port, nl_config)  # nobody listens there
    subscribe_all(site, nl_cli, SUBSCRIBERS)
    down = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert down.exit_code == 1
    errors = [line for line in down.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "cannot reach SMTP server 127.0.0.1:" in errors[0]
    assert "Traceback" not in down.output

    site.write_config(channels={"newsletter": nl_config(smtp_server.port)})
    up = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert up.exit_code == 0, up.output
    assert sorted(smtp_server.recorder.recipients()) == sorted(SUBSCRIBERS)
    assert "#1" in up.output


@pytest.mark.parametrize("how", ["kill", "ctrl-c"])
def test_stopped_mid_send_then_rerun_delivers_the_rest_exactly_once(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any, how: str
) -> None:
    """SIGKILL (or SIGINT) the sending process after 3 accepted messages, then rerun."""
    addresses = [f"reader{n}@example.com" for n in range(8)]
    make_site(site, smtp_server.port, nl_config)
    subscribe_all(site, nl_cli, addresses)
    process: list[subprocess.Popen[bytes]] = []

    def stop_after_three(accepted: int) -> str | None:
        if accepted == 3 and process and process[0].poll() is None:
            if how == "kill":
                process[0].kill()  # dies waiting for the 4th reply: that one is not accepted
                process[0].wait()
            else:
                process[0].send_signal(signal.SIGINT)
            return "451 4.3.0 try again later"
        return None

    smtp_server.recorder.on_data = stop_after_three
    command = [
        sys.executable,
        "-c",
        "from syndicate.cli import main; main()",
        "--config",
        str(site.config_path),
        "newsletter",
        "send",
        "--list",
        "daily",
    ]
    process.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    _, stderr = process[0].communicate(timeout=60)
    if how == "kill":
        assert process[0].returncode == -signal.SIGKILL
    else:
        assert process[0].returncode == 1
        assert b"interrupted: daily #1 sent to 3" in stderr
        assert b"Traceback" not in stderr
    assert len(smtp_server.recorder.messages) == 3

    smtp_server.recorder.on_data = None
    rerun = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert rerun.exit_code == 0, rerun.output
    assert "5 sent" in rerun.output and "#1" in rerun.output
    counts = Counter(smtp_server.recorder.recipients())
    assert sorted(counts) == sorted(addresses)
    assert set(counts.values()) == {1}
    subjects = {m.message["Subject"] for m in smtp_server.recorder.messages}
    assert len(subjects) == 1  # the same frozen issue, not a rebuilt one


def _attempts(site: SiteFactory, email: str) -> tuple[int, float, float | None]:
    store = store_for(site)
    row = store.conn.execute(
        "SELECT d.attempts, d.due_at, d.deferred_since FROM deliveries d JOIN subscribers s "
        "ON s.id = d.subscriber_id WHERE s.email = ?",
        (email,),
    ).fetchone()
    store.close()
    return row[0], row[1], row[2]


def _age_deferral(site: SiteFactory, email: str, seconds: float) -> None:
    """Pretend the first refusal came `seconds` ago and the retry is due now."""
    store = store_for(site)
    store.conn.execute(
        "UPDATE deliveries SET due_at = 0, deferred_since = deferred_since - ? WHERE "
        "subscriber_id = (SELECT id FROM subscribers WHERE email = ?)",
        (seconds, email),
    )
    store.close()


def test_a_deferred_recipient_is_retried_on_a_schedule_then_given_up(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any
) -> None:
    """4xx: quick reruns do not use up the retries; the reader is given up on after a day."""
    make_site(site, smtp_server.port, nl_config)
    subscribe_all(site, nl_cli, SUBSCRIBERS[:2])
    smtp_server.recorder.refuse["bo@example.org"] = "451 4.7.1 greylisted, try later"
    outputs = [nl_cli(site.config_path, "newsletter", "send", "--list", "daily") for _ in range(3)]
    assert "1 sent, 0 refused, 0 skipped, 1 pending (next retry due " in outputs[0].output
    assert "deferred: bo@example.org: 451 4.7.1" in outputs[0].stderr
    for later in outputs[1:]:
        assert "0 sent, 0 refused, 0 skipped, 1 pending (next retry due" in later.output
        assert "deferred" not in later.stderr  # not due yet: the server is not even asked
    attempts, due_at, since = _attempts(site, "bo@example.org")
    assert attempts == 1 and since is not None and 290 <= due_at - since <= 310

    _age_deferral(site, "bo@example.org", 3600)
    retried = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert "deferred: bo@example.org" in retried.stderr
    attempts, due_at, since = _attempts(site, "bo@example.org")
    assert attempts == 2 and since is not None and due_at - (since + 3600) >= 590  # doubled

    _age_deferral(site, "bo@example.org", 24 * 3600)
    given_up = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert "refused: bo@example.org: gave up after 3 attempts over 25.0 h: 451 4.7.1" in (
        given_up.stderr
    )
    assert "0 pending" in given_up.output
    assert smtp_server.recorder.recipients() == ["ann@example.com"]
    store = store_for(site)
    assert store.find_subscriber("daily", "bo@example.org").status == "active"  # type: ignore[union-attr]
    store.close()


def test_non_ascii_local_parts_use_smtputf8_or_are_undeliverable_without_blocking(
    site: SiteFactory, smtp_factory: Any, nl_cli: Any, nl_config: Any
) -> None:
    addresses = ["ann@example.com", "jürgen@example.com", "bo@example.org", "李雷@example.net"]
    plain = smtp_factory(enable_SMTPUTF8=False)
    make_site(site, plain.port, nl_config)
    for address in addresses:
        added = nl_cli(
            site.config_path, "subscribers", "add", address, "--list", "daily", "--name", "Jü Ö"
        )
        assert added.exit_code == 0, added.output
    result = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert result.exit_code == 0, result.output
    assert "2 sent, 2 refused" in result.output
    assert sorted(plain.recorder.recipients()) == ["ann@example.com", "bo@example.org"]
    for address in ("jürgen@example.com", "李雷@example.net"):
        assert f"refused: {address}: undeliverable: the address needs SMTPUTF8" in result.stderr
    rerun = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert rerun.exit_code == 0 and len(plain.recorder.messages) == 2  # recorded, not retried

    utf8 = smtp_factory(enable_SMTPUTF8=True)
    site.article("finance", "second", title="Second story", published="2024-02-22")
    site.write_config(channels={"newsletter": nl_config(utf8.port)})
    sent = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert sent.exit_code == 0, sent.output
    assert "4 sent, 0 refused" in sent.output
    by_rcpt = {m.rcpt_tos[0]: m.raw for m in utf8.recorder.messages}
    assert sorted(by_rcpt) == sorted(addresses)
    to = message_from_string(by_rcpt["李雷@example.net"].decode("utf-8"), policy=default)["To"]
    assert to.addresses[0].username == "李雷" and to.addresses[0].display_name == "Jü Ö"


def test_a_reader_who_unsubscribes_mid_send_gets_nothing_more(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any
) -> None:
    make_site(site, smtp_server.port, nl_config)
    subscribe_all(site, nl_cli, SUBSCRIBERS)

    def unsubscribe_chen(accepted: int) -> None:
        if accepted == 0:  # while the first copy is on the wire
            store = store_for(site)
            chen = store.find_subscriber("daily", "chen@example.net")
            assert chen is not None
            store.set_status(chen.id, "unsubscribed")
            store.close()

    smtp_server.recorder.on_data = unsubscribe_chen
    result = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert result.exit_code == 0, result.output
    assert "2 sent, 0 refused, 1 skipped, 0 pending" in result.output
    assert "chen@example.net" not in smtp_server.recorder.recipients()


def test_smtp_death_mid_send_reports_what_was_sent(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any
) -> None:
    addresses = [f"reader{n}@example.com" for n in range(6)]
    make_site(site, smtp_server.port, nl_config)
    subscribe_all(site, nl_cli, addresses)

    def die_after_four(accepted: int) -> str | None:
        if accepted >= 4:  # the server goes away: this session ends, new ones are refused
            smtp_server.stop_listening()
            return "421 4.3.2 shutting down"
        return None

    smtp_server.recorder.on_data = die_after_four
    result = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert "nothing was sent" not in result.output
    assert result.exit_code == 1
    assert "4 sent before it stopped, 2 still pending" in result.stderr, result.stderr


def test_dry_run_writes_eml_files_and_changes_nothing(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any
) -> None:
    make_site(site, smtp_server.port, nl_config)
    subscribe_all(site, nl_cli, SUBSCRIBERS)
    out = site.root / "preview"
    result = nl_cli(
        site.config_path, "newsletter", "build", "--list", "daily", "--dry-run", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    files = sorted((out / "daily-1").glob("*.eml"))
    assert len(files) == 3
    recipients = set()
    for file in files:
        message = message_from_bytes(file.read_bytes(), policy=default)
        recipients.add(parseaddr(str(message["To"]))[1])
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert recipients == set(SUBSCRIBERS)
    assert smtp_server.recorder.messages == []
    store = store_for(site)
    assert store.open_issue("daily") is None and store.next_number("daily") == 1
    store.close()


def test_build_stores_a_draft_that_send_sends_as_built(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any
) -> None:
    make_site(site, smtp_server.port, nl_config, max_articles=1, subject="{title}: {count} new")
    subscribe_all(site, nl_cli, SUBSCRIBERS[:1])
    built = nl_cli(site.config_path, "newsletter", "build", "--list", "daily")
    assert built.exit_code == 0, built.output
    assert "daily #1: 1 article(s) ready: Daily Brief: 1 new" in built.output
    site.article("finance", "later", title="Written after the build", published="2024-03-01")
    sent = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert sent.exit_code == 0, sent.output
    text = smtp_server.recorder.messages[0].message.get_content()
    assert "Written after the build" not in text
    assert "".join(CHINESE_TITLE.split()) in "".join(text.split())  # newest only (max 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, site: SiteFactory) -> str:
    """The store the test's site uses: SQLite files, or PostgreSQL through state_url."""
    if request.param == "postgresql":
        site.settings["state_url"] = request.getfixturevalue("pg_url")
    return str(request.param)


def test_concurrent_senders_share_one_issue_and_nobody_gets_two(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any, backend: str
) -> None:
    """Three `newsletter send` processes at once (on PostgreSQL they could be three hosts)."""
    addresses = [f"reader{n:03d}@example.com" for n in range(120)]
    make_site(site, smtp_server.port, nl_config)
    import_file = site.root / "readers.csv"
    import_file.write_text("email\n" + "\n".join(addresses) + "\n", encoding="utf-8")
    imported = nl_cli(
        site.config_path, "subscribers", "import", str(import_file), "--list", "daily"
    )
    assert imported.exit_code == 0, imported.output

    def slow(accepted: int) -> None:
        time.sleep(0.003)  # so that the senders overlap

    smtp_server.recorder.on_data = slow
    command = [sys.executable, "-c", "from syndicate.cli import main; main()"]
    args = ["--config", str(site.config_path), "newsletter", "send", "--list", "daily"]
    senders = [
        subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in senders]
    for process, (_, errors) in zip(senders, outputs, strict=True):
        assert process.returncode == 0, errors.decode()
    counts = Counter(smtp_server.recorder.recipients())
    assert sorted(counts) == addresses and set(counts.values()) == {1}
    sent = [int(re.search(rb"(\d+) sent", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
    assert sum(sent) == len(addresses)
    assert len({m.message["Subject"] for m in smtp_server.recorder.messages}) == 1


def test_a_site_template_changes_the_layout_and_is_still_wrapped(
    site: SiteFactory, smtp_server: Any, nl_cli: Any, nl_config: Any
) -> None:
    make_site(site, smtp_server.port, nl_config)
    subscribe_all(site, nl_cli, SUBSCRIBERS[:1])
    own = site.root / "templates" / "newsletter" / "digest.txt"
    own.parent.mkdir(parents=True)
    own.write_text(
        "OUR OWN LAYOUT for {{ list.title }}\n"
        "{% for section in sections %}{% for item in section.items %}"
        "* {{ item.title }} -- {{ item.summary }} <{{ item.url }}>\n"
        "{% endfor %}{% endfor %}",
        encoding="utf-8",
    )
    result = nl_cli(site.config_path, "newsletter", "send", "--list", "daily")
    assert result.exit_code == 0, result.output
    lines = smtp_server.recorder.messages[0].message.get_content().splitlines()
    assert lines[0] == "OUR OWN LAYOUT for Daily Brief"
    bullets = [line for line in lines if line.startswith("* ")]
    assert len(bullets) == 2
    for line in lines:
        assert display_width(line) <= 72 or "https://" in line, line
    joined = "".join("".join(lines).split())
    assert "".join(CHINESE_TITLE.split()) in joined
