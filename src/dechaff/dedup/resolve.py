"""Resolution in ingestion order: which candidate a paragraph duplicates, the keep policy, whole
documents that copy another.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

import numpy as np

from dechaff.dedup.candidates import Candidates
from dechaff.dedup.shingle import Shingled
from dechaff.dedup.store import DedupIndex
from dechaff.dedup.types import DedupParams, Item
from dechaff.model import DUPLICATE, DUPLICATE_DOCUMENT, Decision
from dechaff.rules import DEDUP_CONTAINED, DEDUP_CONTAINMENT, DEDUP_DOCUMENT, DEDUP_EXACT, DEDUP_RESEMBLANCE

_MAX_COPIERS = 16


class Resolver:
    """Decides the chunk's eligible paragraphs in ingestion order, one document at a time.

    With keep = "longest", a paragraph that matches a kept one and is longer (or contains it) replaces
    it, once its own document is known not to be a duplicate document: the kept one becomes its
    duplicate — in this chunk directly, in earlier chunks and runs through the index (``retired``)."""

    def __init__(self, items: Sequence[Item], elig: np.ndarray, group: np.ndarray, reps: np.ndarray,
                 srow: np.ndarray, sub: Shingled, cand: Candidates, params: DedupParams,
                 index: DedupIndex) -> None:
        self.items, self.elig, self.group, self.reps = items, elig, group, reps
        self.srow, self.sub, self.cand, self.params = srow, sub, cand, params
        self.index = index
        self.longest = params.keep == "longest"
        self.kept = [True] * len(elig)  # (a list: cheaper than a numpy array item by item)
        self.was_replaced = np.zeros(len(elig), dtype=bool)
        self.kept_first: dict[int, int] = {}  # text group -> its first kept row
        self.replaced_group: dict[int, int] = {}  # text group -> its row that a longer copy replaced
        self.replaced_rows: dict[int, tuple[int, str, float]] = {}  # row -> (replacing row, rule, sim)
        self.retired_now: dict[int, tuple[int, str, float]] = {}  # index entry -> (replacing row, ...)
        self.copies: list[tuple[int, int, str]] = []  # duplicate documents (items i:j) and what they copy
        self.doc_range: dict[str, tuple[int, int]] = {}  # the chunk's documents: doc_id -> items i:j
        # kept paragraph -> kept documents that had a duplicate of it (earlier runs / this chunk)
        self.old_copiers: dict[tuple[str, int], list[str]] = {}
        self.local_copiers: dict[tuple[str, int], list[str]] = {}
        self.checked = cand.checked  # every candidate pair is verified (in find_candidates)
        # what each verified pair says, read from the query's side (forward) and, for pairs of this
        # chunk, from the target's side (a later copy of the target meets the query as a back candidate)
        size = np.diff(sub.offsets)
        code_f, sim_f = _verdicts(cand.inter, size[cand.cq], cand.tsize, params, self.longest)
        code_b = np.zeros(len(cand.cq), dtype=np.int8)  # (index entries are never back candidates)
        sim_b = np.zeros(len(cand.cq), dtype=np.float64)
        new = np.flatnonzero(~cand.is_old)
        code_b[new], sim_b[new] = _verdicts(cand.inter[new], size[cand.tgt[new]], size[cand.cq[new]], params,
                                            self.longest)
        # a paragraph's candidates that verify, best first: own[ooff[s]:ooff[s + 1]]
        own = np.flatnonzero(code_f > 0)
        ooff = np.searchsorted(own, cand.coff)
        self.own_l, self.ooff, self.n_own = own.tolist(), ooff.tolist(), np.diff(ooff)
        # plain lists: indexing them is several times cheaper than numpy scalars
        self.cq_l, self.is_old_l, self.tgt_l = cand.cq.tolist(), cand.is_old.tolist(), cand.tgt.tolist()
        self.score_l, self.order_l = cand.score.tolist(), cand.order.tolist()
        self.code_f, self.sim_f = code_f.tolist(), sim_f.tolist()
        self.code_b, self.sim_b = code_b, sim_b
        self.srow_l = srow.tolist()
        self.reps_l, self.group_l, self.elig_l = reps.tolist(), group.tolist(), elig.tolist()
        self._rev: tuple[list[int], list[int], list[int]] | None = None  # back candidates (built when needed)
        self._code_b_l: list[int] = []
        self._sim_b_l: list[float] = []

    # ---------------------------------------------------------------- targets
    def _row_target(self, r: int) -> tuple[str, int, int]:
        """(doc, paragraph, row) of what stands for row ``r`` now (itself, or what replaced it)."""
        while r in self.replaced_rows:
            r = self.replaced_rows[r][0]
        it = self.items[self.elig_l[r]]
        return it.doc_id, it.paragraph_index, r

    def _exact_hit(self, e: int, finals: dict[int, int], g: int) -> tuple | None:
        """An exact copy of index entry ``e``, or, with e < 0, of the row of group ``g`` that a longer
        copy replaced (run() resolves the plain case, a kept earlier row of the group, itself)."""
        if e >= 0:
            if e in self.retired_now:
                doc, para, r = self._row_target(self.retired_now[e][0])
                od, op, _ = self.cand.old_meta[e]
                return doc, para, DEDUP_EXACT, 1.0, ("row", r), f"of {od} paragraph {op}, since replaced by"
            f = finals[e]
            if f in self.retired_now:
                doc, para, r = self._row_target(self.retired_now[f][0])
                od, op, _ = self.cand.old_meta[e]
                return doc, para, DEDUP_EXACT, 1.0, ("row", r), f"of {od} paragraph {op}, since replaced by"
            doc, para, _ = self.cand.old_meta[f]
            if f != e:
                od, op, _ = self.cand.old_meta[e]
                return doc, para, DEDUP_EXACT, 1.0, ("old", f), f"of {od} paragraph {op}, since replaced by"
            return doc, para, DEDUP_EXACT, 1.0, ("old", e), ""
        if g in self.replaced_group:
            first = self.items[self.elig_l[self.replaced_group[g]]]
            doc, para, r = self._row_target(self.replaced_group[g])
            return (doc, para, DEDUP_EXACT, 1.0, ("row", r),
                    f"of {first.doc_id} paragraph {first.paragraph_index}, since replaced by")
        return None

    # ---------------------------------------------------------------- resolution
    def run(self, old_exact: np.ndarray, finals: dict[int, int], decisions: list[Decision]) -> None:
        items = self.items
        elig, group = self.elig, self.group
        elig_l, group_l, old_l = self.elig_l, self.group_l, old_exact.tolist()
        n, n_rows = len(items), len(elig_l)
        # the documents: items dstart:dend, their eligible rows rstart:rend
        doc_ids = [it.doc_id for it in items]
        ids = np.array(doc_ids, dtype=object)
        new_doc = np.ones(n, dtype=bool)
        new_doc[1:] = ids[1:] != ids[:-1]
        dstart = np.flatnonzero(new_doc)
        dend = np.append(dstart[1:], n)
        rstart, rend = np.searchsorted(elig, dstart), np.searchsorted(elig, dend)
        lens = np.fromiter((len(items[k].text) for k in elig_l), dtype=np.int64, count=n_rows)
        row_doc = np.repeat(np.arange(len(dstart)), rend - rstart)
        total_l = np.bincount(row_doc, weights=lens, minlength=len(dstart)).astype(np.int64).tolist()
        n_elig_l = (rend - rstart).tolist()
        dstart_l, dend_l, rstart_l, rend_l = dstart.tolist(), dend.tolist(), rstart.tolist(), rend.tolist()
        self.doc_range = {doc_ids[a]: (a, b) for a, b in zip(dstart_l, dend_l, strict=True)}
        # rows that can match something: exact copies of an index entry, later occurrences of a text in
        # the chunk, rows with a verified candidate. Every other row is the first occurrence of its text with
        # nothing to match: it is kept, and nothing earlier can depend on it, so it is recorded up front.
        need = old_exact >= 0
        rows = np.flatnonzero(self.srow >= 0)
        s = self.srow[rows]
        need[rows] |= (self.n_own[s] > 0) | (self.reps[s] != rows)
        trivial = np.flatnonzero(~need)
        self.kept_first.update(zip(group[trivial].tolist(), trivial.tolist(), strict=True))
        irows = np.flatnonzero(need)
        ioff, iend = np.searchsorted(irows, rstart).tolist(), np.searchsorted(irows, rend).tolist()
        irows_l = irows.tolist()
        doc_share = self.params.doc_share
        lens_l = lens.tolist()
        kept, kept_first, replaced_group = self.kept, self.kept_first, self.replaced_group
        for d in range(len(dstart_l)):
            if ioff[d] == iend[d]:
                continue
            doc_id = doc_ids[dstart_l[d]]
            matches: list[tuple[str, int, int]] = []
            matched_len = 0
            pending: dict[int, tuple] = {}  # keep = "longest": row -> the shorter kept match it replaces
            for r in irows_l[ioff[d]: iend[d]]:
                k = elig_l[r]
                g = group_l[r]
                e = old_l[r]
                if e < 0 and (tr := kept_first.get(g)) is not None:  # an exact copy of a kept row
                    it = items[elig_l[tr]]
                    hit = it.doc_id, it.paragraph_index, DEDUP_EXACT, 1.0, ("row", tr), ""
                elif e >= 0 or g in replaced_group:
                    hit = self._exact_hit(e, finals, g)
                else:
                    hit = self._near(r)
                if hit is None:
                    kept_first[g] = r
                else:
                    tdoc, tpara, rule, sim, target, via = hit
                    if self.longest and rule != DEDUP_EXACT and self._longer(k, target, rule, sim):
                        pending[r] = hit  # stays kept; replaces the target if its document stays
                        kept_first[g] = r
                    else:
                        kept[r] = False
                        name = _RULE_NAMES[rule]
                        ev = (f"{name} {via} {tdoc} paragraph {tpara}" if via else
                              f"{name} {sim:.3f} with {tdoc} paragraph {tpara}")
                        # (positional: the hottest line of the loop)
                        decisions[k] = Decision(False, DUPLICATE, rule, ev, tdoc, int(tpara), round(sim, 4))
                    if tdoc != doc_id:
                        ln = lens_l[r]
                        matches.append((tdoc, int(tpara), ln))
                        matched_len += ln
            # (no earlier document can hold more of it than all its matches together)
            is_copy = (min(matched_len / total_l[d], len(matches) / n_elig_l[d]) > doc_share
                       and self._document(dstart_l[d], dend_l[d], rstart_l[d], rend_l[d], matches,
                                          total_l[d], n_elig_l[d], decisions, pending))
            if not is_copy:
                for tdoc, tpara, _ in matches:  # a kept document: it holds copies of these paragraphs
                    self.local_copiers.setdefault((tdoc, tpara), []).append(doc_id)
                for rr, hit in pending.items():
                    self._replace(rr, hit, decisions)

    def _longer(self, k: int, target: tuple[str, int], rule: str, sim: float) -> bool:
        """keep = "longest": does item ``k`` replace its match (a longer text, or one containing it)?"""
        if rule == DEDUP_CONTAINED:
            return True
        kind, t = target
        # (a row of the chunk, or an index entry: a row of ``old_ids``)
        other = self.items[self.elig_l[t]].text if kind == "row" else self.cand.old_meta.of_row(t)[2]
        return len(self.items[k].text) > len(other)

    def _replace(self, r: int, hit: tuple, decisions: list[Decision]) -> None:
        """Row ``r`` (kept) replaces the shorter paragraph it matched."""
        _tdoc, _tpara, rule, sim, (kind, t), _via = hit
        rule = DEDUP_CONTAINMENT if rule == DEDUP_CONTAINED else rule
        if kind == "row":
            if not self.kept[t]:
                return  # another paragraph of this document replaced it already
            self.kept[t] = False
            self.was_replaced[t] = True
            self.replaced_rows[t] = (r, rule, sim)
            g = self.group_l[t]
            if self.kept_first.get(g) == t:
                del self.kept_first[g]
                self.replaced_group[g] = t
            decisions[self.elig_l[t]] = self.replacement_decision(r, rule, sim)
        else:
            e = int(self.cand.old_ids[t]) if kind == "osh" else t
            if e not in self.retired_now:
                self.retired_now[e] = (r, rule, sim)

    def replacement_decision(self, r: int, rule: str, sim: float) -> Decision:
        it = self.items[self.elig_l[r]]
        doc, para = it.doc_id, it.paragraph_index
        return Decision.drop(DUPLICATE, rule, f"replaced by a longer copy: {rule.split('.')[1]} {sim:.3f} with "
                             f"{doc} paragraph {para}", duplicate_of_doc=doc, duplicate_of_paragraph=int(para),
                             similarity=round(sim, 4))

    def _document(self, i: int, j: int, r0: int, r1: int, matches: list[tuple[str, int, int]],
                  total: int, n_elig: int, decisions: list[Decision], pending: dict[int, tuple]) -> bool:
        """Whether items i:j are mostly a copy of one earlier document. A paragraph counts for the
        document it matched and for every kept document that had a duplicate of the same paragraph
        (a copy of a copy matches whichever copy was kept first), unless more than ``_MAX_COPIERS``
        did. "Mostly" must hold both by paragraphs
        and by text length, so one long copied quote does not make a whole article a copy."""
        doc_id = self.items[i].doc_id
        dup_len: dict[str, int] = {}
        dup_n: dict[str, int] = {}
        for tdoc, _tpara, ln in matches:  # (matches are in other documents)
            if tdoc in dup_n:
                dup_n[tdoc] += 1
                dup_len[tdoc] += ln
            else:
                dup_n[tdoc] = 1
                dup_len[tdoc] = ln
        direct = dict(dup_n)
        oc, lc = self.old_copiers, self.local_copiers
        if oc or lc:
            for tdoc, tpara, ln in matches:
                key = (tdoc, tpara)
                if key in oc or key in lc:
                    more = [*oc.get(key, ()), *lc.get(key, ())]
                    if len(more) > _MAX_COPIERS:  # a paragraph copied everywhere (a template) says little
                        continue
                    for c in set(more) - {tdoc, doc_id}:
                        dup_len[c] = dup_len.get(c, 0) + ln
                        dup_n[c] = dup_n.get(c, 0) + 1
        tdoc = (next(iter(dup_n)) if len(dup_n) == 1 else
                max(dup_len, key=lambda t: (dup_n[t], direct.get(t, 0), dup_len[t], t)))
        share = min(dup_len[tdoc] / total, dup_n[tdoc] / n_elig)
        if share <= self.params.doc_share:  # "mostly": more than half, by count and by length
            return False
        ev = (f"{dup_n[tdoc]} of {n_elig} paragraphs ({dup_len[tdoc] / total:.0%} of the text) "
              f"duplicate {tdoc}")
        self.copies.append((i, j, tdoc))
        row_of_item = {self.elig_l[r]: r for r in range(r0, r1)} if pending else {}
        for k in range(i, j):
            d = decisions[k]
            hit = pending.get(row_of_item.get(k, -1))
            if hit is not None:  # a longer copy that would have replaced its match: it points at it
                d = Decision.drop(DUPLICATE, "", "", duplicate_of_doc=hit[0], duplicate_of_paragraph=int(hit[1]),
                                  similarity=round(hit[3], 4))
            # a paragraph keeps its own verified match (which may be in another document);
            # the others point at the document this one copies
            matched = d.duplicate_of_paragraph is not None
            decisions[k] = (Decision(False, DUPLICATE_DOCUMENT, DEDUP_DOCUMENT, ev, d.duplicate_of_doc,
                                     d.duplicate_of_paragraph, d.similarity, tdoc) if matched else
                            Decision(False, DUPLICATE_DOCUMENT, DEDUP_DOCUMENT, ev, tdoc, None, round(share, 4),
                                     tdoc))
        for r in range(r0, r1):
            if self.kept[r]:
                self.kept[r] = False
                g = self.group_l[r]
                if self.kept_first.get(g) == r:
                    del self.kept_first[g]
        return True

    def _candidate_list(self, r: int) -> list[int]:
        """The verified candidates of row ``r``, best first: indices into the candidate arrays, ``~c``
        (negative) for a back candidate ``c``, whose target is its query paragraph."""
        s = self.srow_l[r]
        own = self.own_l[self.ooff[s]: self.ooff[s + 1]]
        if self.reps_l[s] == r:
            return own
        # a later occurrence of the same text: also the paragraphs after the first occurrence (and
        # before this one) that had the first occurrence as a verified candidate
        if self._rev is None:
            # back candidates by target: those of target s are idx[off[s]:off[s + 1]], in the order of
            # their query (stable sort of candidates sorted by query), so their query rows ascend too
            cand = self.cand
            new = np.flatnonzero(self.code_b > 0)
            o = np.argsort(cand.tgt[new], kind="stable")
            off = np.searchsorted(cand.tgt[new][o], np.arange(len(self.reps_l) + 1))
            self._rev = (new[o].tolist(), off.tolist(), self.reps[cand.cq[new[o]]].tolist())
            self._code_b_l, self._sim_b_l = self.code_b.tolist(), self.sim_b.tolist()
        idx, off, qrow = self._rev
        back = idx[off[s]: bisect_left(qrow, r, off[s], off[s + 1])]  # queries before row r
        if not back:
            return own
        score, order, cq = self.score_l, self.order_l, self.cq_l
        # a back candidate's target is its query paragraph: its order is the query's own
        key = {c: (-score[c], order[c]) for c in own}
        key.update({~c: (-score[c], order[c] - s + cq[c]) for c in back})
        return sorted(key, key=key.__getitem__)

    def _near(self, r: int) -> tuple | None:
        """The first verified candidate of row ``r`` whose target still stands, as a hit."""
        cand = self.cand
        retired, retired_before = self.retired_now, self.index.retired
        for c in self._candidate_list(r):
            if c < 0:  # a back candidate
                c = ~c
                tr = self.reps_l[self.cq_l[c]]
                code, sim = self._code_b_l[c], self._sim_b_l[c]
            elif self.is_old_l[c]:
                t = self.tgt_l[c]
                if (retired or retired_before) and ((e := int(cand.old_ids[t])) in retired or e in retired_before):
                    continue
                meta = cand.old_meta.of_row(t)
                return meta[0], meta[1], _RULES[self.code_f[c]], self.sim_f[c], ("osh", t), ""
            else:
                tr = self.reps_l[self.tgt_l[c]]
                code, sim = self.code_f[c], self.sim_f[c]
            if not self.kept[tr]:
                # the target's first occurrence was dropped; a later kept copy of it stands in
                tr = self.kept_first.get(self.group_l[tr], r)
                if tr >= r:
                    continue
            it = self.items[self.elig_l[tr]]
            return it.doc_id, it.paragraph_index, _RULES[code], sim, ("row", tr), ""
        return None


_RULES = ("", DEDUP_CONTAINMENT, DEDUP_RESEMBLANCE, DEDUP_CONTAINED)
_RULE_NAMES = {r: r.split(".")[1] for r in (*_RULES[1:], DEDUP_EXACT)}


def _verdicts(inter: np.ndarray, la: np.ndarray, lb: np.ndarray, params: DedupParams, longest: bool
              ) -> tuple[np.ndarray, np.ndarray]:
    """What a verified pair says about paragraph a (``la`` shingles) against an earlier paragraph b
    (``lb``) sharing ``inter`` shingles: an index into ``_RULES`` (0: not a duplicate) and the
    similarity. A shorter paragraph inside a longer one is containment (a trimmed copy); otherwise
    resemblance (Jaccard, with at least ``min_share`` of a in b); with keep = "longest", b inside a
    longer a is "contained" (the kept one is a trimmed copy of this one)."""
    code = np.zeros(len(inter), dtype=np.int8)
    sim = np.zeros(len(inter), dtype=np.float64)
    if len(inter) == 0:
        return code, sim
    with np.errstate(divide="ignore", invalid="ignore"):
        share_a = inter / la
        share_b = inter / lb
        jac = inter / (la + lb - inter)
    minc = params.min_containment_shingles
    for k, ok, value in (
            (3, longest & (share_b >= params.containment) & (lb >= minc) & (lb < la), share_b),
            (2, (jac >= params.jaccard) & (share_a >= params.min_share), jac),
            (1, (share_a >= params.containment) & (la >= minc) & (la < lb), share_a)):
        ok &= inter > 0
        code[ok] = k  # (the first rule that holds wins: assigned last)
        sim[ok] = value[ok]
    return code, sim


