"""dechaff: clean, deduplicated, audited text corpora from scraped pages.

Single-document API (no corpus state, deterministic)::

    import dechaff
    dechaff.clean_html(html, url=None) -> str   # main content, paragraphs separated by a blank line
    dechaff.clean_text(text) -> str             # extracted page text without its chrome lines

The corpus pipeline (readers -> chrome -> boilerplate -> dedup -> writers) is in :mod:`dechaff.pipeline`;
the Prefect flows that run it live outside this package (``flows/``).
"""

from dechaff.chrome import clean_text
from dechaff.extract import clean_html

__version__ = "0.1.0"
__all__ = ["clean_html", "clean_text", "__version__"]
