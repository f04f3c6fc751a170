"""What the body guard and the path scrubbing cost, per call, in process (no network).

1. RequestBodyLimitMiddleware around an app that reads the body: a typical create body
   (about 300 bytes), the same body holding "NaN" inside a string (the second, checking
   parse), and a 1 MB body just under the default limit, each against the bare app;
2. scrub_strings over a report of `--segments` segments (what build_report adds);
3. client_message of an OSError naming a path.

    .venv/bin/python bench/limits_bench.py [--segments 2000] [--repeat 2000]

Prints microseconds per call; figures in bench/reports/limits.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from polydub.api.limits import RequestBodyLimitMiddleware
from polydub.errors import client_message
from polydub.server_paths import scrub_strings

TYPICAL = {
    "video": {"type": "url", "url": "https://example.com/videos/talk.mp4"},
    "output_languages": ["Spanish", "French"],
    "title": "Quarterly update",
    "callback_url": "https://example.com/hooks/polydub",
    "enable_caption": True,
    "start_time": 0,
    "end_time": 30.5,
}


async def _reading_app(scope, receive, send) -> None:
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def _call(app, body: bytes) -> None:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v3/video-translations",
        "headers": [(b"content-type", b"application/json")],
    }
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        pass

    asyncio.run(app(scope, receive, send))


def _per_call_us(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--segments", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    guarded = RequestBodyLimitMiddleware(_reading_app, max_bytes=1024**2)
    bodies = {
        "typical create body": json.dumps(TYPICAL).encode(),
        "with 'NaN' in a string": json.dumps({**TYPICAL, "title": "NaN report"}).encode(),
        "1 MB title": json.dumps({**TYPICAL, "title": "t" * 1_000_000}).encode(),
    }
    for name, body in bodies.items():
        repeat = args.repeat if len(body) < 10_000 else max(20, args.repeat // 100)
        bare = _per_call_us(lambda b=body: _call(_reading_app, b), repeat)
        guard = _per_call_us(lambda b=body: _call(guarded, b), repeat)
        print(f"{name:26s} {len(body):>9,d} B  bare {bare:8.1f} us  guarded {guard:8.1f} us")
    report = {
        "source": {"file": "/srv/polydub/uploads/talk.mp4", "language": "en"},
        "segments": [
            {
                "index": i,
                "speaker": "SPEAKER_00",
                "start": i * 2.0,
                "end": i * 2.0 + 1.5,
                "text": "We ship on Monday, and/or Tuesday.",
                "translation": "Enviamos el lunes.",
            }
            for i in range(args.segments)
        ],  # fmt: skip
        "lipsync": {"video": "/srv/polydub/work/j1/es/lipsync/face.mp4", "frames": 900},
    }
    scrub = _per_call_us(lambda: scrub_strings(report), max(10, args.repeat // 100))
    print(f"scrub_strings, report of {args.segments} segments: {scrub / 1000:8.2f} ms")
    error = FileNotFoundError(2, "No such file or directory")
    error.filename = "/srv/polydub/work/j1/separate/speech.wav"
    print(
        f"client_message of an OSError: {_per_call_us(lambda: client_message(error), 20000):.1f} us"
    )


if __name__ == "__main__":
    main()
