"""Cross-document boilerplate: the template of a site, told apart from content that repeats.

A paragraph or line that recurs across the documents of one site (:attr:`Document.site`) is
**template boilerplate** only when its repetition looks like a template:

1. it recurs in at least ``min_docs`` documents of the site that are *otherwise different*: documents
   that are near-duplicates of each other (syndicated copies of one story, edited versions, reposts)
   count once, whatever their number; and
2. it stands where a template stands: in the run of repeated (or short) lines that opens or closes
   the document (a header; a bio, newsletter box and footer after the body), or, for a short line of
   at most ``SHORT_WORDS`` words ("Advertisement", a box title), anywhere.

Every copy of a template in the run is removed (reason ``boilerplate``, rule ``boilerplate.template``,
with the evidence: where it stands, in how many different documents, which ones). Anything else that
repeats (a story syndicated on one site, a background paragraph several articles reuse in their bodies)
is content: the dedup stage keeps its earliest copy and points the others at it. So no paragraph loses
every copy unless it is a template by this rule.

Texts are compared normalised as the dedup stage normalises them (case, punctuation, digits folded
to 0), so a footer with this year's date is one template. What keeps local versions of one story (the
same paragraph with other numbers) from being one template is the near-duplicate test: their
documents are copies of each other and count once; the dedup stage then keeps every version, since
the same words with other numbers are not a copy.

Across runs the output's state keeps the counts of documents per (site, text), the templates found,
and a profile of every document (the keys of its first and last ``EDGE_LINES`` lines, its short lines,
and a sketch of its words), so a later run judges a repeat with every copy seen so far. What a
committed run decided stays: when a text becomes a template with a later run's copies, its copies in
earlier runs stay as they were (the first kept, the others duplicates of it) and the new copies are
removed as boilerplate.

The package: ``keys`` (normalised keys, per-site counts), ``profile`` (a document's edges, short lines
and word sketch; near-duplicate documents), ``state`` (what runs carry), ``detect``.
"""

from __future__ import annotations

from dechaff.boilerplate.detect import RULE, detect
from dechaff.boilerplate.keys import EDGE_LINES, SHORT_WORDS, BoilerplateCounts, text_keys
from dechaff.boilerplate.profile import Profile, near_duplicates, observe_ahead
from dechaff.boilerplate.state import BoilerplateState

__all__ = ["EDGE_LINES", "RULE", "SHORT_WORDS", "BoilerplateCounts", "BoilerplateState", "Profile", "detect",
           "near_duplicates", "observe_ahead", "text_keys"]
