"""Item 9: render, export-pack and init never write through symlinks and never interleave."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.hostile.helpers import MINIMAL_K8S, run, write


@pytest.fixture
def spec(tmp_path):
    return write(tmp_path, MINIMAL_K8S)


def test_render_force_never_writes_through_a_symlink(tmp_path, spec):
    out, victim = tmp_path / "out", tmp_path / "victim"
    victim.mkdir()
    assert run("render", str(spec), "--env", "dev", "--out", str(out)).exit_code == 0
    # An attacker (or an accident) turns parts of the earlier render into links elsewhere.
    manifests = out / "manifests"
    shutil.rmtree(manifests, ignore_errors=True)
    os.symlink(victim, manifests)
    (victim / "Pulumi.yaml").write_text("victim's file")
    (out / "Pulumi.yaml").unlink()
    os.symlink(victim / "Pulumi.yaml", out / "Pulumi.yaml")
    res = run("render", str(spec), "--env", "dev", "--out", str(out), "--force")
    assert res.exit_code == 0, res.output
    assert [p.name for p in victim.iterdir()] == ["Pulumi.yaml"]  # nothing written out of the target
    assert (victim / "Pulumi.yaml").read_text() == "victim's file"
    assert not manifests.is_symlink()  # the render replaced the folder whole
    assert not (out / "Pulumi.yaml").is_symlink()


def test_render_refuses_a_symlinked_target(tmp_path, spec):
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "link")
    res = run("render", str(spec), "--env", "dev", "--out", str(tmp_path / "link"), "--force")
    assert res.exit_code == 2
    assert "symlink" in res.stderr
    assert list(real.iterdir()) == []


def test_force_never_replaces_a_folder_mlplat_did_not_write(tmp_path, spec):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    res = run("render", str(spec), "--env", "dev", "--out", str(mine), "--force")
    assert res.exit_code == 2
    assert "not an earlier mlplat output" in res.stderr
    assert (mine / "thesis.tex").read_text() == "keep me"


def test_render_is_one_rename_no_partial_folder(tmp_path, spec, monkeypatch):
    """A failure half-way leaves no target folder (and no temporary one) behind."""
    from mlplat.stacks import safe_io

    real_fill = safe_io._fill

    def failing_fill(folder, files, modes=None):
        real_fill(folder, dict(list(files.items())[:3]), modes)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safe_io, "_fill", failing_fill)
    res = run("render", str(spec), "--env", "dev", "--out", str(tmp_path / "out"))
    assert res.exit_code == 2
    assert "No space left" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["platform.yaml"]


def test_second_writer_into_the_same_new_folder_is_refused(tmp_path):
    """Two renders racing into one new folder: the loser's rename fails, nothing is mixed."""
    from mlplat.stacks.errors import MlplatError
    from mlplat.stacks.safe_io import write_tree

    out = tmp_path / "out"
    write_tree(out, {"a.txt": "first"})
    with pytest.raises(MlplatError, match="not empty"):
        write_tree(out, {"a.txt": "second", "b.txt": "second"})
    assert sorted(p.name for p in out.iterdir()) == [".mlplat-generated", "a.txt"]
    assert (out / "a.txt").read_text() == "first"


def test_export_pack_replaces_its_folder_and_refuses_links(tmp_path):
    out = tmp_path / "pack"
    assert run("policy", "export-pack", str(out)).exit_code == 0
    assert run("policy", "export-pack", str(out)).exit_code == 0  # an earlier pack is replaced
    os.symlink(tmp_path, tmp_path / "link")
    res = run("policy", "export-pack", str(tmp_path / "link"))
    assert res.exit_code == 2 and "symlink" in res.stderr


def test_export_pack_origin_cannot_become_code(tmp_path):
    from mlplat.policies.crossguard import export_pack

    export_pack(tmp_path / "pack", {}, "dev", origin='x"""\nimport os; os.system("id")\n"""')
    main = (tmp_path / "pack" / "__main__.py").read_text()
    compile(main, "__main__.py", "exec")
    assert "\nimport os" not in main


def test_init_never_writes_through_a_symlink(tmp_path):
    repo, victim = tmp_path / "repo", tmp_path / "victim"
    repo.mkdir()
    victim.mkdir()
    (repo / "existing.txt").write_text("x")  # an existing repository
    os.symlink(victim, repo / ".github")
    res = run("init", str(repo), "--provider", "aws")
    assert res.exit_code == 2, res.output
    assert "symlink" in res.stderr
    assert list(victim.iterdir()) == []
    assert not (repo / "platform.yaml").exists()  # all or nothing
