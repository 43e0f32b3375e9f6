"""Survey results page benchmark: how soon a staff member can use /surveys/<id>/results, in a real browser.

Chromium (Playwright, /usr/bin/chromium) logs in as a staff user on each server named, then opens the results page
``--repeat`` times at 1280 px and measures, from the navigation's start (``performance.timeOrigin``):

- ``server``: the HTML's first byte (what Flask took, with the request);
- ``dcl`` and ``load``: DOMContentLoaded and the load event;
- ``first input``: a click sent as soon as DOMContentLoaded is reported, and when the page's own handler ran —
  the first moment the page answered a person (a capturing listener installed before any page script records it
  and cancels the click, so nothing is followed);
- ``long tasks``: their count and summed time (PerformanceObserver, observing from before the first script), and
  ``busy until``: the end of the last one, two seconds after the load event;
- ``charts``: plotly charts drawn by then (``.chart-drawn``) of the boxes on the page (``div.chart``).

On the same server and in the same run an empty staff page (``--empty``, ``/staff``) gives the floor: the figure to
read is the ratio of the results page's first input to the empty page's, which machine noise leaves alone. Run it
against the code before this change (served on another port) as a baseline, and against the current code::

    .venv/bin/python bench/results_page.py --before http://127.0.0.1:5002 --after http://127.0.0.1:5016

Then, on ``--after`` only, it opens the closed part with the most charts and times its first chart's drawing from
the click, and counts the charts drawn 1.5 s later (those near the screen; the rest are drawn when scrolled to). The goal (issue 17, point 10): the demo survey interactive in under 1 s. Never run by
the tests, which assert structure (tests/e2e/test_results_page.py), not timings.
"""
import argparse
import statistics
import sys

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# Runs before the page's own scripts: the long tasks and the first click the page handles.
PROBE = """
window.__bench = {longtasks: [], firstInput: null};
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (entry) {
      window.__bench.longtasks.push([entry.startTime, entry.duration]);
    });
  }).observe({type: "longtask", buffered: true});
} catch (ignored) {}
window.addEventListener("click", function (event) {
  if (window.__bench.firstInput === null) {   // only the first click is the probe's, and cancelled
    window.__bench.firstInput = [performance.now(), performance.now() - event.timeStamp];
    event.preventDefault();
    event.stopPropagation();
  }
}, true);
"""
FIGURES = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const tasks = window.__bench.longtasks;
  return {
    server: nav.responseStart, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
    first_input: window.__bench.firstInput ? window.__bench.firstInput[0] : null,
    input_delay: window.__bench.firstInput ? window.__bench.firstInput[1] : null,
    long_tasks: tasks.length, long_total: tasks.reduce((sum, t) => sum + t[1], 0),
    busy_until: tasks.reduce((end, t) => Math.max(end, t[0] + t[1]), 0),
    charts: document.querySelectorAll("div.chart").length,
    drawn: document.querySelectorAll(".chart-drawn").length,
    height: document.documentElement.scrollHeight,
    bytes: nav.transferSize || nav.encodedBodySize,
  };
}"""


def login(page, base: str, user: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", user + "-2025")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()


def measure(page, url: str) -> dict:
    page.goto(url, wait_until="domcontentloaded")
    page.mouse.click(640, 120)          # queued at once: handled when the main thread is first free
    page.wait_for_load_state("load")
    page.wait_for_timeout(2000)         # long tasks after the load event count too
    return page.evaluate(FIGURES)


def open_largest_part(page, url: str) -> dict | None:
    """Open the closed part with the most charts: from the click to its first chart drawn, and how many of its
    charts are drawn 1.5 s later (those near the screen; the others wait until scrolled to)."""
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1000)
    page.evaluate("window.__bench.firstInput = [0, 0]")   # the probe lets this click through
    index = page.evaluate("""() => {
        const parts = [...document.querySelectorAll('details.results-section:not([open])')];
        const counts = parts.map(p => p.querySelectorAll('div.chart').length);
        return counts.length && Math.max(...counts) ? counts.indexOf(Math.max(...counts)) : -1; }""")
    if index < 0:
        return None
    section = page.locator("details.results-section:not([open])").nth(index)
    summary = section.locator("summary")
    summary.scroll_into_view_if_needed()
    handle = section.element_handle()
    page.evaluate("""(el) => { window.__bench.longtasks = []; window.__bench.opened = performance.now();
        const watch = new MutationObserver(() => { if (el.querySelector('.chart-drawn') && !window.__bench.first) {
            window.__bench.first = performance.now() - window.__bench.opened; } });
        watch.observe(el, {subtree: true, attributes: true, attributeFilter: ['class']}); }""", handle)
    summary.click()
    page.wait_for_function("() => window.__bench.first", timeout=20000)
    page.wait_for_timeout(1500)
    return page.evaluate("""(el) => ({
        charts: el.querySelectorAll('div.chart').length, drawn: el.querySelectorAll('.chart-drawn').length,
        first: window.__bench.first, long_total: window.__bench.longtasks.reduce((sum, t) => sum + t[1], 0),
        title: el.querySelector('summary').innerText.split('\\n')[0]})""", handle)


def median_of(runs: list[dict], key: str):
    values = [run[key] for run in runs if run[key] is not None]
    return statistics.median(values) if values else None


def report(label: str, runs: list[dict], floor: list[dict]) -> dict:
    row = {key: median_of(runs, key) for key in runs[0]}
    empty = median_of(floor, "first_input")
    ratio = row["first_input"] / empty if row["first_input"] and empty else None
    print(f"{label:>7}  server {row['server']:6.0f} ms  dcl {row['dcl']:6.0f}  load {row['load']:6.0f}  "
          f"first input {row['first_input'] or 0:6.0f} (delay {row['input_delay'] or 0:5.0f})  "
          f"long tasks {row['long_tasks']:3.0f} = {row['long_total']:6.0f} ms, busy until {row['busy_until']:6.0f}  "
          f"charts drawn {row['drawn']:.0f}/{row['charts']:.0f}  height {row['height']:.0f} px  "
          f"{row['bytes'] / 1024:.0f} KiB")
    print(f"{'':>7}  empty page: first input {empty:6.0f} ms (load {median_of(floor, 'load'):6.0f})  "
          f"→ ratio {ratio:.2f}" if ratio else "")
    return {**row, "ratio": ratio, "empty": empty}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="the code before the change, e.g. http://127.0.0.1:5002")
    parser.add_argument("--after", required=True, help="the current code, e.g. http://127.0.0.1:5016")
    parser.add_argument("--path", default="/surveys/1/results")
    parser.add_argument("--empty", default="/staff")
    parser.add_argument("--user", default="demo-organiser")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()
    servers = [("before", args.before), ("after", args.after)] if args.before else [("after", args.after)]
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for label, base in servers:
            context = browser.new_context(viewport={"width": args.width, "height": 900}, locale="zh-CN")
            page = context.new_page()
            login(page, base, args.user)
            context.add_init_script(PROBE)   # after the login: the probe cancels clicks
            measure(page, base + args.path)   # warm: templates compiled, static files cached as a returning user
            measure(page, base + args.empty)
            runs, floor = [], []
            for _ in range(args.repeat):
                runs.append(measure(page, base + args.path))
                floor.append(measure(page, base + args.empty))
            results[label] = report(label, runs, floor)
            if label == "after":
                opened = open_largest_part(page, base + args.path)
                if opened:
                    print(f"{'':>7}  opening “{opened['title']}”: its first chart drawn {opened['first']:.0f} ms after "
                          f"the click; {opened['drawn']} of its {opened['charts']} charts drawn 1.5 s later (the rest "
                          f"when scrolled to); long tasks {opened['long_total']:.0f} ms")
            context.close()
        browser.close()
    if "before" in results and results["before"]["first_input"] and results["after"]["first_input"]:
        print(f"first input, after / before: {results['after']['first_input'] / results['before']['first_input']:.2f}"
              f"  (goal: the results page interactive in under 1 s: {results['after']['first_input']:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
