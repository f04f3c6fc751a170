"""The studio page served at `/` next to the API: its files load with no key and reference
nothing off the server, the report renderer answers, and the API around it is unchanged
(an unknown /v3 path keeps HeyGen's error envelope, /healthz, /docs and the OpenAPI too)."""

from __future__ import annotations

import re

from polydub.web import STATIC_DIR


def test_page_and_its_files_are_served_without_a_key(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Polydub studio" in page.text
    referenced = re.findall(r'(?:src|href)="(/web/[^"]+)"', page.text)
    assert {"/web/main.js", "/web/studio.css"} <= set(referenced)
    for path in referenced:
        assert client.get(path).status_code == 200, path
    for module in STATIC_DIR.glob("*.js"):
        served = client.get(f"/web/{module.name}")
        assert served.status_code == 200 and "javascript" in served.headers["content-type"]
        # Offline: every import is relative, nothing names another host.
        assert not re.search(r"https?://", served.text), module.name
        for imported in re.findall(r'from "(\./[^"]+)"', served.text):
            assert (STATIC_DIR / imported).exists(), imported


def test_report_renderer_draws_what_it_is_sent(client):
    answer = client.post("/web/report.html", json={"warnings": ["timing: look here"]})
    assert answer.status_code == 200 and "timing: look here" in answer.text
    assert client.post("/web/report.html", content=b"[1").status_code == 400


def test_the_api_around_the_page_is_unchanged(client, auth):
    missing = client.get("/v3/no-such-thing", headers=auth)
    assert missing.status_code == 404 and "error" in missing.json()
    assert client.get("/v3/video-translations").status_code == 401  # still needs a key
    assert client.get("/healthz").status_code == 200
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and not any(p.startswith("/web") for p in paths)
