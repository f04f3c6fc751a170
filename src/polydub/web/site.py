"""Mount the studio on the app: `/` answers the page, `/web/*` its files, and
`POST /web/report.html` renders a report the page already fetched from the API.

None of these routes is in the OpenAPI (they are not API), none needs a key (they hold no
data: the report route renders only what it is sent), and /v3, /docs, /healthz keep their
own routes because these are added after them and match nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Body, FastAPI, Query
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from polydub.pipeline.report_html import render_report_html

STATIC_DIR = Path(__file__).parent / "static"
# The page is small and changes with the server: revalidate, never serve a stale copy.
NO_STALE = {"Cache-Control": "no-cache"}


def install_web(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def studio_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=NO_STALE)

    @app.post("/web/report.html", include_in_schema=False)
    def report_page(
        report: dict[str, Any] = Body(...),  # noqa: B008
        title: str | None = Query(default=None, max_length=300),  # noqa: B008
    ) -> HTMLResponse:
        return HTMLResponse(render_report_html(report, title), headers=NO_STALE)

    app.mount("/web", StaticFiles(directory=STATIC_DIR), name="web")
