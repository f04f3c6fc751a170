"""The FastAPI application: one router per resource, HeyGen's error envelope, the job executor
started and stopped with the app, an access log with request ids, health checks and metrics,
an OpenAPI that documents auth, errors and Idempotency-Key, and offline /docs."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from polydub.api.errors import install_error_handlers
from polydub.api.limits import RequestBodyLimitMiddleware
from polydub.api.openapi import install_openapi
from polydub.config import Settings, check_secrets
from polydub.jobs.context import ServiceContext


def create_app(
    settings: Settings, *, start_executor: bool = True, start_webhooks: bool | None = None
) -> FastAPI:
    """The app; `start_webhooks` (default: as `start_executor`) runs the webhook dispatcher."""
    check_secrets(settings)  # production refuses example secrets before touching anything
    context = ServiceContext.create(settings)
    send_webhooks = start_executor if start_webhooks is None else start_webhooks

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        dispatcher = None
        if send_webhooks:
            from polydub.jobs.webhook_dispatcher import WebhookDispatcher

            dispatcher = WebhookDispatcher(context)  # sends what earlier processes left due
            dispatcher.start()
        if start_executor:
            from polydub.jobs.executor_factory import open_executor

            context.executor = open_executor(context)  # resumes jobs a stopped server left
        yield
        if context.executor is not None:
            context.executor.stop()
        if dispatcher is not None:
            dispatcher.stop()

    # /docs and /redoc load Swagger UI and ReDoc from files the fastapi-offline package ships,
    # not from a CDN: a server with no internet still shows its documentation.
    app = FastAPIOffline(
        title="Polydub",
        version="3",
        lifespan=lifespan,
        description="HeyGen Video Translation API v3, self-hosted.",
        # Swagger UI would otherwise ask validator.swagger.io for a badge on every load.
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.context = context
    install_error_handlers(app)
    _install_request_guards(app, context)
    # An oversized body is refused before auth, rate limit or route; only the access log
    # (added last, so outermost) sees a request before it, so a 413 is logged too.
    app.add_middleware(RequestBodyLimitMiddleware, max_bytes=settings.max_json_body_bytes)
    _install_observability(app, context)
    from polydub.api.routes import include_routers

    include_routers(app)
    from polydub.web import install_web

    install_web(app)  # the studio page at /, after the API's routes (it shadows none of them)
    install_openapi(app, rate_limited=settings.rate_limit_per_minute > 0)
    return app


def _install_request_guards(app: FastAPI, context: ServiceContext) -> None:
    """Idempotency-Key replay and per-key rate limits, around every route (rate limit outside:
    a throttled request never reaches the idempotency store)."""
    from polydub.api.auth_cache import KeyCache
    from polydub.api.idempotency import IdempotencyMiddleware
    from polydub.api.ratelimit import RateLimitMiddleware, TokenBucketLimiter
    from polydub.jobs.keys import REVOCATION_STAMP

    keys = KeyCache(context.db, revocations=context.settings.data_dir / REVOCATION_STAMP)
    context.extras["key_cache"] = keys
    app.add_middleware(IdempotencyMiddleware, db=context.db, keys=keys)
    per_minute = context.settings.rate_limit_per_minute
    if per_minute > 0:  # 0 or less: no limit (benchmarks, trusted single-user setups)
        app.add_middleware(RateLimitMiddleware, limiter=TokenBucketLimiter(per_minute), keys=keys)


def _install_observability(app: FastAPI, context: ServiceContext) -> None:
    """Metrics and the access log; added last, so outermost: refused requests count too."""
    from polydub.api.metrics import ServiceMetrics
    from polydub.api.request_log import RequestLogMiddleware

    app.state.metrics = ServiceMetrics(context)
    app.add_middleware(RequestLogMiddleware, metrics=app.state.metrics)
