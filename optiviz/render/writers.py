"""The writer registry: the file suffix picks the writer (``.gif``, ``.mp4``, ``.html``, ``.png``, ...).

Each writer is a function ``write(source, path, opts)`` that writes to ``path`` (a temporary file that
``save`` renames into place once the writer returns). ``source`` is an ``Animation`` or a still ``Figure``.
Availability (ffmpeg) is checked only when that writer is asked for, as matplotlib's writer registry does.
A plugin can add a format through the entry-point group ``optiviz.writers``.
"""
from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import RenderError
from ..registry import Registry
from . import style
from .frames import TRANSPARENT, FrameRenderer, Palette, reserved_colors
from .progress import Progress

registry: Registry["Writer"] = Registry("writers")


@dataclass(frozen=True)
class Options:
    fps: float
    dpi: float
    progress: Progress


@dataclass(frozen=True)
class Writer:
    name: str
    write: Callable[[Any, Path, Options], None]
    animates: bool = True  # writes every frame (False: one picture)
    stills: bool = True  # accepts a still Figure
    check: Callable[[], None] | None = None  # raise RenderError when unavailable
    description: str = ""


def register(name: str, *, animates: bool = True, stills: bool = True, check=None, description: str = ""):
    def deco(fn):
        registry.register(name, Writer(name, fn, animates, stills, check, description))
        return fn

    return deco


def _scene_of(source: Any):
    scene = getattr(source, "scene", None)
    if scene is None:
        raise RenderError(f"cannot write frames of a {type(source).__name__}; give the result of ov.animate")
    return scene


# ------------------------------------------------------------------------------------------------ GIF

def _gif_header(w: int, h: int, palette: Palette, comment: str = "") -> bytes:
    # GIF89a, logical screen, global colour table of 256 entries (flags 0xF7), then loop forever (NETSCAPE2.0),
    # then the comment extension (0x21 0xFE, sub-blocks of at most 255 bytes) carrying the full configuration
    head = (b"GIF89a" + struct.pack("<HHBBB", w, h, 0xF7, 0, 0) + palette.flat()
            + b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00")
    if comment:
        raw = comment.encode("utf-8")
        head += b"!\xfe" + b"".join(bytes([len(raw[i:i + 255])]) + raw[i:i + 255]
                                    for i in range(0, len(raw), 255)) + b"\x00"
    return head


def _lzw(sub: np.ndarray, offset: tuple[int, int], params: dict) -> list[bytes]:
    from PIL import GifImagePlugin, Image

    return GifImagePlugin.getdata(Image.fromarray(sub, "L"), offset, **params)


class GifStream:
    """Write GIF frames as they come: each frame only the rectangle that changed since the previous one, with
    the unchanged pixels inside it set to the transparent index (disposal 1: keep the previous frame).

    Changes are found on the raw RGBA words (one compare per pixel), and only the changed pixels are mapped to
    the palette, so a frame costs about what its few new path segments cost. Pillow's LZW coder releases the
    GIL, so it runs on a worker thread while the next frame is drawn; frames are written strictly in order.
    """

    def __init__(self, f, palette: Palette, size: tuple[int, int], *, threaded: bool = True,
                 comment: str = "") -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.f, self.palette = f, palette
        self.prev: np.ndarray | None = None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="optiviz-gif") if threaded else None
        self.pending: list = []
        f.write(_gif_header(size[0], size[1], palette, comment))

    def add(self, rgba: np.ndarray, duration_cs: int) -> None:
        words = np.ascontiguousarray(rgba).view(np.uint32)[..., 0]  # (H, W) one 32-bit word per pixel
        params: dict[str, Any] = {"duration": duration_cs * 10, "disposal": 1}
        if self.prev is None:
            sub = self.palette.lookup(words.ravel() & np.uint32(0xFFFFFF)).reshape(words.shape)
            offset = (0, 0)
            self.prev = words.copy()
        else:
            changed = words != self.prev
            rows = np.flatnonzero(changed.any(axis=1))
            if rows.size == 0:
                sub, offset = np.full((1, 1), TRANSPARENT, np.uint8), (0, 0)
            else:
                band = changed[rows[0]:rows[-1] + 1]
                cols = np.flatnonzero(band.any(axis=0))
                r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
                mask = changed[r0:r1, c0:c1]
                sub = np.full(mask.shape, TRANSPARENT, np.uint8)
                sub[mask] = self.palette.lookup(words[r0:r1, c0:c1][mask] & np.uint32(0xFFFFFF))
                offset = (int(c0), int(r0))
                np.copyto(self.prev[r0:r1, c0:c1], words[r0:r1, c0:c1])
            params["transparency"] = TRANSPARENT
        if self.pool is None:
            self._write(_lzw(sub, offset, params))
            return
        self.pending.append(self.pool.submit(_lzw, sub, offset, params))
        while self.pending and (self.pending[0].done() or len(self.pending) > 8):  # in order, bounded memory
            self._write(self.pending.pop(0).result())

    def _write(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.f.write(chunk)

    def close(self) -> None:
        """Write the frames still being coded and the trailer."""
        try:
            while self.pending:
                self._write(self.pending.pop(0).result())
            self.f.write(b";")
        finally:
            self.abort()

    def abort(self) -> None:
        if self.pool is not None:
            for fut in self.pending:
                fut.cancel()
            self.pool.shutdown(wait=True)
            self.pool = None
        self.pending = []


def gif_durations(n: int, fps: float, hold_cs: int = 150) -> list[int]:
    """Frame delays in centiseconds whose running sum tracks k * 100 / fps (GIF has 10 ms resolution);
    the last frame is held a little longer so a looping GIF shows the end."""
    edges = [round(k * 100.0 / fps) for k in range(n + 1)]
    d = [max(2, b - a) for a, b in zip(edges, edges[1:])]  # browsers slow delays under 2 cs down to 10
    d[-1] += hold_cs
    return d


@register("gif", stills=False, description="animated GIF (Pillow's LZW, one fixed palette)")
def write_gif(source: Any, path: Path, opts: Options) -> None:
    scene = _scene_of(source)
    with FrameRenderer(scene, opts.dpi) as fr:
        n = scene.n_frames
        last = fr.render(n - 1).copy()
        palette = Palette.build([fr.background, last], reserved_colors(scene))
        durations = gif_durations(n, opts.fps) if n > 1 else [0]
        with open(path, "wb") as f:
            gif = GifStream(f, palette, fr.size, comment=style.description(scene.fig))
            try:
                for k in range(n):
                    gif.add(fr.render(k), durations[k])
                    opts.progress.update()
                gif.close()
            finally:
                gif.abort()


# ------------------------------------------------------------------------------------------------ PNG

@register("png", animates=False, description="PNG of the final frame")
def write_png(source: Any, path: Path, opts: Options) -> None:
    from PIL import Image

    from PIL.PngImagePlugin import PngInfo

    scene = getattr(source, "scene", None)
    if scene is None:  # a still figure
        text = style.description(source)
        source.savefig(path, format="png", dpi=opts.dpi,
                       metadata={"Software": None, **({"Description": text} if text else {})})
        return
    info = PngInfo()
    if style.description(scene.fig):
        info.add_itxt("Description", style.description(scene.fig))  # iTXt: the configuration may hold any text
    with FrameRenderer(scene, opts.dpi) as fr:
        rgba = fr.render(scene.n_frames - 1)
        Image.fromarray(np.ascontiguousarray(rgba[..., :3]), "RGB").save(path, format="PNG", optimize=True,
                                                                          pnginfo=info)
    opts.progress.update(opts.progress.total)


def _savefig_writer(fmt: str):
    def write(source: Any, path: Path, opts: Options) -> None:
        scene = getattr(source, "scene", None)
        if scene is not None:
            with FrameRenderer(scene, opts.dpi):
                pass
            scene.update(scene.n_frames - 1)
            fig = scene.fig
        else:
            fig = source
        meta = {"Creator": None, "Producer": None, "CreationDate": None} if fmt == "pdf" else {"Date": None}
        if style.description(fig):
            meta["Subject" if fmt == "pdf" else "Description"] = style.description(fig)
        with style.saving(fig):
            fig.savefig(path, format=fmt, dpi=opts.dpi, metadata=meta)
        opts.progress.update(opts.progress.total)

    return write


register("svg", animates=False, description="SVG of the final frame")(_savefig_writer("svg"))
register("pdf", animates=False, description="PDF of the final frame")(_savefig_writer("pdf"))


# ------------------------------------------------------------------------------------------------ MP4

def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RenderError("saving .mp4 needs ffmpeg: pip install 'optiviz[mp4]'") from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # the wheel is there but its binary is not usable on this machine
        raise RenderError(f"saving .mp4 needs ffmpeg, and imageio-ffmpeg has none usable here ({exc}); "
                          "pip install 'optiviz[mp4]'") from None


def _check_mp4() -> None:
    ffmpeg_exe()


@register("mp4", stills=False, check=_check_mp4, description="H.264 video (ffmpeg from imageio-ffmpeg)")
def write_mp4(source: Any, path: Path, opts: Options) -> None:
    scene = _scene_of(source)
    exe = ffmpeg_exe()
    with FrameRenderer(scene, opts.dpi) as fr:
        w, h = fr.size
        cmd = [exe, "-hide_banner", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{w}x{h}", "-r", f"{opts.fps:g}", "-i", "-",
               # yuv420p needs even sides: pad with white
               "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:0:0:white", "-an",
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-tune", "animation", "-pix_fmt", "yuv420p",
               "-threads", "1",  # one thread: the same frames always give the same bytes
               "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
               *(("-metadata", f"comment={style.description(scene.fig)}") if style.description(scene.fig) else ()),
               "-movflags", "+faststart", "-f", "mp4", str(path)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for k in range(scene.n_frames):
                proc.stdin.write(fr.render(k))
                opts.progress.update()
            proc.stdin.close()
            err = proc.stderr.read().decode(errors="replace")
            rc = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            if proc.stderr:
                proc.stderr.close()
        if rc != 0:
            first = (err.strip().splitlines() or ["no message"])[-1]
            raise RenderError(f"ffmpeg failed writing {path.name}: {first}")


# ------------------------------------------------------------------------------------------------ HTML

@register("html", description="self-contained page: one background image, paths animated in the page")
def write_html(source: Any, path: Path, opts: Options) -> None:
    from . import html

    scene = getattr(source, "scene", None)
    if scene is None:  # a still: the picture in a page
        import base64
        import io

        buf = io.BytesIO()
        source.savefig(buf, format="png", dpi=opts.dpi, metadata={"Software": None})
        img = base64.b64encode(buf.getvalue()).decode("ascii")
        from html import escape

        desc = escape(style.description(source))
        path.write_text("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>optiviz</title>"
                        f"<meta name=\"description\" content=\"{desc}\"></head><body>"
                        f"<img alt=\"optiviz plot\" style=\"max-width:100%\" src=\"data:image/png;base64,{img}\">"
                        "</body></html>\n", encoding="utf-8")
        return
    with FrameRenderer(scene, opts.dpi) as fr:
        data = html.player_data(fr, opts.fps)
    from matplotlib.colors import to_hex

    path.write_text(html.page(data, scene.title, style.description(scene.fig), to_hex(scene.fig.get_facecolor())),
                    encoding="utf-8")
    opts.progress.update(opts.progress.total)
