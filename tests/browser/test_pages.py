"""Every page of the built book, opened in a real browser: no errors, math typeset, widgets drawn."""

import pathlib

import pytest

from conftest import HTML, ROOT, Router

SCREENSHOTS = ROOT / "_build" / "screenshots"
PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html") if "_static" not in p.parts
               and "_sources" not in p.parts) if HTML.exists() else []

# Runs in the page once it has loaded: waits for MathJax and the widget manager, then reports.
INSPECT = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const widgetScripts = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const deadline = Date.now() + 15000;
  const blank = () => widgetScripts.filter(s => {
      const view = s.parentElement.querySelector('.jupyter-widgets, .widget-box, .lm-Widget');
      return !view || view.getBoundingClientRect().height < 5;
  });
  while (blank().length && Date.now() < deadline) { await new Promise(r => setTimeout(r, 200)); }
  const text = document.body.innerText;
  return {
    brokenImages: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
    traceback: text.includes('Traceback (most recent call last)'),
    mathElements: document.querySelectorAll('.math').length,
    unrenderedMath: [...document.querySelectorAll('.math')].filter(m => !m.querySelector('mjx-container')).length,
    rawTex: (text.match(/\\\\\\(|\\\\\\[|\\$\\$/g) || []).length,
    widgets: widgetScripts.length,
    blankWidgets: blank().length,
    sliders: document.querySelectorAll('.widget-slider').length,
  };
}"""


def test_the_book_has_pages():
    assert {"index.html", "book/00_introduction.html", "book/02_forward_propagation.html"} <= set(PAGES)


@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_cleanly(site, browser, page_path):
    router = Router()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", router)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(f"{site}/{page_path}", wait_until="networkidle")
    report = page.evaluate(INSPECT)
    shot = SCREENSHOTS / pathlib.Path(page_path).with_suffix(".png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    context.close()

    assert not router.refused, f"requests to the outside with no local copy: {router.refused}"
    assert not problems, "\n".join(problems)
    assert not report["brokenImages"], report["brokenImages"]
    assert not report["traceback"], "a Python traceback is shown on the page"
    assert report["unrenderedMath"] == 0 and report["rawTex"] == 0, f"math left unrendered: {report}"
    assert report["blankWidgets"] == 0, f"{report['blankWidgets']} of {report['widgets']} widget areas are blank"
    if page_path == "book/02_forward_propagation.html":
        assert report["mathElements"] > 10 and report["widgets"] >= 1 and report["sliders"] >= 11, report
    if page_path == "book/08b_modern_cnn.html":  # the depth explorer's static state: a slider for the blocks
        assert report["mathElements"] > 3 and report["widgets"] >= 1 and report["sliders"] >= 1, report
