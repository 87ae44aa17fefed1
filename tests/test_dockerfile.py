"""deploy/Dockerfile read as instructions and checked against what the brief asks of it: a slim Python
base, the service's own pinned requirements (the same pins as requirements.txt, every dependency
listed), a non-root user, a HEALTHCHECK on /health, and a uvicorn CMD that names a real app factory.
No Docker daemon is needed (CI has none)."""

import importlib
import json
import re
from importlib.metadata import distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions(text):
    """[(INSTRUCTION, arguments)] with comments dropped and backslash continuations joined."""
    joined = re.sub(r"\\\n", " ", "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
            for line in joined.splitlines() if line.strip()]


def pins(path):
    """{canonical name: version} of a requirements file's ``name==version`` lines (options skipped)."""
    found = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, version = line.split("==")  # fails on any requirement that is not pinned
            found[canonicalize_name(name)] = version
    return found


@pytest.fixture(scope="module")
def steps():
    return instructions(DOCKERFILE.read_text())


def args(steps, kind):
    return [a for k, a in steps if k == kind]


def test_slim_python_base(steps):
    assert steps[0][0] == "FROM" and len(args(steps, "FROM")) == 1
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", steps[0][1])


def test_copied_files_exist_and_the_service_requirements_are_installed(steps):
    for copy in args(steps, "COPY"):
        for source in copy.split()[:-1]:
            assert (ROOT / source).exists(), source
    installs = [a for a in args(steps, "RUN") if "pip install -r" in a]
    assert installs == ["pip install -r requirements-service.txt"]
    assert "deploy/requirements-service.txt ./" in args(steps, "COPY")


def test_service_requirements_are_pinned_like_the_development_stack():
    service, stack = pins(ROOT / "deploy" / "requirements-service.txt"), pins(ROOT / "requirements.txt")
    for name in ("fastapi", "uvicorn", "pydantic", "starlette", "torch", "numpy"):
        assert name in service
    for name, version in service.items():
        assert stack[name] == version.split("+")[0], name  # torch is the CPU build (+cpu) of the same version


def test_service_requirements_list_every_dependency():
    service = pins(ROOT / "deploy" / "requirements-service.txt")
    for name in service:
        for text in distribution(name).requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                assert canonicalize_name(requirement.name) in service, f"{name} needs {requirement.name}"


def test_runs_as_a_non_root_user_before_the_command(steps):
    kinds = [k for k, _ in steps]
    users = args(steps, "USER")
    assert users and users[-1] not in ("root", "0") and not users[-1].startswith("0:")
    assert max(i for i, k in enumerate(kinds) if k == "USER") < kinds.index("CMD")
    assert any("useradd" in a and users[-1] in a.split() for a in args(steps, "RUN"))


def test_healthcheck_asks_health_on_the_served_port(steps):
    (check,) = args(steps, "HEALTHCHECK")
    port = args(steps, "EXPOSE")[0]
    assert "CMD" in check and f"127.0.0.1:{port}/health" in check


def test_cmd_runs_uvicorn_on_the_app_factory(steps):
    (cmd,) = args(steps, "CMD")
    argv = json.loads(cmd)  # exec form: signals reach uvicorn, not a shell
    assert argv[0] == "uvicorn" and "--factory" in argv
    assert argv[argv.index("--port") + 1] == args(steps, "EXPOSE")[0] and argv[argv.index("--host") + 1] == "0.0.0.0"
    module, name = argv[1].split(":")
    assert callable(getattr(importlib.import_module(module), name))
    env = " ".join(args(steps, "ENV"))
    assert "COMPANION_CHECKPOINT=" in env


def test_the_parser_sees_what_it_should():
    steps = instructions("FROM python:3.11-slim\n# USER root\nRUN a \\\n  b\nUSER app\n")
    assert steps == [("FROM", "python:3.11-slim"), ("RUN", "a    b"), ("USER", "app")]


def test_dockerfile_path_finds_the_repository_file(tmp_path, monkeypatch):
    from companion.deploy import dockerfile_path

    here = dockerfile_path()
    assert here.read_text().startswith("# The book's digit classifier")
    monkeypatch.setattr("companion.deploy.__file__", str(tmp_path / "site" / "companion" / "deploy" / "x.py"))
    clone = tmp_path / "work" / "clone"
    (clone / "deploy").mkdir(parents=True)
    (clone / "deploy" / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.chdir(tmp_path / "work")                      # as in Colab: the clone is a folder of the cwd
    assert dockerfile_path() == clone / "deploy" / "Dockerfile"
    monkeypatch.chdir(tmp_path)
    (clone / "deploy" / "Dockerfile").unlink()
    with pytest.raises(FileNotFoundError, match="no deploy/Dockerfile"):
        dockerfile_path()
