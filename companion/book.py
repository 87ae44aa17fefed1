"""Small helpers for the book's notebooks that must also work in Colab, where myst-nb is absent."""

from importlib.util import find_spec

# myst_nb.ext.glue.GLUE_PREFIX: the MIME prefix under which the build finds a glued, not displayed, value
GLUE_PREFIX = "application/papermill.record/"


def glue(name, value, display=False):
    """Store ``value`` under ``name`` for the prose to quote ({glue:text}`name:.3f`).

    Under the book build (myst-nb installed) this does what ``myst_nb.glue`` does; elsewhere (Colab, a
    plain Jupyter) it only shows the value when ``display`` is true, so the notebook runs the same
    everywhere. NumPy scalars are stored as Python numbers: under NumPy 2 their text form is
    ``np.float64(0.5)``, which myst-nb's number formats (``:.3f``) cannot read back.
    """
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == ():
        value = item()
    if find_spec("myst_nb") is None:
        if display:
            from IPython.display import display as show

            show(value)
        return
    _myst_glue(name, value, display)


def _myst_glue(name, value, display):
    """``myst_nb.glue``'s few lines, without importing myst_nb: its import pulls in nbformat and jsonschema,
    about 2 s on every page. The value's display data goes out with "scrapbook" metadata naming it;
    the build reads it back from the cell's outputs (tests/test_book_glue.py holds the two equal)."""
    from IPython.core.formatters import format_display_data
    from IPython.display import display as show

    bundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = dict(name=name, mime_prefix=prefix)
    show({prefix + mime: data for mime, data in bundle.items()}, raw=True, metadata=metadata)
