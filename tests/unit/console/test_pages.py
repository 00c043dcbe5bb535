"""The console's pages against a fake intake and notify (httpx MockTransport): what is asked of the
APIs, and what a page answers, including the Level-4 decision flow that notify does not serve yet."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from waspada_console.app import create_app
from waspada_console.settings import ConsoleSettings

NOW = "2026-12-01T02:00:00+00:00"


def alert(alert_id: str, level: str, **extra: Any) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "group_key": f"g-{alert_id}",
        "audience": "province",
        "province": "19",
        "regency": "19.06",
        "level": level,
        "status": "firing",
        "score": 80.0,
        "category": "communal_clash",
        "title": f"Judul {alert_id}",
        "summary": "Ringkasan.",
        "top_factors": [{"name": "severity", "contribution": 40.0, "detail": "tiga korban meninggal"}],
        "report_ids": ["r-1"],
        "first_seen": NOW,
        "updated_at": NOW,
        "version": 1,
        **extra,
    }


CANDIDATE = {
    "status": "pending",
    "reasons": ["tiga korban meninggal"],
    "facts": "3 meninggal",
    "report_id": "r-1",
    "requested_at": NOW,
    "remind_at": None,
    "reminders": 0,
    "decided_at": None,
    "decided_by": None,
    "decision_reason": None,
}


class FakeApis:
    def __init__(self) -> None:
        self.alerts = [alert("a-siaga", "siaga"), alert("a-cand", "siaga", candidate=CANDIDATE)]
        self.posted: list[tuple[str, Any]] = []
        self.audited: list[str] = []  # POST /v1/audit/events (the console's sessions)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        if key not in ("demo-19", "demo-national"):
            return httpx.Response(401, json={"title": "Kunci API tidak ada atau tidak sah"})
        path = request.url.path
        if request.method == "POST" and path == "/v1/audit/events":
            self.audited.append(json.loads(request.content)["action"])
            return httpx.Response(204)
        if request.method == "POST":
            self.posted.append((path, json.loads(request.content)))
            if path.endswith("/decision"):
                return httpx.Response(200, json=alert("a-cand", "awas"))
            return httpx.Response(200, json={"alert": alert("a-siaga", "siaga"), "acknowledged": True})
        if path == "/v1/me":
            return httpx.Response(200, json={"name": key, "scope": key.removeprefix("demo-")})
        if path == "/v1/alerts":
            return httpx.Response(200, json={"alerts": self.alerts})
        found = re.fullmatch(r"/v1/alerts/([^/]+)(/\w+)?", path)
        if found:
            if found.group(1) not in {a["alert_id"] for a in self.alerts}:
                return httpx.Response(404, json={"title": "No such alert"})
            tail = found.group(2)
            if tail == "/versions":
                return httpx.Response(200, json={"alert_id": found.group(1), "versions": []})
            if tail == "/deliveries":
                return httpx.Response(
                    200, json={"alert_id": found.group(1), "deliveries": [], "attempts": []}
                )
            return httpx.Response(200, json=next(a for a in self.alerts if a["alert_id"] == found.group(1)))
        if path.startswith("/v1/reports/"):
            return httpx.Response(404, json={"title": "Tidak ditemukan"})
        return httpx.Response(404)


@pytest.fixture
def apis() -> FakeApis:
    return FakeApis()


@pytest.fixture
def client(apis: FakeApis) -> Iterator[TestClient]:
    app = create_app(ConsoleSettings(profile="test", poll_seconds=60))
    app.state.console.api.http = httpx.AsyncClient(transport=httpx.MockTransport(apis))
    with TestClient(app, base_url="http://console.test") as c:
        yield c


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, key: str = "demo-19") -> None:
    token = csrf(client.get("/masuk"))
    r = client.post("/masuk", data={"kunci": key, "csrf_token": token, "lanjut": "/peringatan"})
    assert r.status_code == 200 and "Peringatan" in r.text


def test_candidates_come_first_with_both_buttons(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/peringatan").text
    assert page.index("Judul a-cand") < page.index("Judul a-siaga")
    assert "Konfirmasi Level 4" in page and "Tolak" in page and "tiga korban meninggal" in page


def test_declining_needs_a_reason_then_posts_the_decision(client: TestClient, apis: FakeApis) -> None:
    sign_in(client)
    assert apis.audited == ["console.signed_in"]  # the sign-in is in the audit log, through intake
    detail = client.get("/peringatan/a-cand")
    assert "Calon Level 4 (Awas)" in detail.text and "menunggu keputusan" in detail.text
    token = csrf(detail)
    missing = client.post(
        "/peringatan/a-cand/keputusan", data={"csrf_token": token, "decision": "decline", "by": "Kaban"}
    )
    assert missing.status_code == 422 and "Alasan wajib diisi untuk menolak." in missing.text
    assert apis.posted == []
    done = client.post(
        "/peringatan/a-cand/keputusan",
        data={"csrf_token": token, "decision": "decline", "by": "Kaban", "reason": "Bukan konflik."},
    )
    assert done.status_code == 200 and "Calon Level 4 ditolak." in done.text
    assert apis.posted == [
        ("/v1/alerts/a-cand/decision", {"decision": "decline", "by": "Kaban", "reason": "Bukan konflik."})
    ]


def test_alerts_without_a_candidate_field_have_no_decision(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/peringatan/a-siaga").text
    assert "Konfirmasi Level 4" not in page and "Tanggapi" in page


def test_pages_answer_as_the_apis_do(client: TestClient) -> None:
    sign_in(client)
    assert client.get("/peringatan/other-province").status_code == 404
    assert client.get("/laporan/someone-elses").status_code == 404
    assert client.get("/peta/wilayah/63.71").status_code == 404  # outside the key's province


def test_every_form_needs_its_token_and_the_cookie_holds_no_key(client: TestClient) -> None:
    assert client.post("/masuk", data={"kunci": "demo-19"}).status_code == 403
    sign_in(client)
    cookie = client.cookies.get("waspada_sesi")
    assert cookie and "demo-19" not in cookie
    refused = client.post("/peringatan/a-siaga/tanggapi", data={"who": "x", "csrf_token": "palsu"})
    assert refused.status_code == 403
    assert client.post("/keluar", data={}).status_code == 403


def test_unknown_keys_are_refused_and_signed_out_pages_go_to_sign_in(client: TestClient) -> None:
    token = csrf(client.get("/masuk"))
    wrong = client.post("/masuk", data={"kunci": "salah", "csrf_token": token})
    assert wrong.status_code == 401 and "tidak dikenal" in wrong.text
    r = client.get("/peringatan", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/masuk?lanjut=%2Fperingatan"
    # Only a path of the console itself is followed after sign-in.
    assert 'name="lanjut" value="/"' in client.get("/masuk?lanjut=//evil.example").text


def test_no_page_names_another_host(client: TestClient) -> None:
    sign_in(client)
    for path in ("/peringatan", "/peringatan/a-cand", "/tentang", "/laporan/baru"):
        r = client.get(path)
        assert not re.search(r'(?:src|href|action)="https?://', r.text), path
        assert "default-src 'self'" in r.headers["content-security-policy"]
