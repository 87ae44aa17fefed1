"""Small helpers for the book's notebooks that must also work in Colab, where myst-nb is absent."""


def glue(name, value, display=False):
    """Store ``value`` under ``name`` for the prose to quote ({glue:text}`name:.3f`).

    Under the book build this is ``myst_nb.glue``; elsewhere (Colab, a plain Jupyter) it only shows
    the value when ``display`` is true, so the notebook runs the same everywhere. NumPy scalars are
    stored as Python numbers: under NumPy 2 their text form is ``np.float64(0.5)``, which myst-nb's
    number formats (``:.3f``) cannot read back.
    """
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == ():
        value = item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)
