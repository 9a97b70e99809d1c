"""The rule registry: every rule is registered once, every rule the code can emit is registered, and the
README's rule table is the registry's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polars as pl
import pytest

from dechaff import rules
from dechaff.chrome import builtin_patterns
from dechaff.html import extract_blocks
from dechaff.pipeline import run_local

PKG = Path(rules.__file__).parent
README = Path(__file__).resolve().parent.parent / "README.md"
RULE_ID = re.compile(r"^(html|feature|context|structure|pattern|boilerplate|dedup)\.[a-z0-9.-]+$")


def test_every_builtin_pattern_rule_is_registered():
    names = {f"pattern.{p.rule}" for p in builtin_patterns()}
    assert names and names <= set(rules.REGISTRY)
    registered_patterns = {r for r in rules.REGISTRY if r.startswith("pattern.")}
    assert registered_patterns == names  # and no pattern rule is registered that the file lacks


def test_constants_name_registered_rules_and_flags_are_known():
    consts = {k: v for k, v in vars(rules).items() if k.isupper() and isinstance(v, str) and RULE_ID.match(v)}
    assert len(consts) >= 45
    assert set(consts.values()) <= set(rules.REGISTRY)
    for r in rules.REGISTRY.values():
        assert r.flags <= set(rules.FLAGS) and r.description and r.family == r.id.split(".")[0]
        assert bool(r.reason) != ("keeps" in r.flags or r.id == rules.HTML_FALLBACK)


def _rule_args(tree: ast.AST):
    """The rule argument of every Decision.drop(reason, rule, ...) and Decision(keep, reason, rule, ...) /
    Decision(True, rule=...) call."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        is_drop = isinstance(f, ast.Attribute) and f.attr == "drop" and getattr(f.value, "id", "") == "Decision"
        is_new = isinstance(f, ast.Name) and f.id == "Decision"
        if not (is_drop or is_new):
            continue
        kw = {k.arg: k.value for k in node.keywords}
        if "rule" in kw:
            yield kw["rule"]
        elif is_drop and len(node.args) >= 2:
            yield node.args[1]
        elif is_new and len(node.args) >= 3:
            yield node.args[2]


def test_no_module_emits_a_bare_or_unregistered_rule_name():
    """Statically: a decision's rule is a constant of dechaff.rules (or a pattern rule built from the pattern
    file), never a string literal; and no string literal in the package that looks like a rule id is
    unregistered."""
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        if path.name == "rules.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and RULE_ID.match(node.value) \
                    and node.value not in rules.REGISTRY and not node.value.startswith("pattern."):
                bad.append(f"{path.name}:{node.lineno} unregistered {node.value!r}")
        for arg in _rule_args(tree):
            if isinstance(arg, ast.Constant) and arg.value:
                bad.append(f"{path.name}:{arg.lineno} bare rule string {arg.value!r}")
    assert not bad, "\n".join(bad)


PAGE = """<html><head><title>Budget passes</title></head><body>
<header><a href="/">Site</a> <a href="/news">News</a></header>
<nav><a href="/a">World</a> <a href="/b">Politics</a> <a href="/c">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience on this website, accept them all.</div>
<article><h1>Council passes the budget</h1>
<p>The council approved the new budget on Tuesday after a long debate about school funding, road repairs and
the future of the public library in the town centre.</p>
<p>Share this:</p>
<p>Members argued for hours over the library, which has lost a third of its visitors since the new shopping
centre opened, while others said the roads could not wait another winter.</p>
<p><a href="/x">Read more</a></p>
<p>Jane Smith is a freelance writer and editor who covers local government for the paper.</p>
</article>
<aside><h3>Related posts</h3><ul><li><a href="/r1">Another story about the council</a></li></ul></aside>
<div id="comments"><h3>3 thoughts on "Council passes the budget"</h3><p>Great article, thanks.</p></div>
<form><p>Leave a Reply</p><p>Your email address will not be published.</p></form>
<footer>Copyright 2024 The Paper. All rights reserved.</footer></body></html>"""


def test_every_rule_a_run_emits_is_registered(tmp_path, sample_raw):
    """At run time: the sample corpus plus a page with chrome of every kind, twice (so the second copy is a
    duplicate), and every rule in removed/ and in the blocks' decisions is registered."""
    (sample_raw / "page.html").write_text(PAGE, encoding="utf-8")
    (sample_raw / "copy").mkdir()
    (sample_raw / "copy" / "page.html").write_text(PAGE, encoding="utf-8")
    out = tmp_path / "out"
    run_local(sample_raw, out)
    emitted = set(pl.read_parquet(out / "removed" / "*.parquet")["rule"].to_list())
    emitted |= {d.rule for _t, d in extract_blocks(PAGE).all_blocks() if d.rule}
    assert {"html.nav", "dedup.exact"} <= emitted  # the run exercised both engines and dedup
    for r in emitted:
        rules.get(r)  # raises for an unregistered rule


def test_user_pattern_rules_are_described_generically():
    r = rules.get("pattern.my-site.footer")
    assert r.family == "pattern" and r.reason == "chrome" and not r.flags
    assert "comment" in rules.get("pattern.comments.mine").flags
    with pytest.raises(KeyError):
        rules.get("html.nonexistent")


def test_readme_rule_table_is_generated_from_the_registry():
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- rules:start (dechaff rules --markdown) -->\n", "<!-- rules:end -->"
    assert start in text and end in text, "README lost its rule table markers"
    table = text.split(start, 1)[1].split(end, 1)[0]
    assert table == rules.markdown_table(), "README's rule table is stale: dechaff rules --markdown"
