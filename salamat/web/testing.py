"""Test helpers for the camera buttons: what a phone camera would film, as a video file that
Chromium's fake camera plays (``--use-file-for-fake-video-capture``)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter


def datamatrix_image(text: str, *, scale: int = 5) -> Image.Image:
    """A DataMatrix of `text`, `scale` pixels a module, as zxing-cpp draws it for the stickers.

    A GS1 element string (``01…``, GS between variable-length elements) becomes a real GS1
    DataMatrix: FNC1 first, FNC1 as the separators; anything else (a URL) plain text."""
    import zxingcpp

    from salamat import codes

    if text[:2].isdigit():
        symbol = zxingcpp.create_barcode(codes.render_hri(codes.parse(text)), zxingcpp.BarcodeFormat.DataMatrix,
                                         gs1=True, force_square=True)  # fmt: skip
    else:
        symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix, force_square=True)
    return Image.fromarray(symbol.to_image(scale=scale, add_quiet_zones=True)).convert("RGB")


def camera_scene(
    symbol: Image.Image, *, size: tuple[int, int] = (640, 480), angle: float = 9.0
) -> Image.Image:
    """The symbol as a phone sees it on a package: on a pale carton with printing, a little off
    the middle of the picture, turned by `angle` degrees, slightly out of focus, 640×480."""
    table = (196, 188, 170)
    frame = Image.new("RGB", size, table)
    carton = Image.new("RGB", (int(size[0] * 0.75), int(size[1] * 0.7)), (246, 244, 238))
    draw = ImageDraw.Draw(carton)
    draw.rectangle((0, 0, carton.width - 1, 24), fill=(40, 96, 160))  # a coloured band
    for i, line in enumerate(("Amoxidemo 625 mg", "film-coated tablets", "N 14")):
        draw.text((12, 34 + 16 * i), line, fill=(30, 30, 30))
    middle = (carton.width // 2 + carton.width // 8, carton.height // 2 + carton.height // 10)
    carton.paste(symbol, (middle[0] - symbol.width // 2, middle[1] - symbol.height // 2))
    carton = carton.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=table)
    frame.paste(carton, ((size[0] - carton.width) // 2, (size[1] - carton.height) // 2))
    return frame.filter(ImageFilter.GaussianBlur(0.8))


def write_y4m(image: Image.Image, path: Path, *, frames: int = 10) -> Path:
    """`image` as a still Y4M video (4:2:0), the format Chromium's fake camera reads."""
    width, height = image.width // 2 * 2, image.height // 2 * 2
    y, cb, cr = image.convert("RGB").crop((0, 0, width, height)).convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path
