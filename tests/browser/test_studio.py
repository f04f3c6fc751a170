"""The proofreading studio in real Chromium against a real `polydub serve`: sign in, create a
proofread from an uploaded clip (with its script as SRT), wait for it, edit two segments,
audition one, generate, and find the edited text in the final captions and the edited speech
in the final audio (Whisper's round trip of that segment's span). Screenshots of each step go
to tests/artifacts/browser/ (the path is printed)."""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import httpx
import numpy as np
import pytest
from selenium.common.exceptions import StaleElementReferenceException as Redrawn
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from polydub.media.audio import write_wav
from polydub.media.ffmpeg import run_ffmpeg
from polydub.samples import speech_track

pytestmark = pytest.mark.e2e

LINES = ("Good morning, everyone.", "See you next time.")
# Whisper keeps a clip this short as one segment; the script gives the proofread two lines.
SCRIPT = (
    "1\n00:00:00,600 --> 00:00:02,100\nGood morning, everyone.\n\n"
    "2\n00:00:04,200 --> 00:00:05,300\nSee you next time.\n"
)
EDITS = {0: "Buenos días a todo el equipo.", 1: "Hasta mañana, queridos amigos."}
JOB_LIMIT_S = 400


@pytest.fixture
def clip(tmp_path) -> tuple[Path, Path]:
    speech, _ = speech_track(5.5, LINES, gap=2.1)
    wav = tmp_path / "speech.wav"
    write_wav(wav, speech)
    video = tmp_path / "talk.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=5.5", "-i", str(wav)]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(video)]
    )
    script = tmp_path / "talk.en.srt"
    script.write_text(SCRIPT)
    return video, script


def words(text: str) -> set[str]:
    plain = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return {w.strip(".,;:!?¿¡") for w in plain.split()} - {""}


def test_proofread_edit_audition_generate_in_chromium(browser, studio, clip, artifacts, settings):
    service, key = studio
    video, script = clip
    # The page redraws its lists as jobs move: an element found just before may be gone.
    patient = WebDriverWait(browser, JOB_LIMIT_S, poll_frequency=0.5, ignored_exceptions=[Redrawn])
    find = browser.find_element
    shots: list[Path] = []

    class wait:  # noqa: N801 - reads as `wait.until(...)`; fails at once on an error shown
        @staticmethod
        def until(condition):
            def checked(driver):
                box = driver.find_element(By.ID, "flash")
                if "error" in (box.get_attribute("class") or ""):
                    shot("failure")
                    raise AssertionError(f"the page says: {box.text}")
                return condition(driver)

            return patient.until(checked)

    def shot(name: str) -> None:
        shots.append(artifacts / f"{len(shots) + 1:02d}-{name}.png")
        browser.save_screenshot(str(shots[-1]))

    def flash_says(text: str) -> None:
        wait.until(lambda d: text in d.find_element(By.ID, "flash").text)

    # Sign in: the key is kept in sessionStorage only.
    browser.get(service.base + "/")
    find(By.ID, "api-key").send_keys(key + Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "list-view").is_displayed())
    assert browser.execute_script("return sessionStorage.getItem('polydub.apiKey')") == key
    assert browser.execute_script("return localStorage.getItem('polydub.apiKey')") is None

    # Create a proofread from an upload, with its script, and wait for it in the list.
    find(By.ID, "create-title").send_keys("Browser review")
    find(By.ID, "create-file").send_keys(str(video))
    find(By.ID, "create-srt").send_keys(str(script))
    languages = find(By.ID, "create-languages")
    languages.clear()
    languages.send_keys("Spanish")
    find(By.ID, "create-submit").click()
    started = time.monotonic()
    flash_says("Proofread started")
    row = "#proofread-table tbody tr"
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, row))
    shot("list-proofread-running")
    wait.until(lambda d: "completed" in d.find_element(By.CSS_SELECTOR, row).text)
    proofread_s = time.monotonic() - started
    proofread_id = find(By.CSS_SELECTOR, row).get_attribute("data-id")
    find(By.LINK_TEXT, "Open editor").click()
    assert browser.current_url.endswith(f"#/proofread/{proofread_id}")

    # The editor: two segments; edit both (typing, then Ctrl+Enter saves).
    items = "#segment-list li"
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, items)) == 2)
    find(By.CSS_SELECTOR, f'{items}[data-index="0"]').click()
    for index, text in EDITS.items():
        box = find(By.ID, "seg-translation")
        if index > 0:  # the keyboard's way on: Alt+n while typing selects the next segment
            box.send_keys(Keys.ALT, "n")
            wait.until(
                lambda d, i=index: d.find_element(By.ID, "segment-heading").text == f"Segment {i}"
            )
        box.clear()
        box.send_keys(text)
        box.send_keys(Keys.CONTROL, Keys.ENTER)
        flash_says(f"Segment {index} saved.")
        edited = find(By.CSS_SELECTOR, f'{items}[data-index="{index}"]')
        assert text in edited.text and "edited" in edited.text

    # Audition the second edit alone (still selected), then generate.
    find(By.ID, "audition").click()
    flash_says("Audition of segment 1")
    audition_src = find(By.ID, "audition-audio").get_attribute("src")
    shot("editor-two-edits-audition")
    auth = {"x-api-key": key}
    audition = httpx.get(audition_src, timeout=30)
    assert audition.status_code == 200 and audition.content[:4] == b"RIFF"

    find(By.ID, "generate").click()
    started = time.monotonic()
    state = (By.ID, "dub-state")
    wait.until(lambda d: d.find_element(*state).get_attribute("data-status") == "completed")
    wait.until(lambda d: d.find_element(By.ID, "report-box").is_displayed())
    generate_s = time.monotonic() - started
    browser.execute_script("document.getElementById('dub-video').scrollIntoView()")
    shot("editor-after-generate")
    # After the dub, the list shows its speech rates (the segments were read again).
    wait.until(lambda d: "rate " in d.find_element(By.CSS_SELECTOR, items).text)
    browser.execute_script("document.getElementById('report-box').scrollIntoView()")
    shot("report-in-editor")
    translation_id = find(*state).get_attribute("data-translation-id")

    # The final captions carry both edits; the final audio speaks the second one.
    api = httpx.Client(base_url=service.base, headers=auth, timeout=60)
    done = api.get(f"/v3/video-translations/{translation_id}").json()["data"]
    caption = api.get(f"/v3/video-translations/{translation_id}/caption").json()["data"]
    captions = " ".join(httpx.get(caption["caption_url"], timeout=30).text.split())
    for text in EDITS.values():
        assert text in captions, captions
    # The translation's own view (from the list): its video and the same charts.
    browser.get(f"{service.base}/#/translation/{translation_id}")
    wait.until(
        lambda d: (
            "Speech rate"
            in (d.find_element(By.ID, "translation-report").get_attribute("srcdoc") or "")
        )
    )
    assert find(By.ID, "translation-video").get_attribute("src")

    browser.get(f"{service.base}/#/")
    wait.until(lambda d: "completed" in d.find_element(By.ID, "translation-table").text)
    shot("list-after-dub")

    # The report's charts on their own page, whole, as the CLI writes them.
    report = artifacts / "report.html"
    report.write_text(httpx.post(service.base + "/web/report.html", json=done["report"]).text)
    browser.set_window_size(browser.get_window_size()["width"], 1500)
    browser.get(report.as_uri())
    shot("report-charts")
    heard = recognise_span(done, 1, settings, artifacts)
    assert len(words(EDITS[1]) & words(heard)) >= 3, heard
    print(f"proofread ready in {proofread_s:.0f} s, dub in {generate_s:.0f} s; heard {heard!r}")
    print("screenshots:\n" + "\n".join(str(s) for s in shots))


def recognise_span(translation: dict, index: int, settings, folder: Path) -> str:
    """Whisper's transcript of segment `index`'s span of the final soundtrack."""
    from polydub.engines.asr.base import TranscribeOptions
    from polydub.engines.asr.whisper import WhisperTranscriber
    from polydub.media.audio import decode_audio

    timing = {s["index"]: s for s in translation["report"]["plan"]["segments"]}[index]
    soundtrack = folder / "final.m4a"
    soundtrack.write_bytes(httpx.get(translation["audio_url"], timeout=60).content)
    audio = decode_audio(soundtrack, 16000)
    start = max(0, int((timing["output_start"] - 0.3) * 16000))
    end = int((timing["output_end"] + 0.4) * 16000)
    span = np.asarray(audio.samples[start:end], dtype=np.float32)
    whisper = WhisperTranscriber(cache_dir=settings.models_dir)
    transcript = whisper.transcribe(span, TranscribeOptions(language="es", beam_size=5))
    return transcript.text
