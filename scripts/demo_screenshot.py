"""Take docs/demo.png: the `midstream serve --demo` page in headless Chromium, stream done.

Run from the checkout: .venv/bin/python scripts/demo_screenshot.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from midstream.web._serve import ServeApp, demo_source  # noqa: E402
from web_live import chromium, live_server  # noqa: E402


def main() -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    with live_server(ServeApp(lambda stream_id, query: demo_source(speed=4.0))) as port, \
            chromium(width=900, height=1500) as driver:
        driver.get(f"http://127.0.0.1:{port}/?id=screenshot")
        WebDriverWait(driver, 120, poll_frequency=0.2).until(
            lambda d: d.execute_script("return document.body.dataset.status") == "done"
        )
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(900, height + 160)
        driver.save_screenshot(str(ROOT / "docs" / "demo.png"))


if __name__ == "__main__":
    main()
