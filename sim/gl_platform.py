"""Choose the headless OpenGL platform once, before anything imports OpenGL.

PyOpenGL binds its platform at first import, so the choice must precede `import pyrender`.
A PYOPENGL_PLATFORM the user set wins; otherwise EGL (Mesa's software device works without a
GPU or a screen), then OSMesa.
"""

from __future__ import annotations

import ctypes.util
import os
import sys

from facetwin.errors import BackendError

MISSING_GL = (
    "no headless OpenGL found: install EGL or OSMesa, e.g. `apt-get install libegl1 libegl-mesa0 "
    "libgl1-mesa-dri libosmesa6`, or set PYOPENGL_PLATFORM"
)


def select_gl_platform() -> str:
    """Set PYOPENGL_PLATFORM (if unset) and return it."""
    chosen = os.environ.get("PYOPENGL_PLATFORM")
    if chosen:
        return chosen
    if "OpenGL" in sys.modules:
        # Too late to choose: whoever imported OpenGL first decided.
        return "already-imported"
    if ctypes.util.find_library("EGL"):
        chosen = "egl"
    elif ctypes.util.find_library("OSMesa"):
        chosen = "osmesa"
    else:
        raise BackendError(MISSING_GL)
    os.environ["PYOPENGL_PLATFORM"] = chosen
    return chosen
