"""Real Chromium (Debian's `chromium` driven through its `chromium-driver` by Selenium; no
browser download), a `polydub serve` process with a key for it, and a folder for screenshots
(tests/artifacts/browser/, or $POLYDUB_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from polydub_server import Service
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
LAPTOP = (1366, 900)  # a laptop screen's width; tall enough for the editor in one shot


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    for binary in (CHROMIUM, CHROMEDRIVER):  # scripts/setup.sh --dev installs both
        assert os.access(binary, os.X_OK), f"{binary} missing: run scripts/setup.sh --dev"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
        f"--window-size={LAPTOP[0]},{LAPTOP[1]}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
    driver.set_window_size(*LAPTOP)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def studio(tmp_path) -> Iterator[tuple[Service, str]]:
    """A served Polydub (real pipeline, its own data dir) and an API key for it."""
    service = Service(tmp_path / "server")
    service.data_dir.mkdir(parents=True)
    key = service.create_key("browser")
    service.start()
    try:
        yield service, key
    finally:
        service.kill()


@pytest.fixture
def artifacts(request) -> Path:
    root = Path(os.environ.get("POLYDUB_TEST_ARTIFACTS", Path(__file__).parents[1] / "artifacts"))
    folder = root / "browser" / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"\nscreenshots: {folder}")
    return folder
