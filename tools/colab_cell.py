"""Write (or check) the Google Colab set-up cell at the top of every notebook in book/.

The cell is generated from the one repository setting in _config.yml (repository.url and
repository.branch), so moving the repository or publishing from a release tag is one edit there
followed by `python tools/colab_cell.py`.

    python tools/colab_cell.py          rewrite the cell in every notebook
    python tools/colab_cell.py --check  exit 1 and name each notebook whose cell differs
"""

import argparse
import json
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
MARKER = "# Colab set-up"
TAGS = ["remove-cell"]  # the HTML reader does not need it; a Colab reader runs it first

TEMPLATE = '''{marker} (written by tools/colab_cell.py from _config.yml: edit there, not here).
# In Google Colab this clones the book's repository and installs the companion package from it;
# elsewhere it does nothing.
import importlib
import os
import subprocess
import sys

try:
    import google.colab  # noqa: F401  (present only inside Colab)
    IN_COLAB = True
except ImportError:
    IN_COLAB = False

if IN_COLAB:
    repository = os.environ.get("COMPANION_REPOSITORY", "{url}")
    clone = os.path.basename(repository.rstrip("/")).removesuffix(".git")
    if not os.path.isdir(clone):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", "{ref}", repository, clone],
                       check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"./{{clone}}{extras}"], check=True)
    importlib.invalidate_caches()'''


def repository_source(config_path=ROOT / "_config.yml"):
    """(url, ref) of the repository the book is published from."""
    repo = yaml.safe_load(config_path.read_text())["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def notebook_extras(nb):
    """The package's optional dependency groups a notebook needs (its metadata's companion.extras)."""
    return tuple(nb.get("metadata", {}).get("companion", {}).get("extras", ()))


def cell_source(extras=()):
    """The set-up cell; ``extras`` (pyproject optional-dependency groups, e.g. ("graphs",)) are installed
    with the package, so a chapter that imports PyTorch Geometric gets it in Colab."""
    url, ref = repository_source()
    return TEMPLATE.format(marker=MARKER, url=url if url.endswith(".git") else url + ".git", ref=ref,
                           extras=f"[{','.join(extras)}]" if extras else "")


def notebooks():
    return sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def first_cell(nb):
    return nb["cells"][0] if nb["cells"] else None


def is_current(nb):
    cell = first_cell(nb)
    return (cell is not None and cell["cell_type"] == "code"
            and "".join(cell["source"]) == cell_source(notebook_extras(nb))
            and cell.get("metadata", {}).get("tags") == TAGS)


def write(path):
    nb = json.loads(path.read_text())
    cell = first_cell(nb)
    new = {"cell_type": "code", "execution_count": None, "id": "colab-setup", "metadata": {"tags": TAGS},
           "outputs": [], "source": cell_source(notebook_extras(nb)).splitlines(keepends=True)}
    if cell is not None and "".join(cell["source"]).startswith(MARKER):
        nb["cells"][0] = new
    else:
        nb["cells"].insert(0, new)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report notebooks whose cell differs; change nothing")
    args = parser.parse_args(argv)
    stale = [p for p in notebooks() if not is_current(json.loads(p.read_text()))]
    if args.check:
        for p in stale:
            print(f"{p.relative_to(ROOT)}: Colab set-up cell missing or out of date", file=sys.stderr)
        return 1 if stale else 0
    for p in stale:
        write(p)
        print(f"updated {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
