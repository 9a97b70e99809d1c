"""Word alignment of a duplicate document's paragraphs with the document it copies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dechaff.dedup.candidates import pair_intersections
from dechaff.dedup.shingle import Tokens, numbers_differ, shingles_of, tokenize
from dechaff.dedup.store import DedupIndex
from dechaff.dedup.types import DedupParams, Item
from dechaff.model import DUPLICATE_DOCUMENT, Decision

_WORDS = DedupParams(ngram=1, short_ngram=1)  # shingles that are single words: word sets


def align_copies(items: Sequence[Item], decisions: list[Decision], copies: list[tuple[int, int, str]],
           local: dict[str, tuple[int, int]], index: DedupIndex, tok: Tokens) -> None:
    """Point every paragraph of a duplicate document that has no verified match of its own (short
    lines, heavily edited paragraphs) at its counterpart among the kept paragraphs of the document it
    copies, when there is one: same normalised words (similarity = word-set Jaccard >= 0.5, or one
    contained in the other for >= 90% of at least 3 words). One-to-one, best pairs first. This only
    names the matched paragraph in the audit; the whole document is dropped either way. ``tok`` holds
    the words of ``items``; only paragraphs of earlier runs are tokenized here."""
    # the paragraphs to point somewhere, by duplicate document
    todo = [(tdoc, queries) for i, j, tdoc in copies
            if (queries := [k for k in range(i, j) if decisions[k].duplicate_of_paragraph is None])]
    if not todo:
        return
    earlier = index.doc_paragraphs(sorted({t for t, _ in todo if t not in local}))
    old_texts: list[str] = []
    # every (query, target) pair of every job: query item, target (item of this chunk, or paragraph
    # of ``old_texts``), the target's paragraph index, the job
    pq: list[int] = []
    pt: list[int] = []
    p_old: list[bool] = []
    p_para: list[int] = []
    p_job: list[int] = []
    for n_job, (tdoc, queries) in enumerate(todo):
        if tdoc in local:
            a, b = local[tdoc]
            targets = [m for m in range(a, b) if decisions[m].keep]
            paras = [items[m].paragraph_index for m in targets]
            is_old = False
        else:
            old = earlier.get(tdoc, [])
            targets = list(range(len(old_texts), len(old_texts) + len(old)))
            paras = [p for p, _ in old]
            old_texts.extend(t for _, t in old)
            is_old = True
        for q in queries:
            pq.extend([q] * len(targets))
            pt.extend(targets)
            p_para.extend(paras)
        p_old.extend([is_old] * (len(queries) * len(targets)))
        p_job.extend([n_job] * (len(queries) * len(targets)))
    if not pq:
        return
    # word sets (sorted unique 40-bit word hashes) and the intersections of all pairs at once
    q_arr, t_arr, old_arr = np.array(pq), np.array(pt), np.array(p_old, dtype=bool)
    job = np.array(p_job)
    local_rows = np.unique(np.concatenate((q_arr, t_arr[~old_arr])))
    loc = shingles_of(tok, local_rows, _WORDS)
    loc_size = np.diff(loc.offsets)
    qi = np.searchsorted(local_rows, q_arr)
    la = loc_size[qi]
    inter = np.zeros(len(q_arr), dtype=np.int64)
    lb = np.zeros(len(q_arr), dtype=np.int64)
    w = np.flatnonzero(~old_arr)
    ti = np.searchsorted(local_rows, t_arr[w])
    inter[w] = pair_intersections(loc, qi[w], loc, ti)
    lb[w] = loc_size[ti]
    veto = np.zeros(len(q_arr), dtype=bool)
    veto[w] = numbers_differ(tok.wfp[q_arr[w]], tok.dh[q_arr[w]], tok.wfp[t_arr[w]], tok.dh[t_arr[w]])
    o = np.flatnonzero(old_arr)
    if len(o):
        otok = tokenize(old_texts)
        osets = shingles_of(otok, np.arange(len(old_texts)), _WORDS)
        inter[o] = pair_intersections(loc, qi[o], osets, t_arr[o])
        lb[o] = np.diff(osets.offsets)[t_arr[o]]
        veto[o] = numbers_differ(tok.wfp[q_arr[o]], tok.dh[q_arr[o]], otok.wfp[t_arr[o]], otok.dh[t_arr[o]])
    inter[veto] = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = inter / (la + lb - inter)
        small = np.minimum(la, lb)
        good = (la > 0) & (inter > 0) & ((jac >= 0.5) | ((small >= 3) & (inter / small >= 0.9)))
    # one-to-one within each job, best pairs first (then query, then target order)
    g = np.flatnonzero(good)
    g = g[np.lexsort((g, -jac[g], job[g]))]
    used_q: set[int] = set()
    used_t: set[tuple[int, int]] = set()
    for c, n_job, sim in zip(g.tolist(), job[g].tolist(), jac[g].tolist(), strict=True):
        k, tkey = pq[c], (n_job, pt[c])
        if k in used_q or tkey in used_t:
            continue
        used_q.add(k)
        used_t.add(tkey)
        d = decisions[k]
        tdoc, tpara = d.duplicate_of_doc, p_para[c]
        decisions[k] = Decision.drop(
            DUPLICATE_DOCUMENT, d.rule, f"{d.evidence}; matches {tdoc} paragraph {tpara} "
            f"(word overlap {sim:.2f})", duplicate_of_doc=tdoc, duplicate_of_paragraph=int(tpara),
            similarity=round(sim, 4), duplicate_of_document=d.duplicate_of_document)


