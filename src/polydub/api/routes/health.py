"""`/healthz` (the process answers), `/readyz` (it can take and run jobs) and `/metrics`
(Prometheus); none needs an API key, so orchestrators and scrapers can call them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from polydub.jobs.readiness import readiness

router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict:
    """The process is up and its event loop answers; says nothing of its dependencies."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 when the database, storage, queue and job process are all reachable, else 503;
    the body names each check's answer."""
    checks = readiness(request.app.state.context)
    ready = all(reason is None for reason in checks.values())
    body = {
        "status": "ready" if ready else "not_ready",
        "checks": {name: reason or "ok" for name, reason in checks.items()},
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text format (jobs, queue depth, stage seconds, webhooks, HTTP requests)."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
