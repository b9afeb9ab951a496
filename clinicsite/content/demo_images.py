"""Pictures for the demo content, drawn here so no third-party image is ever shipped."""

from __future__ import annotations

import hashlib
import io
import math

from PIL import Image, ImageDraw

PALETTES = {
    "teal": ((11, 85, 99), (120, 190, 200), (241, 246, 247)),
    "amber": ((122, 62, 0), (240, 180, 90), (255, 244, 229)),
    "violet": ((70, 50, 120), (170, 150, 220), (244, 240, 252)),
    "green": ((30, 90, 50), (140, 200, 150), (238, 248, 240)),
}


def _seed(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def abstract_picture(
    name: str, palette: str = "teal", size: tuple[int, int] = (1600, 900)
) -> bytes:
    """A calm abstract illustration: soft gradient with overlapping circles (cells, loosely)."""
    dark, mid, light = PALETTES[palette]
    width, height = size
    img = Image.new("RGB", size, light)
    draw = ImageDraw.Draw(img)
    for y in range(height):
        t = y / height
        colour = tuple(
            int(light[i] * (1 - t) + mid[i] * t * 0.35 + light[i] * t * 0.65) for i in range(3)
        )
        draw.line([(0, y), (width, y)], fill=colour)
    seed = _seed(name)
    for i in range(14):
        angle = (seed % 360 + i * 47) * math.pi / 180
        radius = 60 + (seed >> (i % 16)) % 180
        cx = int(width / 2 + math.cos(angle) * width * (0.12 + 0.025 * i))
        cy = int(height / 2 + math.sin(angle) * height * (0.1 + 0.02 * i))
        colour = mid if i % 3 else dark
        draw.ellipse(
            [cx - radius, cy - radius, cx + radius, cy + radius], outline=colour, width=6 + i % 5
        )
        draw.ellipse([cx - 10, cy - 10, cx + 10, cy + 10], fill=colour)
    return _jpeg(img)


def portrait(name: str, palette: str = "teal", size: int = 600) -> bytes:
    """A faceless head-and-shoulders silhouette: clearly a placeholder, never a real face."""
    dark, mid, light = PALETTES[palette]
    img = Image.new("RGB", (size, size), light)
    draw = ImageDraw.Draw(img)
    draw.ellipse([size * 0.3, size * 0.16, size * 0.7, size * 0.56], fill=mid)
    draw.ellipse([size * 0.12, size * 0.6, size * 0.88, size * 1.3], fill=dark)
    offset = _seed(name) % 40
    draw.arc([offset, offset, size - offset, size - offset], 200, 340, fill=mid, width=8)
    return _jpeg(img)


def _jpeg(img: Image.Image) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=82, optimize=True, progressive=True)
    return buffer.getvalue()
