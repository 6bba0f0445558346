"""A file that a page offers: its text, its type and the name a browser saves it under."""

from __future__ import annotations

from flask import Response


def file_response(body: str | bytes, content_type: str, filename: str, *, attachment: bool = False) -> Response:
    """`body` as a file named `filename`: saved at once (`attachment`), or shown by the browser
    first (inline: a text to copy from, a calendar handed to its app)."""
    response = Response(body, content_type=content_type)
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
