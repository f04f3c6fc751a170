"""What `polydub translate` shows: labelled progress per language, plain lines when piped,
readable summaries, and input errors that are specific and come before any engine loads."""

from __future__ import annotations

import http.server
import io
import threading

import pytest
from rich.console import Console

from polydub.cli_translate import (
    _PlainProgress,
    _ProgressView,
    check_local_input,
    readable,
    run_translate,
)
from polydub.config import Settings
from polydub.errors import InvalidInputError
from polydub.jobs.inputs import download
from polydub.pipeline.dub import StageEvent


def event(stage: str, target: str | None, status: str, **fields) -> StageEvent:
    return StageEvent(stage=stage, target=target, status=status, **fields)


def test_progress_bars_keep_the_language_label_and_idle_stages_have_no_clock():
    view = _ProgressView(Console(file=io.StringIO()), ["es", "pt"])
    view.update(event("synthesize", "es", "start"))
    view.update(event("synthesize", "es", "done", seconds=1.5))
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(
        view.progress.make_tasks_table(view.progress.tasks)
    )
    rows = {" ".join(line.split()[:2]): line for line in out.getvalue().splitlines() if line}
    assert "synthesize [es]" in rows and "synthesize [pt]" in rows
    assert "1.5s" in rows["synthesize [es]"]
    assert "-:--:--" in rows["synthesize [pt]"]  # not started: no clock running


def test_piped_output_gets_plain_lines():
    out = io.StringIO()
    console = Console(file=out, width=120)
    assert not console.is_terminal
    view = _PlainProgress(console, ["es"])
    view.update(event("ingest", None, "start"))
    view.update(event("ingest", None, "progress", fraction=0.5))
    view.update(event("ingest", None, "done", seconds=0.25))
    view.update(event("mix", "es", "done", cached=True))
    assert out.getvalue().splitlines() == [
        "ingest: started",
        "ingest: done (0.2s)",
        "mix [es]: done (reused)",
    ]


def test_summaries_read_as_text_not_python():
    voices = {"SPEAKER_00": "kokoro:ef_dora", "SPEAKER_01": "matched:m-1"}
    assert readable(voices) == "SPEAKER_00=kokoro:ef_dora, SPEAKER_01=matched:m-1"
    assert readable(["apertium", "opus"]) == "apertium, opus"
    assert readable({}) == "none"


def test_a_directory_is_not_reported_missing(tmp_path):
    with pytest.raises(InvalidInputError, match="is a directory"):
        check_local_input(str(tmp_path))
    with pytest.raises(InvalidInputError, match="not found"):
        check_local_input(str(tmp_path / "nope.mp4"))


def test_a_missing_input_is_reported_before_the_languages_are_checked(tmp_path):
    # An unknown language would be the error if the engines' catalogs were loaded first.
    with pytest.raises(InvalidInputError, match="input file not found"):
        run_translate(
            Settings(data_dir=tmp_path),
            str(tmp_path / "missing.mp4"),
            ["Klingon"],
            output_dir=None,
            console=Console(file=io.StringIO()),
        )


@pytest.fixture
def not_found_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/talk.mp4"
    server.shutdown()
    server.server_close()


def test_a_failed_download_is_one_readable_sentence(not_found_server, tmp_path):
    with pytest.raises(InvalidInputError) as raised:
        download(not_found_server, tmp_path, max_bytes=1000, allow_private=True)
    message = raised.value.message
    assert message == f"could not download {not_found_server}: the server answered 404 Not Found"
