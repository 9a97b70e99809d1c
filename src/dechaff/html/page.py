"""A page cut into blocks: each block's text, tag, decision and link share; the inline pieces cut out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dechaff.model import KEEP, Decision


@dataclass(slots=True)
class Block:
    text: str
    tag: str
    decision: Decision = KEEP
    link_chars: int = 0
    container: object | None = None  # the lxml element that holds the block


@dataclass(slots=True)
class Page:
    title: str | None
    blocks: list[Block] = field(default_factory=list)
    # chrome cut out of a block's text (an inline button, a hidden label): (index of that block, text,
    # decision), so that the audit can say what left the block and why
    cuts: list[tuple[int, str, Decision]] = field(default_factory=list)

    def main_text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks if b.decision.keep)

    def all_blocks(self) -> list[tuple[str, Decision]]:
        """Every block and every cut-out piece, in page order, with its decision."""
        out: list[tuple[str, Decision]] = []
        k = 0  # cuts are in page order; a cut belongs after the block it was cut from
        for i, b in enumerate(self.blocks):
            out.append((b.text, b.decision))
            while k < len(self.cuts) and self.cuts[k][0] <= i:
                out.append(self.cuts[k][1:])
                k += 1
        out.extend(c[1:] for c in self.cuts[k:])
        return out

