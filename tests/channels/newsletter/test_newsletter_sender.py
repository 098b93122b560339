"""The SMTP sender against a real server: rate limit, reconnects, per-recipient outcomes."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from typing import Any

import pytest
from syndicate_channels.newsletter.sender import SmtpSender, SmtpUnavailable
from syndicate_channels.newsletter.settings import SmtpSettings


class FakeClock:
    """Time that only moves when the sender sleeps: the test checks the schedule, not speed."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def note(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "news@example.com"
    message["To"] = to
    message["Subject"] = "test"
    message.set_content("hello\n")
    return message


def test_rate_limit_spaces_messages_and_connections_are_reused_up_to_the_cap(
    smtp_server: Any,
) -> None:
    settings = SmtpSettings.model_validate(
        {
            "host": "127.0.0.1",
            "port": smtp_server.port,
            "security": "none",
            "messages_per_connection": 2,
            "rate": {"per_second": 4, "per_minute": 120},  # the stricter one wins: 0.5 s
        }
    )
    fake = FakeClock()
    with SmtpSender(settings, sleep=fake.sleep, clock=fake.clock) as sender:
        outcomes = [
            sender.send(note(f"r{n}@example.com"), "news@example.com", f"r{n}@example.com")
            for n in range(5)
        ]
    assert [o.status for o in outcomes] == ["sent"] * 5
    assert fake.sleeps == [pytest.approx(0.5)] * 4
    assert smtp_server.recorder.recipients() == [f"r{n}@example.com" for n in range(5)]


def test_temporary_and_permanent_refusals_are_told_apart(smtp_server: Any) -> None:
    smtp_server.recorder.refuse["full@example.com"] = "452 4.2.2 mailbox full"
    smtp_server.recorder.refuse["nobody@example.com"] = "550 5.1.1 no such user"
    settings = SmtpSettings.model_validate(
        {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"}
    )
    with SmtpSender(settings) as sender:
        full = sender.send(note("full@example.com"), "news@example.com", "full@example.com")
        nobody = sender.send(note("nobody@example.com"), "news@example.com", "nobody@example.com")
        fine = sender.send(note("ok@example.com"), "news@example.com", "ok@example.com")
    assert (full.status, full.detail) == ("deferred", "452 4.2.2 mailbox full")
    assert (nobody.status, nobody.detail) == ("refused", "550 5.1.1 no such user")
    assert fine.status == "sent"
    assert smtp_server.recorder.recipients() == ["ok@example.com"]


def test_starttls_required_but_not_offered_is_a_clear_error(smtp_server: Any) -> None:
    settings = SmtpSettings.model_validate(
        {"host": "127.0.0.1", "port": smtp_server.port, "security": "starttls"}
    )
    with (
        pytest.raises(SmtpUnavailable, match="does not offer STARTTLS"),
        SmtpSender(settings) as sender,
    ):
        sender.connect()


@pytest.fixture
def tls_ca(tmp_path: Any) -> Any:
    trustme = pytest.importorskip("trustme")  # dev dependency: a throwaway CA for 127.0.0.1
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server_context, ca_file


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        b"mailer",
        b"s3cret-pass",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_encrypted_and_authenticated_session(
    tls_ca: Any, smtp_factory: Any, monkeypatch: pytest.MonkeyPatch, security: str
) -> None:
    server_context, ca_file = tls_ca
    options: dict[str, Any] = {
        "authenticator": authenticator,
        "auth_required": True,
        "auth_exclude_mechanism": ["LOGIN"],  # smtplib's LOGIN fallback stalls on aiosmtpd
    }
    if security == "starttls":
        options.update(tls_context=server_context, require_starttls=True)
    else:  # aiosmtpd only counts STARTTLS as TLS for AUTH; this session is TLS from the start
        options.update(ssl_context=server_context, auth_require_tls=False)
    server = smtp_factory(**options)
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret-pass")
    raw = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": security,
        "ca_file": ca_file.name,
        "username": "mailer",
        "password": "${SMTP_PASSWORD}",
    }
    with SmtpSender(SmtpSettings.model_validate(raw), root=ca_file.parent) as sender:
        outcome = sender.send(note("ann@example.com"), "news@example.com", "ann@example.com")
    assert outcome.status == "sent"
    assert server.recorder.recipients() == ["ann@example.com"]

    monkeypatch.setenv("SMTP_PASSWORD", "wrong")
    with (
        pytest.raises(SmtpUnavailable, match="rejected the login: 535"),
        SmtpSender(SmtpSettings.model_validate(raw), root=ca_file.parent) as sender,
    ):
        sender.connect()
    untrusted = {**raw, "ca_file": None}
    with (
        pytest.raises(SmtpUnavailable, match="cannot reach SMTP server"),
        SmtpSender(SmtpSettings.model_validate(untrusted)) as sender,
    ):
        sender.connect()  # a certificate we do not trust is never sent a password
