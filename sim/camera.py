"""The twin's headless camera: pyrender offscreen, like a robot's frontal self-observation camera.

Per frame only what moves reaches the GPU: the skin and the head shell keep one pyrender mesh each
for the camera's life and their vertex buffers are overwritten in place (positions and normals;
texture coordinates and colours stay as uploaded), and the frame is read back as colour alone,
since pyrender would also read, flip and linearise a depth image nobody here uses. pyrender sets
the camera's and the lights' uniforms again for every primitive of every frame, each a PyOpenGL
call; a shader program keeps its uniforms, so a value it already holds is not sent again.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp

from facetwin.errors import BackendError
from facetwin.sim.gl_platform import select_gl_platform
from facetwin.sim.rig import FaceModel

select_gl_platform()
import pyrender  # noqa: E402  (the GL platform must be chosen before OpenGL is imported)
import pyrender.renderer  # noqa: E402
from OpenGL import GL  # noqa: E402

from facetwin.sim.appearance import (  # noqa: E402
    eyeball,
    jaw_offset,
    mouth_cavity,
    mouth_parts,
    shell_skin_rgb,
    skin_colors,
    skin_texture,
)
from facetwin.sim.head_shell import HeadShell  # noqa: E402

TEXTURED_AMBIENT = 0.6
TEXTURED_LIGHT_GAIN = 0.5
"""A photo texture carries its own shading: it is lit more by ambient light and less by the key."""


@contextmanager
def _single_sample_framebuffers():
    """pyrender always allocates a 4x multisampled framebuffer; on a software rasteriser that
    halves the frame rate, and a robot's camera image is not antialiased anyway."""
    original = pyrender.renderer.glRenderbufferStorageMultisample
    pyrender.renderer.glRenderbufferStorageMultisample = (
        lambda target, _samples, fmt, width, height: GL.glRenderbufferStorageMultisample(target, 0, fmt, width, height)
    )
    try:
        yield
    finally:
        pyrender.renderer.glRenderbufferStorageMultisample = original


def _incidence(faces: np.ndarray, n_vertices: int) -> sp.csr_matrix:
    """Vertex-by-triangle incidence: summing face normals onto vertices is one sparse product."""
    n_f = len(faces)
    return sp.csr_matrix((np.ones(3 * n_f), (faces.ravel(), np.repeat(np.arange(n_f), 3))), shape=(n_vertices, n_f))


def _vertex_normals(vertices: np.ndarray, faces: np.ndarray, incidence: sp.csr_matrix) -> np.ndarray:
    tri = vertices[faces]
    normals = incidence @ np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)


class _VertexBuffer:
    """A primitive's interleaved vertex data as pyrender lays it out (position, normal, then the
    texture coordinates or colours that never change), rewritten in place each frame."""

    def __init__(self, primitive: pyrender.Primitive):
        self.primitive = primitive
        static = [a for a in (primitive.tangents, primitive.texcoord_0, primitive.texcoord_1, primitive.color_0)
                  if a is not None]
        self.data = np.ascontiguousarray(np.hstack([primitive.positions, primitive.normals, *static]),
                                         dtype=np.float32)

    def update(self, positions: np.ndarray, normals: np.ndarray) -> None:
        self.data[:, :3] = positions
        self.data[:, 3:6] = normals
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.primitive._buffers[0])
        GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, self.data.nbytes, self.data)


def _send_changed_uniforms_only(program) -> None:
    """Wrap one pyrender shader program's `set_uniform` so that it skips values the program holds."""
    send = program.set_uniform
    held: dict[str, object] = {}

    def set_uniform(name, value, unsigned=False):
        previous = held.get(name)
        if isinstance(value, np.ndarray):
            if isinstance(previous, np.ndarray) and previous.dtype == value.dtype and np.array_equal(previous, value):
                return
            held[name] = value.copy()
        else:
            if previous is not None and type(previous) is type(value) and previous == value:
                return
            held[name] = value
        send(name, value, unsigned)

    program.set_uniform = set_uniform


def look_at(eye: np.ndarray, target: np.ndarray, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """Camera-to-world pose for an OpenGL camera (looking down its own -z)."""
    forward = target - eye
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    true_up = np.cross(right, forward)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, true_up, -forward, eye
    return pose


class FaceCamera:
    """Renders skin, eyes and mouth cavity under a head pose; the skin's vertex buffers are
    rewritten per frame, the rigid parts only move their nodes."""

    def __init__(self, model: FaceModel, width: int = 256, height: int = 256, distance_mm: float = 400.0,
                 yfov_deg: float = 30.0, antialias: bool = False):
        self.model = model
        self.width, self.height = width, height
        try:
            self._renderer = pyrender.OffscreenRenderer(width, height)
            if not antialias:
                with _single_sample_framebuffers():
                    self._renderer._renderer._configure_main_framebuffer()
        except Exception as exc:  # pyrender raises bare GL/EGL errors of many kinds
            raise BackendError(f"cannot open an offscreen GL context ({type(exc).__name__}: {exc}); "
                               "try PYOPENGL_PLATFORM=osmesa with libosmesa6 installed") from None
        look = model.config.appearance
        texture = skin_texture(model)
        ambient = TEXTURED_AMBIENT if texture is not None else 0.35
        self._light_gain = TEXTURED_LIGHT_GAIN if texture is not None else 1.0
        self.scene = pyrender.Scene(bg_color=[*look.background, 1.0], ambient_light=[ambient] * 3)
        faces = model.mesh.faces
        self._faces = faces
        if texture is None:
            self._paint = {"color_0": skin_colors(model)}
        else:
            # pyrender samples with OpenGL's v, which runs upwards from the image's last row.
            uv = model.mesh.uv.astype(np.float32)
            self._paint = {"texcoord_0": np.stack([uv[:, 0], 1.0 - uv[:, 1]], axis=1), "material":
                           pyrender.MetallicRoughnessMaterial(
                               baseColorTexture=pyrender.Texture(source=texture, source_channels="RGB"),
                               metallicFactor=0.0, roughnessFactor=1.0)}
        self._shell = HeadShell(model, shell_skin_rgb(model, texture))
        self._shell_incidence = _incidence(self._shell.faces, len(self._shell.colors))
        self._incidence = _incidence(faces, model.mesh.n_vertices)
        self._head = pyrender.Node(name="head", matrix=np.eye(4))
        self.scene.add_node(self._head)
        self._skin = None
        self._buffers: list[_VertexBuffer] = []
        self._n_programs = 0
        self._renderer._renderer._read_main_framebuffer = self._read_colour
        self._eyes = [
            self.scene.add(pyrender.Mesh.from_trimesh(eyeball(model, side)), parent_node=self._head)
            for side in (0, 1)
        ]
        self.scene.add(pyrender.Mesh.from_trimesh(mouth_cavity(model)), parent_node=self._head)
        upper_teeth, on_jaw = mouth_parts(model)
        self.scene.add(pyrender.Mesh.from_trimesh(upper_teeth), parent_node=self._head)
        self._on_jaw = self.scene.add(pyrender.Mesh.from_trimesh(on_jaw), parent_node=self._head)
        self.target = np.array([0.0, -32.0, 0.0])
        self._focal_px = 0.5 * height / np.tan(0.5 * np.deg2rad(yfov_deg))
        self._camera = self.scene.add(pyrender.PerspectiveCamera(yfov=np.deg2rad(yfov_deg), znear=50.0, zfar=2000.0))
        self._light = self.scene.add(pyrender.DirectionalLight(color=np.ones(3), intensity=3.0))
        self.set_view(distance_mm=distance_mm)

    def set_view(self, distance_mm: float = 400.0, offset_mm=(0.0, 0.0, 0.0), light_intensity: float = 3.0,
                 light_dir=(0.25, 0.5, 1.0), target_offset_mm=(0.0, 0.0, 0.0)) -> None:
        """Camera placement and key light; domain randomisation varies these, and a stand-in face
        (sim/reality.py) turns the camera by moving where it looks (`target_offset_mm`)."""
        eye = self.target + np.array([0.0, 0.0, distance_mm]) + np.asarray(offset_mm, dtype=np.float64)
        self.scene.set_pose(self._camera, look_at(eye, self.target + np.asarray(target_offset_mm, dtype=np.float64)))
        self.scene.set_pose(self._light, look_at(self.target + 500.0 * np.asarray(light_dir), self.target))
        self._light.light.intensity = light_intensity * self._light_gain

    def project(self, points: np.ndarray) -> np.ndarray:
        """Image pixels (N, 2; x right, y down) of points in the face frame with the head at rest."""
        world_to_camera = np.linalg.inv(self.scene.get_pose(self._camera))
        p = points @ world_to_camera[:3, :3].T + world_to_camera[:3, 3]
        return np.stack([0.5 * self.width + self._focal_px * p[:, 0] / -p[:, 2],
                         0.5 * self.height - self._focal_px * p[:, 1] / -p[:, 2]], axis=1)

    def unproject(self, pixels: np.ndarray, near: np.ndarray) -> np.ndarray:
        """The points seen at `pixels` on the camera rays through them, each at the depth of the
        matching point of `near` (face frame, head at rest): how far an image position lies from a
        known point, in millimetres."""
        pose = self.scene.get_pose(self._camera)
        depth = -(near - pose[:3, 3]) @ pose[:3, 2]
        x = (pixels[:, 0] - 0.5 * self.width) / self._focal_px * depth
        y = -(pixels[:, 1] - 0.5 * self.height) / self._focal_px * depth
        return pose[:3, 3] + x[:, None] * pose[:3, 0] + y[:, None] * pose[:3, 1] - depth[:, None] * pose[:3, 2]

    def _normals(self, vertices: np.ndarray) -> np.ndarray:
        return _vertex_normals(vertices, self._faces, self._incidence)

    def _shell_surface(self, vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shell = self._shell
        positions = shell.positions(vertices)
        return positions, _vertex_normals(positions, shell.faces, self._shell_incidence)

    def _place_skin(self, vertices: np.ndarray) -> None:
        """The skin and the shell at `vertices`: built once, then their GPU buffers updated in place."""
        surfaces = [(vertices, self._normals(vertices)), self._shell_surface(vertices)]
        if self._skin is None:
            (skin, skin_normals), (shell, shell_normals) = surfaces
            primitives = [
                pyrender.Primitive(positions=skin.astype(np.float32), normals=skin_normals.astype(np.float32),
                                   indices=self._faces, mode=pyrender.constants.GLTF.TRIANGLES, **self._paint),
                pyrender.Primitive(positions=shell.astype(np.float32), normals=shell_normals.astype(np.float32),
                                   indices=self._shell.faces, color_0=self._shell.colors,
                                   mode=pyrender.constants.GLTF.TRIANGLES),
            ]
            # pyrender uploads them on the first render; the meshes' own arrays keep that first
            # shape (only the bounds read them, and nothing here depends on the bounds).
            self._skin = self.scene.add(pyrender.Mesh(primitives), parent_node=self._head)
            self._buffers = [_VertexBuffer(p) for p in primitives]
            return
        self._renderer._platform.make_current()
        for buffer, (positions, normals) in zip(self._buffers, surfaces):
            buffer.update(positions, normals)

    def _read_colour(self, scene, flags) -> tuple[np.ndarray, None]:
        """pyrender's read-back without the depth image: blit the colour, read it, flip it upright."""
        renderer = self._renderer._renderer
        width, height = renderer._main_fb_dims
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, renderer._main_fb_ms)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, renderer._main_fb)
        GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, renderer._main_fb)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        pixels = GL.glReadPixels(0, 0, width, height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
        return np.flip(np.frombuffer(pixels, dtype=np.uint8).reshape(height, width, 3), axis=0), None

    def render(self, vertices: np.ndarray, eye_rotation: np.ndarray, head_pose: np.ndarray) -> np.ndarray:
        """RGB uint8 (H, W, 3) of the face with skin `vertices` (face frame, mm)."""
        self._place_skin(vertices)
        self.scene.set_pose(self._head, head_pose)
        jaw = np.eye(4)
        jaw[:3, 3] = jaw_offset(self.model, vertices)
        self.scene.set_pose(self._on_jaw, jaw)
        for node, centre in zip(self._eyes, self.model.eye_centers):
            pose = np.eye(4)
            pose[:3, :3] = eye_rotation
            pose[:3, 3] = centre
            self.scene.set_pose(node, pose)
        color, _ = self._renderer.render(self.scene)
        self._wrap_new_programs()
        return np.ascontiguousarray(color)

    def _wrap_new_programs(self) -> None:
        # pyrender compiles a program on its first use, so the first frame brings them in.
        programs = self._renderer._renderer._program_cache._program_cache
        if len(programs) != self._n_programs:
            for program in programs.values():
                if not hasattr(program, "_facetwin_held"):
                    _send_changed_uniforms_only(program)
                    program._facetwin_held = True
            self._n_programs = len(programs)

    def close(self) -> None:
        """Free this camera's GL objects and context.

        pyrender's EGL platform also terminates the EGL display on delete, and EGL hands every
        context in a process the same display, so that would break the other cameras still open;
        the display is left to the process instead.
        """
        if self._renderer is None:
            return
        platform = self._renderer._platform
        platform.make_current()
        self._renderer._renderer.delete()
        if hasattr(platform, "_egl_display"):
            from OpenGL.EGL import EGL_NO_CONTEXT, EGL_NO_SURFACE, eglDestroyContext, eglMakeCurrent

            eglMakeCurrent(platform._egl_display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT)
            eglDestroyContext(platform._egl_display, platform._egl_context)
            platform._egl_context = None
            platform._egl_display = None
        else:
            platform.delete_context()
        # Detach the parts already freed, so pyrender's own finaliser finds nothing to delete twice.
        self._renderer._renderer = None
        self._renderer._platform = None
        self._renderer = None
