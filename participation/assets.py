"""Static files (CSS, scripts) sent gzipped like the pages, for phones on slow networks.

Flask-Compress compresses only buffered responses here (``COMPRESS_STREAMS`` is off: it re-wraps a streamed body
without closing the file behind it). A static file is streamed, so it used to go out as it lies on disk, the
largest part of a resident page's weight. This hook reads a compressible static file into memory — they are a few
KB, plotly about 1 MB, and the file is closed at once — so that Flask-Compress, whose hook runs after this one, gzips it. Behind
nginx the proxy serves ``/static`` itself (docs/deploy.md) and this never runs.
"""
from flask import Flask, Response, request


def init_app(app: Flask) -> None:
    """Register after ``compress.init_app``: after-request hooks run last registered first, so this one runs
    before Flask-Compress looks at the response."""
    compressible = set(app.config.get("COMPRESS_MIMETYPES", ()))

    @app.after_request
    def buffer_static_file(response: Response) -> Response:
        if (request.endpoint == "static" and response.status_code == 200 and response.direct_passthrough
                and response.mimetype in compressible):
            body = response.response
            try:
                data = b"".join(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
            response.direct_passthrough = False
            response.set_data(data)
        return response
