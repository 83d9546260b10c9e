"""The Lesson tab's zero-request controls in chromium (part of `python -m bench.web`): head, temperature
and query change the map and every step text in the browser. For each control: requests until 1 s after
the last change, and the time from the change until the step texts on screen show the new numbers (a
temperature slider redraws the map while it moves and rewrites the texts when it is released)."""

from __future__ import annotations

import json

from bench.timing import percentile

VIEW = "window.cnnattn?.view('lesson')"
REPEATS = 5
SHOWN = "#lesson-view figure.cv-map:not([hidden]) .cv-frame canvas"
# (name, selector inside the lesson view, the two values it alternates between or None, event to send)
CONTROLS = [
    ("head selection", "select[name=head]", ("simple/1", "self/0"), "new Event('change')"),
    ("learned temperature", "input[name=temperature]", ("2", "1"), "new Event('change')"),  # released
    ("query (arrow key)", SHOWN, None, "new KeyboardEvent('keydown', {key: KEY, bubbles: true})"),
]
# Dispatches one change, then waits frame by frame until the step 2 text and the cell text on screen differ
# from before (gradio has rendered what the page wrote); returns the milliseconds in between.
CHANGE_AND_WAIT = """async ([selector, value, event, key]) => {
  const texts = () => ["#lesson-step2", "#lesson-cell"].map((id) => document.querySelector(id).innerText).join("|");
  const before = texts();
  const target = document.querySelector("#lesson-view").querySelector(selector);
  const KEY = key;
  const start = performance.now();
  if (value !== null) target.value = value;
  target.dispatchEvent(eval(event));
  while (texts() === before) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (performance.now() - start > 10000) return null;
  }
  return performance.now() - start;
}"""


def lesson_controls(page, url: str) -> list[dict]:
    """Each control changed REPEATS times on the cheetah example (opened by a link)."""
    page.goto(f"{url}?view=lesson&example=cheetah")
    answered = f"() => {VIEW}?.payload() && document.querySelector('#lesson-cell')?.innerText"
    page.wait_for_function(answered, timeout=120_000)
    page.locator("#lesson-view select[name=head]").select_option("self/0")  # a head every control affects
    page.wait_for_timeout(1000)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    rows = []
    for name, selector, values, event in CONTROLS:
        requests.clear()
        times = []
        for repeat in range(REPEATS):
            value = None if values is None else values[repeat % 2]
            key = "ArrowRight" if repeat % 2 == 0 else "ArrowLeft"
            times.append(page.evaluate(CHANGE_AND_WAIT, [selector, value, event, key]))
        if name == "head selection":  # the other controls act on the SelfAttention head
            page.locator("#lesson-view select[name=head]").select_option("self/0")
        page.wait_for_timeout(1000)
        shown = [t for t in times if t is not None]
        rows.append({"control": f"lesson {name}", "requests": len([u for u in requests if "/gradio_api/" in u]),
                     "texts_ms": percentile(shown, 50) if shown else None, "max_ms": max(shown, default=None),
                     "missed": len(times) - len(shown)})  # fmt: skip
    print(json.dumps(rows, indent=2))
    return rows
