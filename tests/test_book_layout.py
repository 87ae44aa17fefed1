"""The book's files agree with each other: table of contents, notebooks, Colab cell, clean storage."""

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import colab_cell  # noqa: E402


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [toc["root"]]
    stack = list(toc.get("chapters", [])) + [c for p in toc.get("parts", []) for c in p.get("chapters", [])]
    while stack:
        entry = stack.pop()
        entries.append(entry["file"])
        stack.extend(entry.get("sections", []))
    return entries


def test_every_notebook_is_in_the_toc_and_every_toc_entry_exists():
    listed = set(toc_files())
    on_disk = {str(p.relative_to(ROOT).with_suffix("")) for p in colab_cell.notebooks()}
    assert on_disk - listed == set(), "notebooks missing from _toc.yml"
    for entry in listed:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".ipynb", ".md")), f"{entry} in _toc.yml has no file"


@pytest.mark.parametrize("path", colab_cell.notebooks(), ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, "clear outputs before committing"


@pytest.mark.parametrize("path", colab_cell.notebooks(), ids=lambda p: p.name)
def test_notebook_starts_with_the_generated_colab_cell(path):
    assert colab_cell.is_current(json.loads(path.read_text())), "run: python tools/colab_cell.py"


def test_colab_cell_points_at_the_configured_repository():
    url, ref = colab_cell.repository_source()
    assert f'"{url}.git"' in colab_cell.cell_source() and f'"--branch", "{ref}"' in colab_cell.cell_source()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["branch"] == ref and config["launch_buttons"]["colab_url"]


def test_colab_cell_does_nothing_outside_colab(tmp_path):
    result = subprocess.run([sys.executable, "-c", colab_cell.cell_source() + "\nprint('IN_COLAB', IN_COLAB)"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "IN_COLAB False"


def test_colab_cell_installs_the_package_inside_colab(tmp_path):
    """Run the cell with a stand-in google.colab module and the repository pointed at this checkout: it
    clones the repository into the working folder, where the chapters are found as a corpus, and installs
    the package from the clone."""
    fake = tmp_path / "fake" / "google" / "colab"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    target = tmp_path / "target"
    # pip reads PIP_NO_BUILD_ISOLATION=0 as build_isolation=False: build with this environment's
    # setuptools, so that PIP_TARGET does not leak into an isolated build environment.
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "fake"), COMPANION_REPOSITORY=f"file://{ROOT}",
               PIP_TARGET=str(target), PIP_NO_DEPS="1", PIP_NO_BUILD_ISOLATION="0",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    result = subprocess.run([sys.executable, "-c", colab_cell.cell_source()], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (target / "companion" / "np" / "dense.py").exists()
    assert (target / "companion" / "data" / "book_corpus.json").exists()   # package data: the frozen corpus
    check = subprocess.run([sys.executable, "-c", "import companion, companion.np; print(companion.__file__)"],
                           cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(target)), capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    assert pathlib.Path(check.stdout.strip()).is_relative_to(target)
    clone = tmp_path / ROOT.name
    found = subprocess.run([sys.executable, "-c", "from companion.data.text import _book_dir; print(_book_dir())"],
                           cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(target)), capture_output=True,
                           text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert pathlib.Path(found.stdout.strip()) == clone / "book"


def test_colab_cell_tool_check_mode_flags_a_stale_notebook(tmp_path, monkeypatch):
    stale = tmp_path / "book" / "x.ipynb"
    stale.parent.mkdir()
    stale.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    monkeypatch.setattr(colab_cell, "ROOT", tmp_path)
    assert colab_cell.main(["--check"]) == 1
    assert colab_cell.main([]) == 0
    assert colab_cell.main(["--check"]) == 0


ENSURE_CHROMIUM = ROOT / "tools" / "ensure_chromium.sh"


def test_ensure_chromium_does_nothing_when_the_browser_is_there(tmp_path):
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    result = subprocess.run(["/bin/bash", str(ENSURE_CHROMIUM)], env={"CHROMIUM": str(browser), "PATH": "/nonexistent"},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout == result.stderr == ""


def test_ensure_chromium_stops_with_the_command_to_type_when_it_cannot_install(tmp_path):
    result = subprocess.run(["/bin/bash", str(ENSURE_CHROMIUM)],
                            env={"CHROMIUM": str(tmp_path / "missing"), "PATH": "/nonexistent"},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "no apt-get" in result.stderr and "sudo apt-get install -y chromium" in result.stderr


# What a chapter's code names -> the pyproject extra that installs it (Colab lacks all three groups).
OPTIONAL_IMPORTS = {"torch_geometric": "graphs", "keras": "frameworks", "companion.deploy.export": "deploy",
                    "companion.deploy.service": "deploy", "companion.deploy.loadtest": "deploy",
                    "onnx": "deploy", "fastapi": "deploy", "fairlearn": "responsible", "captum": "responsible"}


@pytest.mark.parametrize("path", colab_cell.notebooks(), ids=lambda p: p.name)
def test_a_notebook_importing_an_optional_library_installs_its_extra_in_colab(path):
    """Colab has no PyTorch Geometric or onnxruntime: a chapter that uses one must ask for its extra."""
    nb = json.loads(path.read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
                     and "# Colab set-up" not in "".join(c["source"]))
    pyproject = (ROOT / "pyproject.toml").read_text()
    extras = colab_cell.notebook_extras(nb)
    for extra in extras:
        assert f"\n{extra} = [" in pyproject, f"extra {extra!r} is not in pyproject.toml"
    if extras:
        assert f"[{','.join(extras)}]" in "".join(nb["cells"][0]["source"]), "the Colab cell misses the extras"
    for name, extra in OPTIONAL_IMPORTS.items():
        if name in code:
            assert extra in extras, f"{path.name} uses {name} but its metadata does not ask for [{extra}]"
