"""Run configuration: defaults, overridden by ``dechaff.toml`` (or ``--config FILE``), then by CLI flags.

Example ``dechaff.toml``::

    keep_comments = false          # keep reader comment threads (comment forms always go)
    boilerplate_min_docs = 5       # a site template recurs in this many different documents of one site
    chrome_patterns = ["my_patterns.txt"]   # extra pattern files, same format as the built-in one
    shard_mb = 64                  # raw bytes per processing task
    max_decompressed_mb = 2048     # gzip inputs expanding past this are rejected (gzip bombs)
    lock_wait_seconds = 0          # how long a second run waits for the output directory

    [dedup]
    jaccard = 0.4                  # verified resemblance (word 3-gram sets) that makes a duplicate...
    min_share = 0.6                # ...when this share of the later paragraph is in the earlier one
    containment = 0.8              # share of a later paragraph found inside an earlier one
    min_words = 5                  # shorter paragraphs are never deduplicated
    doc_share = 0.5                # more than this share of a document copied from one earlier document
    keep = "earliest"              # which copy stays: "earliest", or "longest" (a later, longer copy
                                   # replaces the kept one, also in the output of earlier runs)

    [parquet]                      # the columns of Parquet inputs (these are the defaults)
    text = "text"                  # the document's text (or html = "html": its markup)
    id = "id"                      # optional: id, url, title, site
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from dechaff.dedup import DedupParams
from dechaff.readers import ParquetColumns


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Config:
    keep_comments: bool = False
    boilerplate_min_docs: int = 5
    chrome_patterns: tuple[str, ...] = ()
    shard_mb: float = 64.0
    max_shard_files: int = 2000
    max_decompressed_mb: int = 2048
    lock_wait_seconds: float = 0.0
    dedup: DedupParams = field(default_factory=DedupParams)
    parquet: ParquetColumns = field(default_factory=ParquetColumns)

    def __post_init__(self) -> None:
        if isinstance(self.boilerplate_min_docs, bool) or not isinstance(self.boilerplate_min_docs, int) \
                or self.boilerplate_min_docs < 2:
            raise ConfigError(f"boilerplate_min_docs = {self.boilerplate_min_docs!r}: a whole number of at least 2 "
                              "(a text in one document is no template; 1 would remove every page's text)")

    @property
    def max_decompressed_bytes(self) -> int:
        return int(self.max_decompressed_mb) << 20

    @classmethod
    def from_settings(cls, settings: dict, origin: str = "settings", base: Path = Path(".")) -> Config:
        """A configuration from a mapping shaped like ``dechaff.toml`` (``dedup`` a mapping of its own);
        ``chrome_patterns`` paths are taken relative to ``base``."""
        data = dict(settings)
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"{origin}: unknown setting(s) {', '.join(sorted(unknown))}")
        dd = dict(data.pop("dedup", None) or {})
        dknown = {f.name for f in fields(DedupParams)}
        if set(dd) - dknown:
            raise ConfigError(f"{origin}: unknown [dedup] setting(s) {', '.join(sorted(set(dd) - dknown))}")
        pq = dict(data.pop("parquet", None) or {})
        pknown = {f.name for f in fields(ParquetColumns)}
        bad = {k for k, v in pq.items() if k not in pknown or not isinstance(v, str) or not v}
        if bad:
            raise ConfigError(f"{origin}: [parquet] {', '.join(sorted(bad))}: the keys are {', '.join(sorted(pknown))}, "
                              "each a column name")
        if "chrome_patterns" in data:
            data["chrome_patterns"] = tuple(str(base / p) for p in data["chrome_patterns"])
        try:
            dedup = replace(DedupParams(), **dd)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{origin}: [dedup] {e}") from None
        return cls(**data, dedup=dedup, parquet=ParquetColumns(**pq))

    @classmethod
    def load(cls, path: Path | None = None, **overrides: object) -> Config:
        data: dict = {}
        if path is None and Path("dechaff.toml").exists():
            path = Path("dechaff.toml")
        if path is not None:
            try:
                data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as e:
                raise ConfigError(f"cannot read configuration {path}: {e}") from None
        cfg = cls.from_settings(data.get("dechaff", data), origin=str(path),
                                base=Path(path).parent if path else Path("."))
        over = {k: v for k, v in overrides.items() if v is not None}
        return replace(cfg, **over) if over else cfg
