"""``detect``: the site templates of a batch of documents, judged with every copy seen so far.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

from dechaff.boilerplate.keys import BoilerplateCounts
from dechaff.boilerplate.profile import near_duplicates, observe_ahead, profile_of, units_of
from dechaff.boilerplate.state import BoilerplateState, Profiles, profiles_of
from dechaff.model import BOILERPLATE, KEEP, Decision, Document
from dechaff.rules import BOILERPLATE_TEMPLATE

RULE = BOILERPLATE_TEMPLATE

# ---------------------------------------------------------------------------------------- detect
@dataclass(slots=True)
class _Witness:
    """What judging keeps of a profile that holds a candidate template: who it is and its sketch (its
    edges are read once, as it streams by)."""

    doc_id: str
    sketch: np.ndarray
    n_pairs: int


class _Clusters:
    """Counts the different documents (near-duplicates counted once) among the witnesses that hold a
    text, stopping at ``need``; remembers the document pairs it compared."""

    def __init__(self, need: int, witnesses: list[_Witness]) -> None:
        self.need = need
        self.witnesses = witnesses
        self._near: dict[tuple[int, int], bool] = {}

    def count(self, members: list[int]) -> tuple[int, list[str]]:
        w = self.witnesses
        leaders: list[int] = []
        for i in members:
            for j in leaders:
                pair = (j, i)
                near = self._near.get(pair)
                if near is None:
                    near = self._near[pair] = near_duplicates(w[i], w[j])
                if near:
                    break
            else:
                leaders.append(i)
                if len(leaders) >= self.need:
                    break
        return len(leaders), [w[i].doc_id for i in leaders]


def _judge(keys: set[int], profiles: Profiles, counts: BoilerplateCounts, min_docs: int,
           sites: dict[int, str]) -> dict[int, str]:
    """Which of ``keys`` (texts of this run's documents seen in ``min_docs`` documents or more) are
    templates, with the evidence. The witnesses are the profiles (earlier runs' and this run's, in order)
    that hold one of ``keys`` at their edges or as a short line (no other can count for one): they are
    read as they stream by, and only their sketches are kept."""
    if not keys:
        return {}
    witnesses: list[_Witness] = []
    edge: dict[int, list[int]] = {}  # text -> the witnesses it opens or closes
    n_start: Counter = Counter()
    n_end: Counter = Counter()
    short: dict[int, list[int]] = {}
    le = np.dtype("<u8")
    for df in profiles.touching(np.fromiter(keys, dtype=np.uint64, count=len(keys))):
        batch = profiles_of(df)
        # a text seen in min_docs documents may extend a run of template lines (a profile is only asked
        # about its own lines)
        flat = np.concatenate([np.zeros(0, np.uint64), *(np.frombuffer(b, le) for p in batch
                                                         for b in (p.head_keys, p.tail_keys))]).astype(np.uint64)
        repeated = set(flat[counts.lookup(flat) >= min_docs].tolist()) if len(flat) else set()
        for p in batch:
            i = len(witnesses)
            witnesses.append(_Witness(p.doc_id, p.sketch, p.n_pairs))
            start, end = p.edge_keys(repeated)
            for k in (start | end) & keys:
                edge.setdefault(k, []).append(i)
                n_start[k] += k in start
                n_end[k] += k in end
            for k in keys.intersection(p.short):
                short.setdefault(k, []).append(i)
    clusters = _Clusters(min_docs, witnesses)
    found: dict[int, str] = {}
    for k in sorted(keys):
        site = sites.get(k) or "(raw root)"
        n, ids = clusters.count(edge.get(k, []))
        if n >= min_docs:
            ns, ne = n_start[k], n_end[k]
            where = " and ".join(x for x in (f"opens {ns}" if ns else "", f"closes {ne}" if ne else "") if x)
            found[k] = (f"template of site {site}: {where} documents, at least {n} of them different pages "
                        f"({', '.join(ids[:3])}...)")
            continue
        if len(short.get(k, ())) >= min_docs:
            n, ids = clusters.count(short[k])
            if n >= min_docs:
                found[k] = (f"template of site {site}: a short line in {len(short[k])} documents, at least {n} "
                            f"of them different pages ({', '.join(ids[:3])}...)")
    return found


def detect(docs: Sequence[Document], state: BoilerplateState, min_docs: int) -> tuple[BoilerplateState, int]:
    """Count this run's documents into ``state``, find the templates among the texts they repeat, and
    mark every copy of a template in ``docs`` (in place). Returns the new state and the removals."""
    obs = Observer(state)
    obs.add(docs)
    new_state = obs.judge(min_docs)
    return new_state, mark(docs, new_state.templates)


class Observer:
    """The counting half of :func:`detect`, for a run handed over batch by batch (a shard at a time):
    ``add`` every batch in order, then ``judge`` once, then :func:`mark` every batch. The same templates
    as one ``detect`` over all the documents; what is held is the keys of its texts as arrays (12 bytes a
    key), not the documents; their profiles go to ``spool`` (when given) as they come, and only those
    that can witness a candidate template are read back to judge it."""

    def __init__(self, state: BoilerplateState, spool: Path | None = None) -> None:
        self.state = state
        self.keys: list[np.ndarray] = []  # every document's distinct text keys, in order...
        self.site_of: list[np.ndarray] = []  # ...and the site (a number into ``site_names``) they are of
        self.site_names: dict[str, int] = {}
        self.profiles = state.profiles.extended(spool)  # (this run's written to ``spool`` as they come)

    def add(self, docs: Sequence[Document]) -> None:
        """Count a batch of documents, from what :func:`observe_ahead` stored with them (the shard step
        does; for documents without it, it is done here, from their paragraphs)."""
        observe_ahead([d for d in docs if d.unit_keys is None or d.edges is None or d.sketch is None])
        site = np.array([self.site_names.setdefault(doc.site, len(self.site_names)) for doc in docs], np.int32)
        sizes = np.fromiter((len(doc.unit_keys) for doc in docs), dtype=np.int64, count=len(docs))  # type: ignore[arg-type]
        flat = np.fromiter(chain.from_iterable(doc.unit_keys for doc in docs), dtype=np.uint64,  # type: ignore[arg-type]
                           count=int(sizes.sum()))
        owner = np.repeat(np.arange(len(docs)), sizes)
        nonzero = flat != 0
        flat, owner = flat[nonzero], owner[nonzero]
        # each document's distinct keys (a key counts once a document), documents in order: one array a batch
        order = np.lexsort((flat, owner))
        flat, owner = flat[order], owner[order]
        first = np.ones(len(flat), dtype=bool)
        first[1:] = (flat[1:] != flat[:-1]) | (owner[1:] != owner[:-1])
        self.keys.append(flat[first])
        self.site_of.append(site[owner[first]])
        self.profiles.add(profile_of(doc) for doc in docs)

    def judge(self, min_docs: int) -> BoilerplateState:
        """The new state: counts and profiles with this run's, and the templates found among the texts
        this run repeats often enough (not known templates yet)."""
        state = self.state
        all_keys = np.concatenate([np.zeros(0, np.uint64), *self.keys])
        all_sites = np.concatenate([np.zeros(0, np.int32), *self.site_of])
        run_keys, n_docs = np.unique(all_keys, return_counts=True)
        counts = state.counts.merged_arrays(run_keys, n_docs.astype(np.uint32))
        new_state = BoilerplateState(counts, dict(state.templates), self.profiles)
        often = run_keys[counts.lookup(run_keys) >= min_docs] if len(run_keys) else run_keys
        todo = set(often.tolist()) - set(state.templates)
        todo_keys = np.fromiter(todo, dtype=np.uint64, count=len(todo))
        # the site of a text: that of the last document holding it (only the candidates' are looked up)
        names = list(self.site_names)
        at = np.flatnonzero(np.isin(all_keys, todo_keys))[::-1]
        uniq, first = np.unique(all_keys[at], return_index=True)
        sites = {int(k): names[all_sites[at[i]]] for k, i in zip(uniq.tolist(), first.tolist(), strict=True)}
        new_state.templates.update(_judge(todo, self.profiles, counts, min_docs, sites))
        return new_state


def mark(docs: Sequence[Document], templates: dict[int, str]) -> int:
    """Every copy of a template in ``docs`` removed (in place); returns the removals."""
    if not templates:
        return 0
    removed = 0
    for doc in docs:
        if doc.unit_keys is not None and templates.keys().isdisjoint(doc.unit_keys):
            continue  # (its units' keys, as the shard step computed them: none is a template)
        for p, line, key in units_of(doc):
            ev = templates.get(key)
            if ev is None:
                continue
            d = Decision.drop(BOILERPLATE, RULE, ev)
            if line is None:
                if p.decision.keep:
                    p.decision = d
                    removed += 1
            elif p.decision.keep:
                if p.line_decisions is None:
                    p.line_decisions = [KEEP] * len(p.lines)
                if p.line_decisions[line].keep:
                    p.line_decisions[line] = d
                    removed += 1
                if all(not x.keep for x in p.line_decisions):
                    p.decision, p.line_decisions = d, None
    return removed
