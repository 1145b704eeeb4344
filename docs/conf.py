"""Sphinx configuration."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from sk_colour_embed import __version__  # noqa: E402

project = "sk_colour_embed"
author = "The sk_colour_embed developers"
copyright = "2026, " + author
release = version = __version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.intersphinx", "numpydoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = ["_static"]
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
autodoc_default_options = {"members": True, "inherited-members": False}
intersphinx_mapping = {}
# Wide enough for the examples' lines and the project's name.
html_theme_options = {"page_width": "1240px", "sidebar_width": "260px"}
