"""Embargo partners get scheduled stories ahead, marked embargoed; others when it is time."""

from __future__ import annotations

from conftest import SiteFactory
from rules_helpers import PUSH_SECRET_ENV, go, partner_server

TIME = "2030-06-01T06:00:00+08:00"
UID = "tag:news.example.com,2024-01-01:article/harbour-deal"


def test_embargo_partner_gets_it_ahead_and_others_on_time(site: SiteFactory) -> None:
    site.article("finance", "older", "Older.\n", published="2030-05-30T09:00:00+08:00")
    site.article("finance", "harbour-deal", "Signed at dawn.\n", published=TIME)
    auth = {"secret": "${" + PUSH_SECRET_ENV + "}"}
    with partner_server() as paper, partner_server() as wire:
        partners = [
            {"name": "paper", "url": paper.url, "auth": auth, "allow_private_network": True},
            {
                "name": "wire",
                "url": wire.url,
                "auth": auth,
                "embargo": True,
                "allow_private_network": True,
            },
        ]
        site.write_config(channels={"push": {"partners": partners}})
        go(site, "publish", "--channels", "push", "--now", "2030-06-01T05:00:00+08:00")
        go(site, "push")
        assert UID not in paper.statuses()
        assert wire.statuses()[UID] == ["usable"]
        (ahead,) = [p for p in wire.received if p["uri"] == UID]
        assert ahead["embargoed"] == TIME
        older = next(p for p in paper.received if p["uri"] != UID)
        assert "embargoed" not in older
        for headers in wire.headers:  # Standard Webhooks, as for every delivery
            assert headers["webhook-id"].startswith("msg_")
            assert headers["webhook-signature"].startswith("v1,")

        go(site, "publish", "--channels", "push", "--now", TIME)
        go(site, "push")
        assert paper.statuses()[UID] == ["usable"]
        (on_time,) = [p for p in paper.received if p["uri"] == UID]
        assert "embargoed" not in on_time and on_time["version"] == "1"
        assert wire.statuses()[UID] == ["usable"]  # it has it already: not sent twice


def test_a_story_pulled_back_before_its_time_is_withdrawn_from_the_embargo_partner(
    site: SiteFactory,
) -> None:
    story = site.article("finance", "harbour-deal", "Signed at dawn.\n", published=TIME)
    auth = {"secret": "${" + PUSH_SECRET_ENV + "}"}
    with partner_server() as wire:
        partner = {
            "name": "wire",
            "url": wire.url,
            "auth": auth,
            "embargo": True,
            "allow_private_network": True,
        }
        site.write_config(channels={"push": {"partners": [partner]}})
        go(site, "publish", "--channels", "push", "--now", "2030-06-01T05:00:00+08:00")
        story.unlink()  # spiked before it ran
        go(site, "publish", "--channels", "push", "--now", "2030-06-01T05:30:00+08:00")
        go(site, "push")
        assert wire.statuses()[UID] == ["usable", "canceled"]
