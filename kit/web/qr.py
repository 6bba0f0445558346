"""QR codes of the join link: an SVG for the screen, text blocks for the terminal."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg


def _code(url: str) -> qrcode.QRCode:
    # medium error correction survives a projector's glare and a phone's shaky hand
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(url)
    code.make(fit=True)
    return code


def svg(url: str) -> str:
    """The QR code as an SVG document that scales to any size."""
    image = _code(url).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def terminal(url: str) -> str:
    """The QR code drawn with block characters, dark on light, for `kit serve`'s output."""
    out = io.StringIO()
    _code(url).print_ascii(out=out, invert=True)
    return out.getvalue()
