"""The one OBJ reader keeps the landmark numbering and names the file and line of a bad entry."""

from __future__ import annotations

import pytest

from facetwin.errors import ConfigError
from facetwin.mesh_io import read_obj


def test_unreferenced_vertices_keep_their_place(tmp_path):
    path = tmp_path / "m.obj"
    path.write_text("# a comment\nv 0 0 0\nv 1 0 0\nv 9 9 9\nvn 0 0 1\nv 0 1 0\nf 1/1 2/2 4/4\n")
    vertices, faces, uv = read_obj(path)
    assert vertices.tolist() == [[0, 0, 0], [1, 0, 0], [9, 9, 9], [0, 1, 0]]
    assert faces.tolist() == [[0, 1, 3]]
    assert uv is None


@pytest.mark.parametrize("bad", ["v 1 2\n", "v 1 two 3\n", "v 0 0 0\nf 1 2 3\n", "v nan 0 0\nf 1 1 1\n"])
def test_a_bad_entry_names_the_file(tmp_path, bad):
    path = tmp_path / "m.obj"
    path.write_text(bad)
    with pytest.raises(ConfigError, match=str(path)):
        read_obj(path)


@pytest.mark.parametrize(("content", "reason"), [
    (b"v 0 0 0\nv 1 0 0\nv 0 1 0\n", "has no faces (`f` lines); a skin needs its triangles"),
    (b"v 0 0 0\n\xff\xfe\nf 1 1 1\n", "not a text OBJ file (byte 8 is not UTF-8)"),
    (b"v 0 0 0\nv 1 0\nf 1 1 1\n", "line 2: malformed OBJ entry (2 values, need 3)"),
    (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nf 1/1 2/2 3/3\n",
     "2 texture coordinates (`vt`) for 3 vertices; the skin needs one finite pair per vertex"),
    (b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\nf 1/2 2/1 3/3\n",
     "line 7: malformed OBJ entry (texture coordinates must be one per vertex (f a/a b/b c/c))"),
])
def test_a_mesh_that_would_fail_later_is_one_line(tmp_path, content, reason):
    path = tmp_path / "skin.obj"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as error:
        read_obj(path)
    assert str(error.value) == f"{path}: {reason}"


def test_texture_coordinates_are_one_per_vertex(tmp_path):
    path = tmp_path / "m.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 0.5\nf 1/1 2/2 3/3\n")
    assert read_obj(path).uv.tolist() == [[0, 0], [1, 0], [0, 0.5]]
