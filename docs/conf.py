"""Sphinx configuration for the sk_alrnn documentation.

Build: ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
Nothing is fetched from the network during the build (no intersphinx).
The API reference pages are generated here from each public module's
``__all__`` (see ``API_MODULES``), so a new public name shows up by itself.
"""

import importlib
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# Gallery examples draw off-screen and keep torch to one thread (small models).
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

import sk_alrnn  # noqa: E402

project = "sk_alrnn"
author = "sk_alrnn developers"
copyright = "sk_alrnn developers"
version = release = sk_alrnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
templates_path = ["_templates"]

# -- autodoc / autosummary / numpydoc ---------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
numpydoc_show_class_members = False  # the class template lists them instead
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False  # cross-links would need intersphinx (network)


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters
    (``set_fit_request`` ...), ``get_metadata_routing`` and ``set_output``: their
    docstrings link into sklearn's own docs."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    if name in ("get_metadata_routing", "set_output"):
        return True
    return None


_TYPE_LINE = re.compile(r"^(\s*[\w*, ]+ : )(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"(\w)_(?=[,)\]])")


def _escape_type_underscores(app, what, name, obj, options, lines):
    """In numpydoc's ``name : type`` lines, escape the trailing underscore of
    fitted-attribute names used as sizes (``ndarray of shape (n_features_in_,)``),
    which reST would otherwise read as a link target."""
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match:
            head, kind = match.groups()
            lines[i] = head + _TRAILING_UNDERSCORE.sub(r"\1\\_", kind)


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", _escape_type_underscores, priority=400)


# -- MyST (the user guide is Markdown, moved from the README) ---------------
myst_heading_anchors = 3

# -- sphinx-gallery ---------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": str(HERE / "auto_examples"),
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sk_alrnn",),
    "backreferences_dir": "api/generated/backreferences",
    "reference_url": {"sk_alrnn": None},
}

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sk_alrnn {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "navbar_align": "left",
}
html_show_sourcelink = False
# The pages with wide benchmark tables use the whole width for them.
html_theme_options["secondary_sidebar_items"] = {
    "**": ["page-toc"],
    **{
        f"user_guide/{page}": []
        for page in ("sweeps", "forecasting", "parallel", "performance", "training")
    },
}

# -- API reference, generated from __all__ ----------------------------------
# Modules documented in the API reference: (module, one-line description).
API_MODULES = [
    ("sk_alrnn", "Estimators, fitted parameters, save and load"),
    ("sk_alrnn.model_selection", "Sweeps over n_nonlinear, learning curves, pruning"),
    ("sk_alrnn.analysis", "Linear regions, fixed points, cycles, spectra"),
    ("sk_alrnn.forecasting", "Windows, ALRNNForecaster, baselines, backtests"),
    ("sk_alrnn.datasets", "Sequence tasks and data sets"),
    ("sk_alrnn.preprocessing", "Scaling sequences"),
    ("sk_alrnn.baselines", "GRU, LSTM and tanh RNN baselines"),
    ("sk_alrnn.plotting", "Figures (matplotlib)"),
    ("sk_alrnn.persistence", "Saving and loading without pickle"),
]
_SKIP = {"__version__"}


def public_names(modname):
    """The documented names of a module: its ``__all__``, else the public
    classes and functions defined in it."""
    module = importlib.import_module(modname)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and callable(obj)
            and getattr(obj, "__module__", "") == modname
        ]
    return sorted(n for n in names if n not in _SKIP)


def _write_api_pages():
    out = HERE / "api"
    out.mkdir(exist_ok=True)
    toc = []
    for modname, description in API_MODULES:
        module = importlib.import_module(modname)
        classes, modules, functions, data = [], [], [], []
        for name in public_names(modname):
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
                modules.append(name)  # torch's own methods are not ours to list
            elif isinstance(obj, type):
                classes.append(name)
            elif callable(obj):
                functions.append(name)
            else:
                data.append(name)
        title = f"``{modname}``"
        lines = [
            f".. _api-{modname}:",
            "",
            title,
            "=" * len(title),
            "",
            f".. automodule:: {modname}",
            "   :no-members:",
            "   :no-index:",
            "",
            f".. currentmodule:: {modname}",
            "",
        ]
        for heading, names, template in (
            ("Classes", classes, "autosummary/class.rst"),
            ("Torch modules", modules, "autosummary/module_class.rst"),
            ("Functions", functions, "autosummary/function.rst"),
            ("Constants", data, None),
        ):
            if not names:
                continue
            lines += [heading, "-" * len(heading), ""]
            lines += [".. autosummary::", "   :toctree: generated/"]
            lines.append("   :nosignatures:")
            if template:
                lines.append(f"   :template: {template}")
            lines.append("")
            lines += [f"   {name}" for name in names]
            lines.append("")
        (out / f"{modname}.rst").write_text("\n".join(lines), encoding="utf-8")
        toc.append((modname, description))
    index = [
        "API reference",
        "=============",
        "",
        "Every public name of the package, generated from each module's",
        "``__all__``.",
        "",
        ".. list-table::",
        "   :header-rows: 0",
        "",
    ]
    for modname, description in toc:
        index += [f"   * - :ref:`api-{modname}`", f"     - {description}"]
    index += ["", ".. toctree::", "   :hidden:", ""]
    index += [f"   {modname}" for modname, _ in toc]
    (out / "index.rst").write_text("\n".join(index) + "\n", encoding="utf-8")


_write_api_pages()
