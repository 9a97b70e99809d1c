"""What the boilerplate stage carries from run to run: counts, templates found, document profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from dechaff.boilerplate.keys import BoilerplateCounts
from dechaff.boilerplate.profile import Profile


# ---------------------------------------------------------------------------------------- state
@dataclass
class BoilerplateState:
    """What the boilerplate stage carries from run to run (see the module docstring)."""

    counts: BoilerplateCounts
    templates: dict[int, str]  # key -> the evidence that made it a template
    profiles: list[Profile]

    @classmethod
    def empty(cls) -> BoilerplateState:
        return cls(BoilerplateCounts(), {}, [])

    @classmethod
    def load(cls, counts: Path | None, templates: Path | None, profiles: Path | None) -> BoilerplateState:
        st = cls(BoilerplateCounts.load(counts), {}, [])
        if templates is not None and Path(templates).exists():
            df = pl.read_parquet(templates)
            st.templates = dict(zip(df["key"].cast(pl.UInt64).to_list(), df["evidence"].to_list(), strict=True))
        if profiles is not None and Path(profiles).exists():
            for row in pl.read_parquet(profiles).iter_rows():
                doc_id, site, n_pairs, head, head_short, tail, tail_short, short, sketch = row
                st.profiles.append(Profile(doc_id, site, head, head_short, tail, tail_short, short,
                                           np.frombuffer(sketch, np.dtype("<u4")).astype(np.uint32), n_pairs))
        return st

    def templates_frame(self) -> pl.DataFrame:
        return pl.DataFrame({"key": pl.Series(list(self.templates), dtype=pl.UInt64),
                             "evidence": pl.Series(list(self.templates.values()), dtype=pl.String)})

    def profiles_frame(self) -> pl.DataFrame:
        """One row per document; keys and sketches as little-endian arrays in binary columns (one value
        a row would cost a hundred rows a document; nested lists are slow to build)."""
        ps = self.profiles
        return pl.DataFrame({
            "doc_id": pl.Series([p.doc_id for p in ps], dtype=pl.String),
            "site": pl.Series([p.site for p in ps], dtype=pl.String),
            "n_pairs": pl.Series([p.n_pairs for p in ps], dtype=pl.Int64),
            "head": pl.Series([p.head_keys for p in ps], dtype=pl.Binary),
            "head_short": pl.Series([p.head_short for p in ps], dtype=pl.Binary),
            "tail": pl.Series([p.tail_keys for p in ps], dtype=pl.Binary),
            "tail_short": pl.Series([p.tail_short for p in ps], dtype=pl.Binary),
            "short": pl.Series([p.short_keys for p in ps], dtype=pl.Binary),
            "sketch": pl.Series([p.sketch.astype("<u4").tobytes() for p in ps], dtype=pl.Binary),
        })
