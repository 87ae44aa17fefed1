"""The forward-pass panel in a real JupyterLab: run the chapter, move a slider, read the new output."""

import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from companion._runtime import free_port
from companion.data import worked_example
from conftest import ROOT

CHAPTER = ROOT / "book" / "02_forward_propagation.ipynb"
KERNEL_IDLE = """() => {
  const widget = window.jupyterapp.shell.currentWidget;
  const kernel = widget && widget.sessionContext && widget.sessionContext.session
                 && widget.sessionContext.session.kernel;
  return kernel && kernel.status === 'idle';
}"""


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 with a token, serving a temporary copy of the chapter."""
    shutil.copy(CHAPTER, tmp_path / CHAPTER.name)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"), MPLBACKEND="module://matplotlib_inline.backend_inline")
    log = open(tmp_path / "lab.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--allow-root"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text())
            time.sleep(0.3)
    yield f"{base}/lab/tree/{CHAPTER.name}?token={token}"
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def test_moving_a_weight_slider_updates_the_output(lab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(lab)
    page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell')", timeout=60_000)
    accept = page.locator(".jp-Dialog .jp-mod-accept")  # "Select Kernel", offered on first open
    try:
        accept.wait_for(timeout=5_000)
        accept.click()
    except PlaywrightTimeout:
        pass
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")  # not awaited

    prediction = page.locator(".nnx-prediction")
    prediction.wait_for(timeout=120_000)
    start = worked_example.forward_steps()["output"]
    assert prediction.inner_text() == f"{start:.4f}"

    slider = page.locator(".widget-slider", has=page.locator(".widget-label", has_text="w5")).first
    handle = slider.locator(".noUi-handle, .ui-slider-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"document.querySelector('.nnx-prediction').innerText !== '{start:.4f}'", timeout=30_000)

    w5 = float(slider.locator(".widget-readout").first.inner_text())
    assert w5 > 0.7, "ArrowRight must increase the weight"
    expected = worked_example.forward_steps(w5=w5)["output"]
    assert prediction.inner_text() == f"{expected:.4f}"
    page.close()
