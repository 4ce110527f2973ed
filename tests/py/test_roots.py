"""find_root: the workspace a buffer belongs to (outermost [workspace] manifest, else the nearest
Cargo.toml), on real folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from rrag.errors import WorkspaceError
from rrag.service.roots import declares_workspace, find_root


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_lone_crate_is_its_own_root(tmp_path):
    write(tmp_path / "app" / "Cargo.toml", '[package]\nname = "app"\n')
    src = write(tmp_path / "app" / "src" / "deep" / "mod.rs")
    assert find_root(src) == (tmp_path / "app").resolve()
    assert find_root(tmp_path / "app" / "src") == (tmp_path / "app").resolve()


def test_a_workspace_member_belongs_to_the_outermost_workspace(tmp_path):
    write(tmp_path / "ws" / "Cargo.toml", '[workspace]\nmembers = ["crates/*"]\n')
    write(tmp_path / "ws" / "crates" / "a" / "Cargo.toml", '[package]\nname = "a"\n')
    src = write(tmp_path / "ws" / "crates" / "a" / "src" / "lib.rs")
    assert find_root(src) == (tmp_path / "ws").resolve()


def test_the_outermost_workspace_wins_over_an_inner_one(tmp_path):
    write(tmp_path / "outer" / "Cargo.toml", "[workspace.package]\nversion = '1.0.0'\n")
    write(tmp_path / "outer" / "inner" / "Cargo.toml", "[workspace]\n")
    src = write(tmp_path / "outer" / "inner" / "x" / "main.rs")
    assert find_root(src) == (tmp_path / "outer").resolve()


def test_a_crate_inside_a_plain_crate_uses_the_nearest_manifest(tmp_path):
    write(tmp_path / "top" / "Cargo.toml", '[package]\nname = "top"\n')
    write(tmp_path / "top" / "sub" / "Cargo.toml", '[package]\nname = "sub"\n')
    src = write(tmp_path / "top" / "sub" / "src" / "lib.rs")
    assert find_root(src) == (tmp_path / "top" / "sub").resolve()


def test_a_manifest_being_edited_still_counts_as_a_workspace(tmp_path):
    manifest = write(tmp_path / "Cargo.toml", '[workspace]\nmembers = ["a"\n')  # unparsable
    assert declares_workspace(manifest)
    assert not declares_workspace(write(tmp_path / "b" / "Cargo.toml", "[package]\nname='b'\n"))


def test_no_manifest_is_a_workspace_error_with_a_fix(tmp_path):
    with pytest.raises(WorkspaceError) as err:
        find_root(write(tmp_path / "loose.rs"))
    assert str(err.value).startswith("rrag: no Cargo.toml in ")
    assert "open a file inside a Rust crate" in str(err.value)
