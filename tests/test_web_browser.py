"""The demo page in a real headless Chromium, against a real uvicorn server on loopback.

The page must end with the value Python's ModelStream gives for the demo
stream and every field in the state ModelStream gave it (one invalid on
purpose), with no console errors; the first stream connection is cut by a
proxy in the middle and the page resumes it with Last-Event-ID, with
nothing lost or doubled (the form's text is the value's text, exactly).
"""

from __future__ import annotations

import json
from typing import Any

from midstream import ModelStream
from midstream._demo import load_demo_chunks
from midstream.web._demo_model import DemoProject
from midstream.web._serve import ServeApp, demo_source
from web_helpers import Reference
from web_live import DroppingProxy, chromium, live_server

READ_STATE = """
const s = window.midstreamDemo.state;
const rows = [...document.querySelectorAll(".row")].map(
  (r) => [JSON.parse(r.dataset.path), r.querySelector(".box").textContent, r.dataset.state]);
return JSON.stringify({value: s.value, seq: s.seq, ended: s.ended, rows,
  fields: [...s.fields.values()].map((f) => [f.path, f.state, f.errors ?? null])});
"""


def python_demo() -> tuple[Any, dict[tuple[Any, ...], tuple[str, Any]]]:
    stream = ModelStream(DemoProject)
    reference = Reference()
    for chunk in load_demo_chunks():
        reference.see(stream.feed(chunk))
    return reference.value(stream), reference.fields


def at(value: Any, path: list[Any]) -> Any:
    for key in path:
        value = value[key]
    return value


def test_demo_page_fills_the_form_and_resumes_a_dropped_stream() -> None:
    value, fields = python_demo()
    assert fields[("stars",)][0] == "invalid"  # the demo's field invalid on purpose
    # Paced, so that the cut falls in the middle of the stream and the page reconnects.
    app = ServeApp(lambda stream_id, query: demo_source(speed=8.0))
    with live_server(app) as port, chromium() as driver:
        proxy = DroppingProxy(port, cut=3000)
        try:
            driver.get(f"http://127.0.0.1:{proxy.port}/?id=browser-test")
            from selenium.webdriver.support.ui import WebDriverWait

            WebDriverWait(driver, 120, poll_frequency=0.2).until(
                lambda d: d.execute_script("return document.body.dataset.status") != "loading"
            )
            assert driver.execute_script("return document.body.dataset.status") == "done"
            got = json.loads(driver.execute_script(READ_STATE))
            logs = driver.get_log("browser")
        finally:
            proxy.close()
    assert proxy.dropped.is_set() and len(proxy.requests) >= 2
    resumed = proxy.requests[1].decode("latin-1").lower()
    assert "last-event-id: " in resumed and "last-event-id: 0\r" not in resumed
    assert got["ended"] and got["value"] == value
    assert {tuple(p): (s, e) for p, s, e in got["fields"]} == {
        p: (s, e) for p, (s, e) in fields.items()
    }
    for path, text, state in got["rows"]:  # the form shows each value once, in its state
        leaf = at(value, path)
        assert text == (leaf if isinstance(leaf, str) else json.dumps(leaf))
        assert state == fields[tuple(path)][0]
    assert len(got["rows"]) == sum(
        1 for p in fields if not isinstance(at(value, list(p)), (dict, list))
    )
    errors = [entry for entry in logs if entry["level"] == "SEVERE"]
    # Chromium reports the connection the test cut, and nothing else.
    cut = [e for e in errors if e["source"] == "network" and "/streams/" in e["message"]
           and "ERR_INCOMPLETE_CHUNKED_ENCODING" in e["message"]]
    assert len(cut) == 1 and errors == cut, errors
