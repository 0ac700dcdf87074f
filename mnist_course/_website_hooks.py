"""MkDocs hooks for the course website (named in the ``mkdocs.yml`` that ``website`` writes).

MkDocs loads this file by its path; it is not imported as part of the package.
"""

import nbformat

from mnist_course.website import with_alt_text


def on_page_content(html, page, config, files):
    """Put each plot's recorded description on its ``<img>`` as alt text."""
    source = page.file.abs_src_path
    if source and source.endswith(".ipynb"):
        return with_alt_text(html, nbformat.read(source, as_version=4))
    return html
