from __future__ import annotations

import pytest

from dechaff.config import Config, ConfigError


@pytest.mark.parametrize("value", ["1", "0", "-3", "true", '"5"'])
def test_boilerplate_min_docs_below_two_is_refused(tmp_path, value):
    cfg = tmp_path / "dechaff.toml"
    cfg.write_text(f"boilerplate_min_docs = {value}\n")
    with pytest.raises(ConfigError, match="boilerplate_min_docs"):
        Config.load(cfg)


def test_boilerplate_min_docs_two_is_accepted(tmp_path):
    cfg = tmp_path / "dechaff.toml"
    cfg.write_text("boilerplate_min_docs = 2\n")
    assert Config.load(cfg).boilerplate_min_docs == 2
