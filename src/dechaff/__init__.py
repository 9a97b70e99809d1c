"""dechaff: clean, deduplicated, audited text corpora from scraped pages.

Single-document API (no corpus state, deterministic)::

    import dechaff
    dechaff.clean_html(html, url=None) -> str   # main content, paragraphs separated by a blank line
    dechaff.clean_text(text) -> str             # extracted page text without its chrome lines

A whole run, without Prefect (the same steps as ``dechaff run``)::

    summary = dechaff.run("raw", "clean", keep_comments=True, dedup={"jaccard": 0.5})

A folder per stage, I/O below cleaning: ``readers`` (decode, containers) -> ``html`` (block engine) and
``chrome`` (line engine) -> ``boilerplate`` (site templates) -> ``dedup`` -> ``store`` (schemas, atomic
writes, manifest); ``pipeline`` chains them (plan, shard, finalize; ``dechaff.run`` below is its runner),
``rules`` registers every rule, ``explain`` shows a document's removals. The Prefect flows that run it live outside this package (``flows/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dechaff.pipeline import RunSummary

from dechaff.chrome import clean_text
from dechaff.html import clean_html

__version__ = "0.1.0"
__all__ = ["clean_html", "clean_text", "run", "__version__"]


def run(raw_dir: str | Path = "raw", out_dir: str | Path = "clean", *, config: str | Path | None = None,
        **settings: object) -> RunSummary:
    """Clean the inputs under ``raw_dir`` not ingested yet into ``out_dir``, deduplicated against what
    is there already, and return the run's summary (``.to_dict()``, ``.lines()``). Settings are the keys
    of ``dechaff.toml`` (``dedup`` a dict of the ``[dedup]`` keys); ``config`` names a TOML file to start
    from (none is read otherwise). Raises ``ConfigError`` for a bad setting, ``OutputLocked`` when
    another run holds ``out_dir``."""
    from dataclasses import replace

    from dechaff.config import Config
    from dechaff.pipeline import run_local

    cfg = Config.load(Path(config)) if config is not None else Config()
    if settings:
        merged = Config.from_settings(settings)
        given = {k: getattr(merged, k) for k in settings}
        for section in ("dedup", "parquet"):  # (a section given in part keeps the file's other keys)
            if section in settings:
                given[section] = replace(getattr(cfg, section), **dict(settings[section]))  # type: ignore[arg-type]
        cfg = replace(cfg, **given)
    return run_local(Path(raw_dir), Path(out_dir), cfg)
