"""A local Sphinx extension that mends three interactions between our pinned packages.

1. The widget manager calls MathJax 2's API under Sphinx's MathJax 3: see mathjax2_hub_shim.js.

2. The widget manager (embed-amd.js) finds its own fonts relative to the require.js module URL of
its bundle. Loaded by a plain script tag, that module has no path configured, so require.js places
it beside the page and every icon font 404s. On pages with widgets we configure require.js, before
it loads, to place the bundle's modules at the CDN folder the bundle itself comes from: both the
bundle's own path and the ``@jupyter-widgets/...`` modules it defines (base, controls), whose styles
ask for the same fonts relative to their own module name. Without the second, a widget with icons
(the Playground's buttons) fetched ``book/@jupyter-widgets/<hash>.woff2`` beside the page, a 404.

3. sphinx-thebe adds its inline configuration script (``const THEBE_JS_URL = …``) in
``env-before-read-docs``, after the HTML builder has started. Sphinx 7.4 then keeps that script twice:
once on the builder under the file name None, and again, re-read from the registry in
``prepare_writing``, under the file name ''. The two copies do not compare equal, so each page
declares the constant twice and the browser stops with "Identifier 'THEBE_JS_URL' has already been
declared". Dropping the builder's early copy leaves exactly the one that ``prepare_writing`` adds.
"""

import json
import pathlib

SHIM = pathlib.Path(__file__).with_name("mathjax2_hub_shim.js")


def drop_early_inline_scripts(app, env, docnames):
    scripts = getattr(app.builder, "_js_files", None)
    if scripts is not None:
        scripts[:] = [script for script in scripts if script.filename is not None]


def configure_widget_module_paths(app, pagename, templatename, context, doctree):
    bundle = next((script.filename for script in context.get("script_files", [])
                   if (script.filename or "").endswith("/dist/embed-amd.js")), None)
    if bundle is None:
        return
    folder = bundle.rsplit("/", 1)[0]  # .../@jupyter-widgets/html-manager@1.0.15/dist
    module_prefix = "@jupyter-widgets/html-manager/dist"
    # A global `require` object defined before require.js loads is read as its configuration.
    paths = {module_prefix: folder, "@jupyter-widgets": folder}  # require.js takes the longest prefix
    app.add_js_file(None, body=f"var require = {json.dumps({'paths': paths})};", priority=450)


def setup(app):
    # priority 100: in the head before MathJax and the widget manager; added here, before the
    # builder starts, so it is registered once
    app.add_js_file(None, body=SHIM.read_text(), priority=100)
    # priority 900: after sphinx-thebe's handler (500) has added its script
    app.connect("env-before-read-docs", drop_early_inline_scripts, priority=900)
    # priority 600: after myst-nb has added the widget scripts (500) to this page
    app.connect("html-page-context", configure_widget_module_paths, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
