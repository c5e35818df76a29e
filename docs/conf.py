"""Sphinx configuration for upweight's documentation site.

Built by ``make docs`` into ``docs/_build/html`` with warnings as errors. The site works
offline: the theme's fonts and icons ship with it, MathJax is served from the build
(``sphinx-mathjax-offline``), and nothing is fetched from the network at build time or
when a page is read (``tools/check_offline.py`` checks the built pages).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

import upweight  # noqa: E402

project = "upweight"
author = "upweight maintainers"
copyright = "2026, upweight maintainers"
release = upweight.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
templates_path = ["_templates"]
html_static_path = ["_static"]

# MathJax is served from the site (sphinx-mathjax-offline). Its context menu is off: from
# it a reader could turn on speech, which MathJax would fetch from a CDN.
mathjax3_config = {"options": {"enableMenu": False}}

# -- API reference -----------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_attributes_as_param_list = True
add_module_names = False

# -- Gallery -----------------------------------------------------------------------------
# Every script in examples/ runs at build time; its figures are captured for the page.
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"/_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": True,
    "show_memory": False,
    # the computation-times page loads jQuery and DataTables from a CDN
    "write_computation_times": False,
    "plot_gallery": "True",
}

# matplotlib's plot directive: the user guide's figures are computed when the docs build
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\nimport upweight\n"
plot_rcparams = {"figure.figsize": (7.0, 3.6), "font.size": 10}

# -- HTML --------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"upweight {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_prev_next": True,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
    # offline: no search-as-you-type service, no external analytics, no version switcher
    "icon_links": [],
}
html_sidebars = {"index": [], "changelog": []}
html_show_sourcelink = False
html_copy_source = False

warnings.filterwarnings("ignore", category=UserWarning, message="Matplotlib is currently using agg")


def _skip_foreign(app, what, name, obj, skip, options):
    """Leave out members scikit-learn generates or defines (``set_fit_request``, ...)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    if what != "class" or name.startswith("_"):
        return None
    target = obj.fget if isinstance(obj, property) else obj
    module = getattr(target, "__module__", None) or ""
    if (callable(target) or isinstance(obj, property)) and not module.startswith("upweight"):
        return True
    return None


def _write_cli_help(app):
    """The command line's ``--help`` texts, which ``cli.rst`` includes: never out of date."""
    import _cli_help

    _cli_help.write()


def _drop_mathjax_cdn_loader(app, exception):
    """Remove MathJax's ``latest.js`` from the built site.

    sphinx-mathjax-offline copies MathJax's whole distribution; the pages load
    ``tex-chtml.js`` from it, and nothing loads ``latest.js``, a loader whose only job is
    to fetch the newest MathJax from a CDN. Left in place, the site would hold a script
    that fetches from the network (``tools/check_offline.py`` refuses it).
    """
    if exception is None and app.builder.format == "html":
        (Path(app.outdir) / "_static" / "mathjax" / "latest.js").unlink(missing_ok=True)


def _public_bases(app, name, obj, options, bases):
    """Show only bases a reader can use: not upweight's private mixins (PlanJSON, ...)."""
    import upweight as package

    def private(base: type) -> bool:
        module = getattr(base, "__module__", "") or ""
        if not module.startswith("upweight"):
            return False
        home = package if module.startswith("upweight._") else sys.modules.get(module)
        named = getattr(base, "__name__", "")
        return named.startswith("_") or getattr(home, named, None) is not base

    bases[:] = [base for base in bases if not private(base)]


def setup(app):
    """Connect the hooks above.

    Skip foreign members, show only public bases, write the command line's help before
    reading, and leave MathJax's CDN loader out of the built site.
    """
    app.connect("autodoc-skip-member", _skip_foreign)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("builder-inited", _write_cli_help)
    app.connect("build-finished", _drop_mathjax_cdn_loader)
