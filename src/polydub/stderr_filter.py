"""Keep native libraries' start-up chatter off the console.

LiteRT (which runs the face models) prints "INFO: Created TensorFlow Lite XNNPACK delegate for
CPU." straight to file descriptor 2 from C++, whatever GLOG_*/TF_CPP_* say, and has no switch
for it; the other patterns are the lines MediaPipe's own runtime printed ("All log messages
before absl::InitializeLog() ...", "Feedback manager requires a model ..."). The CLI routes fd 2
through a pipe read by one thread, which passes on every line except those. Child processes
(ffmpeg, the job process) inherit the pipe, so theirs are filtered too.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import threading

NATIVE_NOISE = re.compile(
    rb"^(INFO: Created TensorFlow Lite XNNPACK delegate"
    rb"|WARNING: All log messages before absl::InitializeLog\(\)"
    rb"|[IW]\d{4} [\d:.]+ +\d+ (inference_feedback_manager|gl_context|face_landmarker_graph)"
    rb"[^\]]*\])"
)

_installed = False


def is_native_noise(line: bytes) -> bool:
    """True for a line the face models' native code prints at start-up."""
    return NATIVE_NOISE.match(line) is not None


def filter_native_noise() -> None:
    """Route fd 2 through the filter for the rest of the process (once; idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    thread = threading.Thread(
        target=_pump, args=(read_end, original), name="polydub-stderr", daemon=True
    )
    thread.start()

    def restore() -> None:
        # Put the real stderr back, so the pipe's last writer closes and the pump drains it.
        sys.stderr.flush()
        os.dup2(original, 2)
        thread.join(2.0)

    atexit.register(restore)


def _pump(read_end: int, target: int) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        pending = b""
        while chunk := pipe.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not is_native_noise(line))
            if kept:
                os.write(target, kept)
        if pending and not is_native_noise(pending):
            os.write(target, pending)
