"""``detect``: the site templates of a batch of documents, judged with every copy seen so far.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dechaff.boilerplate.keys import BoilerplateCounts
from dechaff.boilerplate.profile import Profile, near_duplicates, observe_ahead, profile_of, units_of
from dechaff.boilerplate.state import BoilerplateState
from dechaff.model import BOILERPLATE, KEEP, Decision, Document
from dechaff.rules import BOILERPLATE_TEMPLATE

RULE = BOILERPLATE_TEMPLATE

# ---------------------------------------------------------------------------------------- detect
class _Clusters:
    """Counts the different documents (near-duplicates counted once) among the profiles that hold a
    text, stopping at ``need``; remembers the document pairs it compared."""

    def __init__(self, need: int) -> None:
        self.need = need
        self._near: dict[tuple[int, int], bool] = {}

    def count(self, members: list[tuple[int, Profile]]) -> tuple[int, list[str]]:
        leaders: list[tuple[int, Profile]] = []
        for i, p in members:
            for j, q in leaders:
                pair = (j, i)
                near = self._near.get(pair)
                if near is None:
                    near = self._near[pair] = near_duplicates(p, q)
                if near:
                    break
            else:
                leaders.append((i, p))
                if len(leaders) >= self.need:
                    break
        return len(leaders), [p.doc_id for _, p in leaders]


def _judge(keys: set[int], witnesses: list[Profile], counts: BoilerplateCounts, min_docs: int,
           sites: dict[int, str]) -> dict[int, str]:
    """Which of ``keys`` (texts of this run's documents seen in ``min_docs`` documents or more) are
    templates, with the evidence; the witnesses are the profiles (earlier runs' and this run's, in order)
    that hold one of ``keys`` at their edges or as a short line: no other profile can count for one."""
    profiles = witnesses
    if not keys:
        return {}
    # every text seen in min_docs documents may extend a run of template lines (only a profile's own
    # lines are asked about, so the witnesses' lines are all the texts needed)
    le = np.dtype("<u8")
    flat = np.concatenate([np.zeros(0, np.uint64), *(np.frombuffer(b, le) for p in profiles
                                                     for b in (p.head_keys, p.tail_keys))]).astype(np.uint64)
    known = flat[counts.lookup(flat) >= min_docs] if len(flat) else flat
    repeated = set(known.tolist())
    edge: dict[int, list[tuple[int, Profile]]] = {}  # text -> the documents it opens or closes
    n_start: Counter = Counter()
    n_end: Counter = Counter()
    short: dict[int, list[tuple[int, Profile]]] = {}
    for i, p in enumerate(profiles):
        start, end = p.edge_keys(repeated)
        for k in (start | end) & keys:
            edge.setdefault(k, []).append((i, p))
            n_start[k] += k in start
            n_end[k] += k in end
        for k in keys.intersection(p.short):
            short.setdefault(k, []).append((i, p))
    clusters = _Clusters(min_docs)
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
        keys: list[np.ndarray] = []
        sites: list[np.ndarray] = []
        for doc in docs:
            k = np.fromiter(set(doc.unit_keys) - {0}, dtype=np.uint64)  # type: ignore[arg-type]
            keys.append(k)
            sites.append(np.full(len(k), self.site_names.setdefault(doc.site, len(self.site_names)), np.int32))
        self.profiles.add(profile_of(doc) for doc in docs)
        self.keys.append(np.concatenate([np.zeros(0, np.uint64), *keys]))  # one array a batch
        self.site_of.append(np.concatenate([np.zeros(0, np.int32), *sites]))

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
        # the site of a text: that of the last document holding it
        names = list(self.site_names)
        rev_keys = all_keys[::-1]
        uniq, first = np.unique(rev_keys, return_index=True)
        wanted = np.isin(uniq, todo_keys)
        sites = {int(k): names[all_sites[::-1][i]] for k, i in zip(uniq[wanted], first[wanted], strict=True)}
        witnesses = self.profiles.touching(todo_keys) if todo else []
        new_state.templates.update(_judge(todo, witnesses, counts, min_docs, sites))
        return new_state


def mark(docs: Sequence[Document], templates: dict[int, str]) -> int:
    """Every copy of a template in ``docs`` removed (in place); returns the removals."""
    if not templates:
        return 0
    removed = 0
    for doc in docs:
        if doc.unit_keys is not None and templates.keys().isdisjoint(doc.unit_keys):
            continue  # (its units' keys, as the shard step computed them: none is a template)
        for u in units_of(doc):
            ev = templates.get(u.key)
            if ev is None:
                continue
            p = u.para
            d = Decision.drop(BOILERPLATE, RULE, ev)
            if u.line is None:
                if p.decision.keep:
                    p.decision = d
                    removed += 1
            elif p.decision.keep:
                if p.line_decisions is None:
                    p.line_decisions = [KEEP] * len(p.lines)
                if p.line_decisions[u.line].keep:
                    p.line_decisions[u.line] = d
                    removed += 1
                if all(not x.keep for x in p.line_decisions):
                    p.decision, p.line_decisions = d, None
    return removed
