"""One router per resource; each module exposes `router`."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

# Order matters where paths overlap: /v3/video-translations/languages, /proofreads, /statuses
# and /batches before /v3/video-translations/{id} (and the same for /v3/lipsyncs).
ROUTER_MODULES = (
    "health",
    "languages",
    "proofreads",
    "proofread_studio",
    "job_statuses",
    "job_batches",
    "video_translations",
    "lipsyncs",
    "assets",
    "asset_direct_uploads",
    "glossaries",
    "brand_kits",
    "files",
    "webhooks",
    "webhook_endpoints",
    "voices",
)


def include_routers(app: FastAPI) -> None:
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(f"polydub.api.routes.{name}").router)
