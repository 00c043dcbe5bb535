"""The Swagger UI of intake and notify loads from the services themselves: no CDN, no external host."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.helpers import Stack

pytestmark = pytest.mark.stack


@pytest.mark.parametrize("service", ["intake", "notify"])
async def test_docs_page_references_no_external_host(
    stack: Stack, http: httpx.AsyncClient, service: str
) -> None:
    base = stack.intake_url if service == "intake" else stack.notify_url
    page = await http.get(f"{base}/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert not re.search(r"https?://", page.text), "the docs page names an external host"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/docs/static/") for a in assets)
    for asset in assets:
        r = await http.get(f"{base}{asset}")
        assert r.status_code == 200 and len(r.content) > 0, asset
    assert (await http.get(f"{base}/redoc")).status_code == 404
