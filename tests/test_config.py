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


BAD = [  # (dechaff.toml, the key the error must name)
    ('[dedup]\njaccard = "high"\n', "dedup.jaccard"),
    ("[dedup]\njaccard = 5\n", "dedup.jaccard"),
    ("shard_mb = -3\n", "shard_mb"),
    ('keep_comments = "yes"\n', "keep_comments"),
    ('[dedup]\nkeep = "newest"\n', "dedup.keep"),
    ("[dedup]\nbands = 100\n", "dedup"),
    ("max_decompressed_mb = 0\n", "max_decompressed_mb"),
    ("lock_wait_seconds = -1\n", "lock_wait_seconds"),
    ('chrome_patterns = ["missing.txt"]\n', "chrome_patterns"),
    ("[parquet]\ntext = 3\n", "parquet.text"),
    ("[dedup]\njacard = 0.5\n", "dedup.jacard"),
    ("dedup = 3\n", "dedup"),
    ("keep_coments = true\n", "keep_coments"),
    ('band_threads = "many"\n', "band_threads"),
    ("band_threads = -1\n", "band_threads"),
    ("band_threads = 2.0\n", "band_threads"),
]


@pytest.mark.parametrize("toml,key", BAD)
def test_bad_settings_are_refused_naming_the_key_and_value(tmp_path, toml, key):
    cfg = tmp_path / "dechaff.toml"
    cfg.write_text(toml)
    with pytest.raises(ConfigError) as e:
        Config.load(cfg)
    assert key in str(e.value) and str(cfg) in str(e.value)


def test_pyproject_tool_section_is_read(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.dechaff]\nshard_mb = 8\n\n'
                                             '[tool.dechaff.dedup]\njaccard = 0.5\n')
    monkeypatch.chdir(tmp_path)
    cfg = Config.load()
    assert cfg.shard_mb == 8 and cfg.dedup.jaccard == 0.5
    (tmp_path / "dechaff.toml").write_text("shard_mb = 4\n")  # dechaff.toml wins
    assert Config.load().shard_mb == 4


@pytest.mark.parametrize("args,needle", [
    (["run", "--wait", "-5"], "lock_wait_seconds"),
    (["serve", "--interval", "0"], "--interval"),
    (["serve", "--cron", "every day"], "--cron"),
])
def test_cli_values_are_checked_before_any_work(tmp_path, args, needle):
    import subprocess
    import sys

    (tmp_path / "raw").mkdir()
    r = subprocess.run([sys.executable, "-m", "dechaff_flows.cli", *args, "--raw", str(tmp_path / "raw"), "--out",
                        str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_band_threads_auto_follows_the_cores_this_process_may_use(tmp_path, monkeypatch):
    """"auto" (the default): two band-table threads in the finalize step when the process may run on two
    cores or more (``taskset``, a container's CPU set), none on one; a number is taken as given."""
    import dechaff.config as config

    for cores, want in ((1, 0), (2, 2), (16, 2)):
        monkeypatch.setattr(config, "usable_cores", lambda cores=cores: cores)
        assert Config().band_thread_count() == want
    cfg = tmp_path / "dechaff.toml"
    cfg.write_text("band_threads = 0\n")
    assert Config.load(cfg).band_thread_count() == 0
    cfg.write_text("band_threads = 5\n")
    assert Config.load(cfg).band_thread_count() == 5
