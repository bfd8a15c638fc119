"""Campaigns, list uploads, do-not-call and stories over HTTP, as the campaign pages use them."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from conftest import Desk

CAMPAIGN = {"name": "Spring renewals", "caller_id": "(212) 555-0199", "queue": "sales", "default_region": "US"}
LIST = "name,phone\r\nAda,(212) 555-0100\r\nBob,555\r\nCy,212 555 0100\r\nDee,+1 310 555 0100\r\n"


async def logged_in(desk: Desk, user: str = "camp") -> tuple[aiohttp.ClientSession, dict[str, str]]:
    client = desk.session()
    token = await desk.login(client, user)
    return client, {"X-CSRF-Token": token}


async def call(client: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with client.request(method, url, **kwargs) as response:
        body = await response.json() if response.content_type == "application/json" else await response.text()
        return response.status, body


async def test_a_campaign_is_created_changed_and_moved_and_every_change_is_audited(desk: Desk) -> None:
    client, headers = await logged_in(desk)
    async with client:
        status, created = await call(client, "POST", desk.url("/api/campaigns"), json=CAMPAIGN, headers=headers)
        assert status == 201 and created["caller_id"] == "+12125550199" and created["status"] == "draft"
        assert created["progress"]["total"] == 0
        base = desk.url(f"/api/campaigns/{created['id']}")
        status, changed = await call(client, "PUT", base, json={**CAMPAIGN, "max_attempts": 4}, headers=headers)
        assert (status, changed["max_attempts"], changed["rules_version"]) == (200, 4, 2)
        status, moved = await call(client, "POST", base + "/status", json={"status": "running"}, headers=headers)
        assert (status, moved["status"]) == (200, "running")
        status, refused = await call(client, "POST", base + "/status", json={"status": "draft"}, headers=headers)
        assert status == 409 and "may become" in refused["error"]
        status, history = await call(client, "GET", base + "/history")
        assert status == 200
        assert [(c["actor"], c["action"], c["field"]) for c in history["changes"]][-3:] == [
            ("camp", "update", "max_attempts"), ("camp", "update", "rules_version"), ("camp", "status", "status")]
        status, listed = await call(client, "GET", desk.url("/api/campaigns"))
        assert [c["name"] for c in listed["campaigns"]] == ["Spring renewals"]
        assert (await call(client, "GET", desk.url("/api/campaigns/999")))[0] == 404
        assert (await call(client, "GET", desk.url("/api/campaigns/x1")))[0] == 404
        async with client.get(desk.url(f"/campaigns/{created['id']}")) as page:
            assert page.status == 200 and "Spring renewals" in await page.text()


async def test_bad_campaign_fields_are_refused_by_name(desk: Desk) -> None:
    client, headers = await logged_in(desk, "root")  # an admin may do what a campaign manager may
    async with client:
        for change, field in (({"caller_id": "12"}, "caller_id"), ({"mode": "robot"}, "mode"),
                              ({"name": "bad\x07name"}, "campaign.name"), ({"queue": ""}, "queue")):
            status, body = await call(client, "POST", desk.url("/api/campaigns"), json={**CAMPAIGN, **change},
                                      headers=headers)
            assert status == 400 and body["error"].startswith(field), (change, body)


async def test_a_list_uploaded_is_imported_in_the_background_with_a_report_of_its_bad_rows(desk: Desk) -> None:
    client, headers = await logged_in(desk)
    async with client:
        _, created = await call(client, "POST", desk.url("/api/campaigns"), json=CAMPAIGN, headers=headers)
        form = aiohttp.FormData()
        form.add_field("file", LIST.encode(), filename="spring.csv", content_type="text/csv")
        form.add_field("encoding", "")
        status, job = await call(client, "POST", desk.url(f"/api/campaigns/{created['id']}/lists"), data=form,
                                 headers=headers)
        assert status == 202 and job["status"] in ("queued", "running", "done")
        for _ in range(200):
            _, job = await call(client, "GET", desk.url(f"/api/imports/{job['id']}"))
            if job["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.02)
        assert (job["status"], job["added"], job["rejected"], job["duplicate_in_file"]) == ("done", 2, 1, 1)
        async with client.get(desk.url(f"/imports/{job['id']}/report.csv")) as response:
            assert response.status == 200 and response.content_type == "text/csv"
            assert "attachment" in response.headers["Content-Disposition"]
            report = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
        assert report[:2] == [["line", "problem", "reason", "name", "phone"],
                              ["3", "rejected", "phone: '555' is not a valid number", "Bob", "555"]]
        status, jobs = await call(client, "GET", desk.url(f"/api/campaigns/{created['id']}/lists"))
        assert [j["id"] for j in jobs["jobs"]] == [job["id"]]
        async with client.get(desk.url("/imports/424242/report.csv")) as response:
            assert response.status == 404
        status, refused = await call(client, "POST", desk.url(f"/api/campaigns/{created['id']}/lists"),
                                     json={"file": "x"}, headers=headers)
        assert status == 400 and "multipart/form-data" in refused["error"]


async def test_a_number_put_on_the_list_has_a_story_that_says_why_and_removal_needs_a_reason(desk: Desk) -> None:
    client, headers = await logged_in(desk)
    async with client:
        status, change = await call(client, "POST", desk.url("/api/dnc"), headers=headers,
                                    json={"number": "(212) 555-0100", "reason": "asked"})
        assert status == 201 and (change["action"], change["e164"], change["actor"]) == ("add", "+12125550100", "camp")
        status, story = await call(client, "GET", desk.url("/api/numbers/story"), params={"number": "+12125550100"})
        assert status == 200 and story["listings"][0]["reason"] == "asked"
        status, refused = await call(client, "POST", desk.url("/api/dnc/remove"), headers=headers,
                                     json={"number": "+12125550100", "reason": " "})
        assert status == 400 and refused["error"].startswith("reason")
        status, removed = await call(client, "POST", desk.url("/api/dnc/remove"), headers=headers,
                                     json={"number": "+12125550100", "reason": "consented"})
        assert status == 200 and (removed["action"], removed["role"]) == ("remove", "campaign_manager")
        status, refused = await call(client, "POST", desk.url("/api/dnc/remove"), headers=headers,
                                     json={"number": "+12125550100", "reason": "again"})
        assert status == 409
        status, lists = await call(client, "GET", desk.url("/api/dnc"))
        assert lists["total"] == 0 and [c["action"] for c in lists["changes"]] == ["remove", "add"]
        assert (await call(client, "POST", desk.url("/api/dnc"), headers=headers,
                           json={"number": "555", "reason": "x"}))[0] == 400
        assert (await call(client, "POST", desk.url("/api/dnc"), headers=headers,
                           json={"number": "+12125550100", "reason": "x", "campaign_id": 99}))[0] == 404
        async with client.get(desk.url("/numbers"), params={"number": "+12125550100"}) as page:
            html = await page.text()
        assert page.status == 200 and "taken off the internal list by camp (campaign_manager): consented" in html
        async with client.get(desk.url("/dnc")) as page:
            assert page.status == 200


async def test_a_campaign_managers_start_page_is_the_campaigns(desk: Desk) -> None:
    client, _ = await logged_in(desk)
    async with client, client.get(desk.url("/"), allow_redirects=False) as response:
        assert response.headers["Location"] == "/campaigns"
