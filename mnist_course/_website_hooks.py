"""MkDocs hooks for the course website (named in the ``mkdocs.yml`` that ``website`` writes).

MkDocs loads this file by its path; it is not imported as part of the package.
"""

import nbformat

from mnist_course.lessons import with_alt_text
from mnist_course.website import headings


def _flatten(toc):
    for item in toc:
        yield item
        yield from _flatten(item.children)


def on_page_content(html, page, config, files):
    """On a notebook's page: alt text on each plot, table-of-contents links that resolve."""
    source = page.file.abs_src_path
    if not (source and source.endswith(".ipynb")):
        return html
    html = with_alt_text(html, nbformat.read(source, as_version=4))
    # mkdocs-jupyter makes the table of contents from the Markdown, where a heading with
    # code ("A `Sequential` model") loses that word in its anchor and its title; the page's
    # headings keep it. Both list the notebook's headings in order: take each from the page.
    items, found = list(_flatten(page.toc)), headings(html)
    if len(items) == len(found):
        for item, (anchor, title) in zip(items, found, strict=True):
            item.id, item.title = anchor, title
    return html
