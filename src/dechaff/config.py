"""Run configuration: defaults, overridden by ``dechaff.toml`` (or ``--config FILE``), then by CLI flags.

Example ``dechaff.toml``::

    keep_comments = false          # keep reader comment threads (comment forms always go)
    boilerplate_min_docs = 5       # a site template recurs in this many different documents of one site
    chrome_patterns = ["my_patterns.txt"]   # extra pattern files, same format as the built-in one
    shard_mb = 64                  # raw bytes per processing task (a larger plain JSONL is cut into pieces of this)
    max_decompressed_mb = 2048     # a JSONL line or a WARC record longer than this is rejected
    lock_wait_seconds = 0          # how long a second run waits for the output directory
    rehash_inputs = false          # true: hash every input again, even those whose path, size and
                                   # mtime are in the ledger (a file rewritten with its old mtime)
    band_threads = "auto"          # threads that hold the dedup index's band tables in the finalize
                                   # step and do its lookups while it works: "auto" = 2 when the
                                   # process may use two cores or more, else 0 (none); any number >= 0

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

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dechaff.dedup.types import DedupParams
from dechaff.readers import ParquetColumns


class ConfigError(Exception):
    pass


# ---------------------------------------------------------------------------------------- checking
# One pydantic model per section: types (strict: "yes" is not a boolean, "high" not a number), ranges
# and the allowed values, so a bad setting is refused before any work, naming the key, the value and
# what is allowed.
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity: ``taskset``, a cgroup's cpuset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # (not on every platform)
        return os.cpu_count() or 1


class _TopSettings(_Strict):
    keep_comments: bool = False
    boilerplate_min_docs: int = Field(5, ge=2, description="a text in one document is no template")
    chrome_patterns: list[str] = []
    shard_mb: float = Field(64.0, gt=0)
    max_shard_files: int = Field(2000, ge=1)
    max_decompressed_mb: int = Field(2048, ge=1)
    lock_wait_seconds: float = Field(0.0, ge=0)
    rehash_inputs: bool = False
    band_threads: Literal["auto"] | int = "auto"

    @field_validator("band_threads", mode="before")
    @classmethod
    def _auto_or_count(cls, v: object) -> object:
        if v != "auto" and not (type(v) is int and 0 <= v <= 64):
            raise ValueError('"auto" or a whole number from 0 to 64')
        return v


class _DedupSettings(_Strict):
    num_perm: int = Field(128, ge=8, le=1024)
    bands: int = Field(42, ge=1)
    rows: int = Field(3, ge=1)
    seed: int = Field(1, ge=0)
    ngram: int = Field(3, ge=1, le=10)
    short_words: int = Field(8, ge=0)
    short_ngram: int = Field(1, ge=1, le=10)
    min_words: int = Field(5, ge=1)
    jaccard: float = Field(0.4, gt=0, le=1)
    min_share: float = Field(0.6, ge=0, le=1)
    containment: float = Field(0.8, gt=0, le=1)
    min_containment_shingles: int = Field(6, ge=1)
    bucket_cap: int = Field(16, ge=1)
    max_chars: int = Field(1_000_000, ge=1000)
    doc_share: float = Field(0.5, ge=0, lt=1)
    scheme: Literal["affine32"] = "affine32"
    keep: Literal["earliest", "longest"] = "earliest"

    @model_validator(mode="after")
    def _bands_fit(self) -> _DedupSettings:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows ({self.bands} x {self.rows}) must be at most num_perm ({self.num_perm})")
        return self


class _ParquetSettings(_Strict):
    text: str = Field("text", min_length=1)
    html: str = Field("html", min_length=1)
    id: str = Field("id", min_length=1)
    url: str = Field("url", min_length=1)
    title: str = Field("title", min_length=1)
    site: str = Field("site", min_length=1)


def _check(model: type[BaseModel], data: dict, origin: str, section: str) -> dict:
    try:
        return model.model_validate(data).model_dump(exclude_unset=True)
    except ValidationError as e:
        msgs = []
        for err in e.errors():
            key = ".".join(str(x) for x in (section, *err["loc"]) if x) or section
            if err["type"] == "extra_forbidden":
                allowed = ", ".join(model.model_fields)
                msgs.append(f"unknown setting {key} (the {section or 'top-level'} settings are {allowed})")
            else:
                shown = f" = {err['input']!r}" if err["loc"] else ""
                msgs.append(f"{key}{shown}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError(f"{origin}: {'; '.join(msgs)}") from None



@dataclass(frozen=True)
class Config:
    """The settings of a run, checked (see :meth:`from_settings`)."""

    keep_comments: bool = False
    boilerplate_min_docs: int = 5
    chrome_patterns: tuple[str, ...] = ()
    shard_mb: float = 64.0
    max_shard_files: int = 2000
    max_decompressed_mb: int = 2048
    lock_wait_seconds: float = 0.0
    rehash_inputs: bool = False  # hash every input, also those whose path, size and mtime the ledger knows
    band_threads: int | str = "auto"  # the finalize step's band-table threads ("auto": see band_thread_count)
    dedup: DedupParams = field(default_factory=DedupParams)
    parquet: ParquetColumns = field(default_factory=ParquetColumns)

    def __post_init__(self) -> None:
        # (direct construction, as tests and library callers do, is checked like a file's settings)
        top = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("dedup", "parquet")}
        top["chrome_patterns"] = list(self.chrome_patterns)
        _check(_TopSettings, top, "settings", "")
        _check(_DedupSettings, asdict(self.dedup), "settings", "dedup")

    @property
    def max_decompressed_bytes(self) -> int:
        return int(self.max_decompressed_mb) << 20

    def band_thread_count(self) -> int:
        """The threads that hold the index's band tables in the finalize step when no cluster does
        (``dechaff.dedup.bands.thread_shards``): ``band_threads``, or for "auto" 2 when this process may
        run on two cores or more (the finalize step is one process; its lookups then overlap its other
        work), else 0."""
        if self.band_threads != "auto":
            return int(self.band_threads)
        return 2 if usable_cores() >= 2 else 0

    @classmethod
    def from_settings(cls, settings: dict, origin: str = "settings", base: Path = Path(".")) -> Config:
        """A configuration from a mapping shaped like ``dechaff.toml`` (``dedup`` and ``parquet``
        mappings of their own): every key typed and range-checked, ``chrome_patterns`` files taken
        relative to ``base`` and required to exist. Raises :class:`ConfigError` naming the key, the
        value and what is allowed."""
        data = dict(settings)
        dd = data.pop("dedup", None) or {}
        pq = data.pop("parquet", None) or {}
        for name, section in (("dedup", dd), ("parquet", pq)):
            if not isinstance(section, dict):
                raise ConfigError(f"{origin}: {name} = {section!r}: a table of settings ([{name}])")
        top = _check(_TopSettings, data, origin, "")
        dd = _check(_DedupSettings, dd, origin, "dedup")
        pq = _check(_ParquetSettings, pq, origin, "parquet")
        if "chrome_patterns" in top:
            top["chrome_patterns"] = tuple(str(base / p) for p in top["chrome_patterns"])
            missing = [p for p in top["chrome_patterns"] if not Path(p).is_file()]
            if missing:
                raise ConfigError(f"{origin}: chrome_patterns: no such file {', '.join(missing)}")
        return cls(**top, dedup=replace(DedupParams(), **dd), parquet=ParquetColumns(**pq))

    @classmethod
    def load(cls, path: Path | None = None, **overrides: object) -> Config:
        """Settings from ``path``; without one, from ``./dechaff.toml``, else from ``[tool.dechaff]`` of
        ``./pyproject.toml``, else the defaults; then ``overrides`` (CLI values; None: not given)."""
        data: dict = {}
        if path is None:
            if Path("dechaff.toml").exists():
                path = Path("dechaff.toml")
            elif Path("pyproject.toml").exists() and "dechaff" in _toml(Path("pyproject.toml")).get("tool", {}):
                path = Path("pyproject.toml")
        if path is not None:
            data = _toml(Path(path))
            if Path(path).name == "pyproject.toml":
                data = data.get("tool", {}).get("dechaff", {})
        cfg = cls.from_settings(data.get("dechaff", data), origin=str(path or "settings"),
                                base=Path(path).parent if path else Path("."))
        over = {k: v for k, v in overrides.items() if v is not None}
        if not over:
            return cfg
        try:
            return replace(cfg, **over)
        except TypeError as e:
            raise ConfigError(f"settings: {e}") from None


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read configuration {path}: {e}") from None
