# Two commands for a newcomer: `make book` and `make test`. Each sets up what it needs, once:
# the virtual environment is rebuilt only when requirements.txt or pyproject.toml change.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
STAMP := $(VENV)/.installed
IPW7 := .venv-ipywidgets7
IPW7_STAMP := $(IPW7)/.installed
ASSETS := tests/browser/node_modules/.installed
PYTEST_PARALLEL := -n 2 --dist loadfile

.PHONY: book test chromium unit nbval widgets7 build-fresh browser pdf clean

# The notebooks run two at a time into the execution cache first (tools/execute_book.py); the build then
# renders them from it. A failing notebook is run again by the build, which shows the error in context.
book: $(STAMP)
	-$(PY) tools/execute_book.py
	$(JB) build . --keep-going
	@echo "Book built: $(CURDIR)/_build/html/index.html"

test: chromium unit widgets7 build-fresh browser pdf
	@echo "make test: every check passed"

# Unit, equivalence, widget and set-up tests, and every notebook executed by nbval. Two workers on
# two cores: each keeps to one thread, because OpenMP and BLAS threads that outnumber the cores spin
# against each other and make torch's small operations many times slower.
unit: export OMP_NUM_THREADS = 1
unit: export OPENBLAS_NUM_THREADS = 1
unit: export MKL_NUM_THREADS = 1
unit: $(STAMP)
	$(PY) -m pytest $(PYTEST_PARALLEL) --nbval-lax --nbval-current-env tests book --ignore=tests/browser --ignore=tests/pdf

# The widget tests again under ipywidgets 7.7.1, the version Google Colab ships. Its widget.py
# creates comms through ipykernel's deprecated Comm class, once per widget: that warning is silenced.
widgets7: $(IPW7_STAMP)
	$(IPW7)/bin/python -m pytest tests/widgets -W "ignore::DeprecationWarning:ipywidgets.widgets.widget"

# The book built from scratch with warnings as errors. The execution cache is keyed on the notebooks
# alone and misses edits to companion/, so the test build throws it away first.
build-fresh: $(STAMP)
	rm -rf _build/.jupyter_cache _build/html _build/jupyter_execute
	$(PY) tools/execute_book.py
	$(JB) build . -W -n --keep-going

# Debian's chromium for the browser tests: installed when missing (apt as root, else sudo), or make
# test stops here, before any test runs, with the command to type.
chromium:
	bash tools/ensure_chromium.sh

# Every built page in headless Chromium, and the forward-pass widget in a real JupyterLab.
browser: chromium $(STAMP) $(ASSETS)
	$(PY) -m pytest tests/browser

# The whole book as one PDF, _build/pdf/neural-networks-executed.pdf with a copy in the site, where the
# front page links to it: the built pages printed by headless Chromium, offline, and merged under an
# outline (tools/make_pdf.py); then read back by tests/pdf. It prints the site as built, building it
# (as `make book` does) only when there is none; in `make test` it follows build-fresh.
pdf: chromium $(STAMP) $(ASSETS)
	test -f _build/html/index.html || $(MAKE) book
	$(PY) tools/make_pdf.py
	$(PY) -m pytest tests/pdf

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(IPW7_STAMP): requirements-ipywidgets7.txt pyproject.toml
	test -x $(IPW7)/bin/python || $(PYTHON) -m venv $(IPW7)
	$(IPW7)/bin/python -m pip install -q -r requirements-ipywidgets7.txt
	$(IPW7)/bin/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(ASSETS): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --ignore-scripts
	touch $@

clean:
	rm -rf _build
