"""One router per resource; each module exposes `router`."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

# Order matters where paths overlap: /v3/video-translations/languages and /proofreads before
# /v3/video-translations/{id}.
ROUTER_MODULES = (
    "health",
    "languages",
    "proofreads",
    "video_translations",
    "lipsyncs",
    "assets",
    "glossaries",
    "files",
    "webhooks",
    "voices",
)


def include_routers(app: FastAPI) -> None:
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(f"polydub.api.routes.{name}").router)
