"""The GitHub Pages workflow builds the book exactly as `make book` would and deploys it from the branch
that _config.yml names: checked by reading the workflow, the Makefile, requirements.txt and _config.yml."""

import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)")


@pytest.fixture(scope="module")
def workflow():
    # PyYAML reads the key `on` as the boolean True (YAML 1.1); take it back under its name.
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(workflow, job):
    return workflow["jobs"][job]["steps"]


def run_lines(workflow):
    return [line.strip() for job in workflow["jobs"] for step in steps(workflow, job)
            for line in step.get("run", "").splitlines() if line.strip()]


def requirement_pins():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_it_deploys_on_pushes_to_the_branch_the_book_is_published_from(workflow):
    branch = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["branch"]
    assert workflow["on"]["push"]["branches"] == [branch]


def test_it_builds_through_the_makefile_so_the_pins_are_requirements_txt(workflow):
    runs = run_lines(workflow)
    assert runs == ["make build-fresh", "make pdf"], runs  # the PDF is printed from the site just built
    makefile = (ROOT / "Makefile").read_text()
    # build-fresh and book share the one virtual environment, installed from requirements.txt
    assert re.search(r"^build-fresh: \$\(STAMP\)$", makefile, re.M)
    assert re.search(r"^book: \$\(STAMP\)$", makefile, re.M)
    assert "pip install -q -r requirements.txt" in makefile


def test_nothing_in_the_workflow_pins_a_package_differently(workflow):
    pins = requirement_pins()
    text = WORKFLOW.read_text()
    for name, version in re.findall(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.+]*[0-9A-Za-z])", text):
        key = name.lower().replace("_", "-")
        assert key in pins, f"the workflow pins {name}, which requirements.txt does not"
        assert version.split("+")[0] == pins[key], f"{name}=={version} against requirements.txt's {pins[key]}"
    # torch's pin comes from requirements.txt; the CPU index only supplies a wheel that satisfies it
    assert workflow["jobs"]["build"]["env"]["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    assert "+" not in pins["torch"], "requirements.txt's torch pin must stay a public version"


def test_python_is_the_version_the_tests_run_on(workflow):
    setup = [s for s in steps(workflow, "build") if s.get("uses", "").startswith("actions/setup-python@")]
    assert len(setup) == 1 and setup[0]["with"]["python-version"] == "3.11"
    assert "3.11 is what we test with" in (ROOT / "README.md").read_text()


def test_the_built_site_is_uploaded_and_deployed_with_pages_permissions(workflow):
    uses = [s.get("uses", "").split("@")[0] for s in steps(workflow, "build")]
    assert uses.index("actions/checkout") < uses.index("actions/setup-python") < uses.index(
        "actions/upload-pages-artifact")
    upload = next(s for s in steps(workflow, "build") if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == "_build/html"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    assert workflow["permissions"]["pages"] == "write" and workflow["permissions"]["id-token"] == "write"
    assert workflow["permissions"]["contents"] == "read"


def test_every_action_is_pinned_to_a_major_version(workflow):
    for job in workflow["jobs"]:
        for step in steps(workflow, job):
            if "uses" in step:
                assert re.fullmatch(r"actions/[a-z\-]+@v\d+", step["uses"]), step["uses"]


def test_the_pdf_is_printed_into_the_uploaded_site_before_the_upload(workflow):
    build = steps(workflow, "build")
    order = [s.get("run", s.get("uses", "")).split("@")[0] for s in build]
    assert order.index("make build-fresh") < order.index("make pdf") < order.index("actions/upload-pages-artifact")
    makefile = (ROOT / "Makefile").read_text()
    # make pdf runs tools/make_pdf.py on the default site, which puts its copy of the PDF in _build/html
    assert re.search(r"^pdf: .*\$\(ASSETS\)", makefile, re.M)
    assert re.search(r"^\t\$\(PY\) tools/make_pdf.py$", makefile, re.M)
    sys.path.insert(0, str(ROOT / "tools"))
    import make_pdf

    upload = next(s for s in build if s.get("uses", "").startswith("actions/upload-pages"))
    assert make_pdf.DEFAULT_HTML == ROOT / upload["with"]["path"]
    assert 'href="../' + make_pdf.PDF_NAME + '"' in (ROOT / "book" / "index.md").read_text()
    # the runner has no Debian chromium: both the installer check and the printer read CHROMIUM
    pdf_step = next(s for s in build if s.get("run") == "make pdf")
    assert pdf_step["env"]["CHROMIUM"] == "/usr/bin/google-chrome"
    assert "CHROMIUM=${CHROMIUM:-" in (ROOT / "tools" / "ensure_chromium.sh").read_text()
    assert 'os.environ.get("CHROMIUM"' in (ROOT / "tools" / "offline_assets.py").read_text()
