"""`facetwin view` in a real browser: Debian's headless Chromium with software WebGL, driven by
Selenium through the system chromedriver. A missing browser, driver or WebGL fails the test; it
never skips, since a viewer nobody has seen render is not tested.

The slider for jaw_open is moved with the keyboard, as a person could; the server must report the
command, and the page's pixels must change where the mouth is (the twin's camera projects the
mouth's landmarks onto the canvas) more than on the forehead. Ctrl-C must then close the viewer
cleanly. `FACETWIN_SCREENSHOTS=docs/img` keeps the screenshots (docs/viewer.md shows them).
"""

import io
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from facetwin.app.view_scene import CAMERA_DISTANCE_MM, CAMERA_FOV_DEG

CHROMEDRIVER = "/usr/bin/chromedriver"
MOUTH = [13, 14, 17, 61, 291, 78, 308, 0]  # lips and their corners
FOREHEAD = [10, 151, 9, 67, 297]
TARGET_Y_MM = -32.0  # where FaceScene.place_camera looks
BLUR_PX = 2
SHIFT_PX = 3  # how far the adaptive pixel ratio moves the whole picture


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


def _wait_for(lines: queue.Queue, seen: list[str], needle: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"the viewer never said {needle!r}; it said:\n{''.join(seen)}")


def _browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert shutil.which("chromium"), "Debian's chromium is not installed (scripts/install_system_deps.sh)"
    assert Path(CHROMEDRIVER).is_file(), "Debian's chromium-driver is not installed (scripts/install_system_deps.sh)"
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--use-angle=swiftshader",
                     "--enable-unsafe-swiftshader", f"--window-size={width},{height}"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def _canvas_rgb(browser, canvas, timeout: float = 120.0) -> np.ndarray:
    """The canvas's pixels, cut from a screenshot of the window. A software rasteriser on a busy
    machine may miss the driver's 10 s for a frame; the screenshot is then asked for again."""
    from selenium.common.exceptions import TimeoutException

    deadline = time.monotonic() + timeout
    while True:
        try:
            png = browser.get_screenshot_as_png()
            break
        except TimeoutException:
            assert time.monotonic() < deadline, "the browser delivered no screenshot"
    # Blurred over a few pixels, since the page renders at a lower resolution while its frames are
    # slow (see _change).
    page = np.asarray(Image.open(io.BytesIO(png)).convert("RGB").filter(ImageFilter.BoxBlur(BLUR_PX)))
    page = page.astype(np.int16)
    # where the canvas is in the window now (the page may have scrolled), not in the document
    box = browser.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left, r.top];", canvas)
    x, y = round(box[0]), round(box[1])
    return page[y:y + canvas.size["height"], x:x + canvas.size["width"]]


def _settled_rgb(browser, canvas, regions: list[tuple[slice, slice]], timeout: float = 60.0) -> np.ndarray:
    """The canvas once the page has stopped changing where it is judged: two screenshots a second
    apart agree within one grey level in every region, up to the whole-picture shift of _change.
    A software rasteriser on a loaded machine can be seconds behind the server (the camera, the
    skin or the servos still arriving), and a picture taken mid-arrival would judge a move that
    has not happened yet."""
    deadline = time.monotonic() + timeout
    previous = _canvas_rgb(browser, canvas)
    while True:
        time.sleep(1.0)
        current = _canvas_rgb(browser, canvas)
        shifted = _shifted_changes(previous, current)
        changes = [min(change[region].mean() for change in shifted) for region in regions]
        if max(changes) < 1.0:
            return current
        assert time.monotonic() < deadline, "the page never settled: " + ", ".join(f"{c:.2f}" for c in changes)
        previous = current


def _change(before: np.ndarray, after: np.ndarray, still: tuple[slice, slice]) -> np.ndarray:
    """How much each pixel changed from `before` to `after`, once `after` is shifted back by the
    whole pixels that best line up the `still` region. A software rasteriser draws slowly, so the
    page (viser's adaptive pixel ratio) renders at a lower resolution and scales it up, which moves
    the whole picture by a pixel or two; the jaw's opening moves the chin by tens."""
    return min(_shifted_changes(before, after), key=lambda change: change[still].mean())


def _shifted_changes(before: np.ndarray, after: np.ndarray) -> list[np.ndarray]:
    """The per-pixel change from `before` to `after` shifted by each whole-pixel offset up to SHIFT_PX."""
    shifts = [(dy, dx) for dy in range(-SHIFT_PX, SHIFT_PX + 1) for dx in range(-SHIFT_PX, SHIFT_PX + 1)]
    return [np.abs(np.roll(after, shift, axis=(0, 1)) - before).mean(axis=2) for shift in shifts]


def _box(points_mm: np.ndarray, width: int, height: int, margin: int) -> tuple[slice, slice]:
    """The canvas pixels around `points_mm` (face frame), seen by the page's opening camera."""
    focal = 0.5 * height / np.tan(0.5 * np.deg2rad(CAMERA_FOV_DEG))
    depth = CAMERA_DISTANCE_MM - points_mm[:, 2]
    x = 0.5 * width + focal * points_mm[:, 0] / depth
    y = 0.5 * height - focal * (points_mm[:, 1] - TARGET_Y_MM) / depth
    return (slice(max(int(y.min()) - margin, 0), int(y.max()) + margin),
            slice(max(int(x.min()) - margin, 0), int(x.max()) + margin))


def test_a_slider_moves_the_skin_in_the_browser(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from facetwin.sim.rig import load_face

    keep = Path(os.environ.get("FACETWIN_SCREENSHOTS", tmp_path))
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "facetwin.app.cli", "view", "--port", str(port), "--seconds",
                               "240"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_lines, args=(server.stderr, lines), daemon=True)
    reader.start()
    seen: list[str] = []
    browser = None
    try:
        _wait_for(lines, seen, f"at http://127.0.0.1:{port}", 120)
        browser = _browser(900, 640)
        assert browser.execute_script("return !!document.createElement('canvas').getContext('webgl2')"), \
            "the browser has no WebGL"
        browser.get(f"http://127.0.0.1:{port}")
        _wait_for(lines, seen, "controls the face", 60)
        canvas = browser.find_element(By.TAG_NAME, "canvas")
        model = load_face()
        width, height = canvas.size["width"], canvas.size["height"]
        mouth = _box(model.neutral_landmarks[MOUTH].astype(np.float64), width, height, 12)
        forehead = _box(model.neutral_landmarks[FOREHEAD].astype(np.float64), width, height, 12)
        deadline = time.monotonic() + 60
        while _canvas_rgb(browser, canvas)[mouth].std() < 8:  # white until the skin has arrived
            assert time.monotonic() < deadline, "the face never appeared on the page"
            time.sleep(0.5)
        before = _settled_rgb(browser, canvas, [mouth, forehead])
        browser.save_screenshot(str(keep / "viewer_neutral.png"))

        thumb = browser.find_element(
            By.XPATH, "//label[text()='jaw_open']/ancestor::*[.//*[@role='slider']][1]//*[@role='slider']")
        # Focus as the Tab key would, not by a click: a click on the thumb is itself a command (the
        # value under the pointer, about -0.9) whose message can reach the server after the END key's.
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", thumb)
        thumb.send_keys(Keys.END)  # the slider's end: jaw_open = +1
        line = _wait_for(lines, seen, "jaw_open=+1.000", 30)
        assert "command from client" in line

        deadline = time.monotonic() + 30
        while True:
            change = _change(before, _canvas_rgb(browser, canvas), forehead)
            if change[mouth].mean() > 3:
                break
            assert time.monotonic() < deadline, f"the mouth did not move on the page ({change[mouth].mean():.2f})"
            time.sleep(0.5)
        # the servos' lag: let the jaw arrive, then judge the whole move, not its first frame
        change = _change(before, _settled_rgb(browser, canvas, [mouth, forehead]), forehead)
        browser.save_screenshot(str(keep / "viewer_jaw_open.png"))
        assert thumb.get_attribute("aria-valuenow") == "1", thumb.get_attribute("aria-valuenow")
        assert change[mouth].mean() > 3 * change[forehead].mean(), (change[mouth].mean(), change[forehead].mean())
    finally:
        if browser is not None:
            browser.quit()
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(timeout=30)
        finally:
            server.kill()
    reader.join(timeout=10)
    while not lines.empty():
        seen.append(lines.get())
    output = "".join(seen)
    assert code == 130 and "Traceback" not in output, output
