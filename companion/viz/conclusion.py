"""The conclusion's map of the book: its pages in reading order, read from ``_toc.yml``, and beside each page
the companion modules it is the first to import, read from the notebooks' code with :mod:`ast` and coloured by
the package's floor. Nothing in the map is typed in, so it follows the book as pages are added.
"""

import ast
import functools
import importlib
import importlib.util
import json
import pathlib
import re
import textwrap

import matplotlib.pyplot as plt

from companion.data.text import _book_dir

#: The floors of the package (imports only go down) and the colour of each on the map.
FLOORS = {1: ("1: np/, torch/, metrics, counting", "#3b82f6"),
          2: ("2: data/, training and the other modules", "#22a06b"),
          3: ("3: viz/, deploy/", "#f39c12"),
          4: ("4: widgets/", "#8e44ad")}
_FLOOR_OF = {"np": 1, "torch": 1, "metrics": 1, "counting": 1, "viz": 3, "deploy": 3, "exercises": 3, "widgets": 4}
_NOT_SHOWN = ("book", "exercises")  # glue() and check() are on every page: the numbers count them instead
_TOC_ENTRY = re.compile(r"^(\s*)-\s*file:\s*(\S+)\s*$")


def repository_root(root=None):
    """The repository's folder: ``root`` if given, else the one holding the chapters that
    :func:`companion.data.text._book_dir` finds (beside the package, the working folder, or a clone in it)."""
    return pathlib.Path(root) if root is not None else _book_dir().parent


def toc_pages(root=None):
    """The book's pages in reading order, from ``_toc.yml``: a list of ``(file, level)``, ``file`` as written
    there (``"book/08_cnn"``) and ``level`` 0 for a chapter, 1 for a section under it. The root page
    (``root:``) is not in the list."""
    toc = repository_root(root) / "_toc.yml"
    entries = [(len(m.group(1)), m.group(2)) for m in map(_TOC_ENTRY.match, toc.read_text().splitlines()) if m]
    if not entries:
        raise ValueError(f"{toc} lists no '- file:' entries")
    top = min(indent for indent, _ in entries)
    return [(name, 0 if indent == top else 1) for indent, name in entries]


def notebook_pages(root=None):
    """:func:`toc_pages` restricted to the notebooks (``.ipynb``), as ``(path, level)``."""
    base = repository_root(root)
    return [(base / f"{name}.ipynb", level) for name, level in toc_pages(root)
            if (base / f"{name}.ipynb").exists()]


def page_title(path):
    """The first ``# `` heading of a notebook's markdown cells."""
    for cell in json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return pathlib.Path(path).stem


def _code_cells(path):
    """The source of a notebook's code cells, shell (!) and magic (%) lines blanked."""
    for cell in json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "code":
            yield "\n".join("" if line.lstrip().startswith(("!", "%")) else line
                             for line in "".join(cell["source"]).splitlines())


def _is_package(name):
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.submodule_search_locations is not None


def _has_submodule(package, name):
    """Whether ``package.name`` is a module, found on disk without importing it."""
    spec = importlib.util.find_spec(package)
    return any((pathlib.Path(folder) / f"{name}.py").exists() or (pathlib.Path(folder) / name / "__init__.py").exists()
               for folder in spec.submodule_search_locations)


@functools.lru_cache(maxsize=None)
def _resolve(module, name):
    """The module that ``name``, taken from ``module``, comes from: a submodule, or where the object is defined
    (a package's re-export), or ``module`` itself when that cannot be told without a failing import."""
    if not _is_package(module):
        return module
    if _has_submodule(module, name):
        return f"{module}.{name}"
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return module
    return getattr(obj, "__module__", None) or module


def imported_modules(path):
    """The companion modules a notebook uses, as full names (``companion.np.conv``): those it imports from,
    and, through a name bound to a package (``from companion import np as cnp``), those of each attribute it
    reads (``cnp.conv2d`` -> ``companion.np.conv``). Cells that name neither ``companion`` nor such a name are
    not parsed; a cell that is not valid Python is skipped."""
    used, aliases = set(), {}
    for source in _code_cells(path):
        if "companion" not in source and not any(f"{name}." in source for name in aliases):
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        attributes = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                attributes.append(node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "companion":
                        aliases[alias.asname or "companion"] = alias.name if alias.asname else "companion"
                        used.add(alias.name)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "companion":
                for alias in node.names:
                    source_module = _resolve(node.module, alias.name)
                    used.add(source_module)
                    if source_module == f"{node.module}.{alias.name}":
                        aliases[alias.asname or alias.name] = source_module
        used.update(_resolve(aliases[node.value.id], node.attr) for node in attributes if node.value.id in aliases)
    return {name for name in used if name.startswith("companion.")}


def short_name(module):
    """``companion.np.conv`` -> ``np.conv``; ``companion.train`` -> ``train``."""
    return module[len("companion."):] if module.startswith("companion.") else module


def floor(module):
    """The floor (1 to 4) of a module, by its first part: np/torch/metrics/counting 1, viz/deploy/exercises 3,
    widgets 4, everything else (data/, train, the models' modules) 2."""
    return _FLOOR_OF.get(short_name(module).split(".")[0], 2)


def first_imports(root=None):
    """For each notebook page in reading order: ``(path, level, title, modules)``, ``modules`` the short names of
    the companion modules that no earlier page used. Left out: glue and the exercises' checker (on every page),
    private helpers (``_validate``) and packages as such (``np``: their modules are listed)."""
    seen, pages = set(), []
    for path, level in notebook_pages(root):
        names = {short_name(m) for m in imported_modules(path)}
        new = sorted(n for n in names - seen if n.split(".")[0] not in _NOT_SHOWN
                     and not any(part.startswith("_") for part in n.split(".")) and not _is_package(f"companion.{n}"))
        seen |= names
        pages.append((path, level, page_title(path), new))
    return pages


def _chips(modules):
    """Labels for a page's new modules, a NumPy reference and its PyTorch twin joined as ``np/torch.name``."""
    twins = {m[len("np."):] for m in modules if m.startswith("np.")} & \
            {m[len("torch."):] for m in modules if m.startswith("torch.")}
    labels = []
    for m in modules:
        part = m.split(".", 1)[-1]
        if m.startswith("torch.") and part in twins:
            continue
        labels.append((f"np/torch.{part}" if m.startswith("np.") and part in twins else m, floor(f"companion.{m}")))
    return labels


def _place(ax, renderer, x, y, text, colour):
    """A chip at (x, y) (axes-fraction x, data y): white text on a rectangle of the floor's colour, drawn as a
    patch behind the text rather than as the text's own bbox, which would lay the text out again at every
    draw. Returns the chip's two artists and the x where the next chip may start."""
    label = ax.text(x, y, text, fontsize=7.5, va="center", family="monospace", color="white", zorder=3)
    box = label.get_window_extent(renderer).transformed(ax.transData.inverted())
    patch = ax.add_patch(plt.Rectangle((box.x0 - 0.003, box.y0 - 0.12), box.width + 0.006, box.height + 0.24,
                                       color=colour, lw=0, zorder=2))
    return (label, patch), box.x1 + 0.012


def plot_book_map(pages, ax=None):
    """The map: one line per page (``pages`` as :func:`first_imports` returns them), its title on the left and
    the modules it is the first to use as chips coloured by floor, wrapped onto more lines where needed;
    sections indented under their chapter. Returns the Figure."""
    layout = [(title, level, _chips(mods)) for _, level, title, mods in pages]
    estimate = sum(1 + sum(len(c) + 2 for c, _ in chips) // 80 for _, _, chips in layout)
    if ax is None:
        _, ax = plt.subplots(figsize=(13, 0.27 * estimate + 1.2))
    ax.set_xlim(0, 1)
    ax.set_ylim(-estimate, 2)
    renderer = ax.figure.canvas.get_renderer()
    titles = [ax.text(0.005 + 0.015 * level, 0, textwrap.shorten(title, 48, placeholder="…"), fontsize=8.5,
                      va="center", weight="normal" if level else "bold") for title, level, _ in layout]
    start = max((t.get_window_extent(renderer).transformed(ax.transData.inverted()).x1 for t in titles),
                default=0.2) + 0.015                     # the chips begin right of the longest title
    x = 0.005
    for k, (text, colour) in FLOORS.items():
        x = _place(ax, renderer, x, 1.2, f"floor {text}", colour)[1] + 0.01
    y = 0
    for i, ((_, _, chips), title) in enumerate(zip(layout, titles)):
        title.set_y(-y)
        if i:
            ax.axhline(-y + 0.5, color="#e5e7eb", lw=0.6)
        if not chips:
            ax.text(start, -y, "–", fontsize=8, va="center", color="#9ca3af")
        x = start
        for label, level_of_chip in chips:
            artists, end = _place(ax, renderer, x, -y, label, FLOORS[level_of_chip][1])
            if end > 1 and x > start:        # no room left on this line: move the chip to the next one
                for artist in artists:
                    artist.remove()
                y += 1
                _, end = _place(ax, renderer, start, -y, label, FLOORS[level_of_chip][1])
            x = end
        y += 1
    ax.set_ylim(-y + 0.3, 2)
    ax.axis("off")
    ax.set_title("each page and the companion modules it is the first to use, coloured by floor", fontsize=10)
    return ax.figure
