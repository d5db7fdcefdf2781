"""Reading a face.yaml, and the faces it extends, into the one mapping the face config validates.

A face variant holds only what differs from the face it is made from: `extends:` names that face
(a bundled face name, or a face.yaml or face folder relative to the variant's own folder), and the
variant's fields override the parent's, mappings merged key by key and anything else (a list, a
number) replaced whole. A file a face names (its skin mesh, its fit) is read relative to the folder
of the face.yaml that names it, so a variant uses its parent's mesh without a copy.
"""

from __future__ import annotations

import collections.abc
from pathlib import Path

import yaml

from facetwin.errors import ConfigError
from facetwin.faces import available_faces, faces_root

FILE_FIELDS = {"skin": ("mesh", "fit"), "appearance": ("texture",)}
"""The fields that name a file, by section; each is resolved against the face.yaml declaring it."""


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it: a face.yaml reads about ten times faster."""


class _UniqueKeyLoader(_SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping: plain YAML keeps the last
    silently, so a pasted second `jaw_open:` block would quietly replace the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, collections.abc.Hashable):
                break  # the base loader refuses an unhashable key with its own message
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_mapping(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"{path}: face config not found")
    try:
        raw = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]  # a ReaderError has no `problem`
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    return raw


def _parent(path: Path, extends: object) -> Path:
    """The face.yaml that `extends` in `path` names: beside `path` first, else a bundled face."""
    if not isinstance(extends, str) or not extends.strip():
        raise ConfigError(f"{path}: extends: expected a face name or a path, got {extends!r}")
    local = path.parent / extends
    for candidate in (local, local / "face.yaml", faces_root() / extends / "face.yaml"):
        if candidate.is_file():
            return candidate.resolve()
    raise ConfigError(f"{path}: extends: {extends!r} is no face.yaml or face folder beside it, nor a bundled "
                      f"face ({', '.join(available_faces())})")


def _chain(path: Path) -> list[tuple[Path, dict]]:
    """Each face.yaml the face is read from with its mapping: its own, then the one it extends, and so on."""
    chain = [(path, _read_mapping(path))]
    seen = {path.resolve()}
    while "extends" in chain[-1][1]:
        child, raw = chain[-1]
        parent = _parent(child, raw["extends"])
        if parent in seen:
            raise ConfigError(f"{child}: extends: {raw['extends']!r} leads back to {parent}, a cycle")
        seen.add(parent)
        chain.append((parent, _read_mapping(parent)))
    return chain


def face_files(path: str | Path) -> list[Path]:
    """The face.yaml files a face is read from: its own, then each one it extends."""
    return [source for source, _ in _chain(Path(path))]


def _anchored(raw: dict, folder: Path) -> dict:
    """`raw` without `extends`, and with the files it names made absolute against `folder`."""
    out = {key: value for key, value in raw.items() if key != "extends"}
    for section, fields in FILE_FIELDS.items():
        if isinstance(out.get(section), dict):
            out[section] = {key: str((folder / value).resolve()) if key in fields and isinstance(value, str) else value
                            for key, value in out[section].items()}
    return out


def _merged(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def read_face_yaml(path: str | Path) -> dict:
    """The face's mapping with the faces it extends merged under it and its skin files as absolute
    paths (textures too); a file that is missing, not YAML or not a mapping, an unknown parent and a cycle are a
    ConfigError naming the face.yaml at fault."""
    merged: dict = {}
    for source, raw in reversed(_chain(Path(path))):
        merged = _merged(merged, _anchored(raw, source.parent))
    return merged
