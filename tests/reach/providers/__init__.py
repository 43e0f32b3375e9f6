"""Local stand-ins for the SMS providers that *check* every request the way the provider's documentation says its
gateway does — the parameters, the headers and the request signature, recomputed here from the documented
algorithm with the test's secret (never with the SDK's own signer) — and answer in the provider's shapes.

The providers cannot be reached from the test machine, and a stand-in that accepted anything would only prove the
SDK can open a socket. Each server keeps what it saw (``requests``) and every check that failed (``problems``), so a
test asserts both that the adapter read the answer right and that the request itself was what the provider needs.
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Seen:
    """One request as the server received it."""

    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes):
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.raw_query = parts.query
        self.headers = {name.lower(): value for name, value in handler.headers.items()}
        self.body = body
        self.params: dict = {}           # the decoded business parameters, filled in by the provider's checks
        self.signature_valid = False

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


class CheckingServer:
    """An HTTP server on 127.0.0.1 (a free port) in a daemon thread, used as a context manager.

    Subclasses implement ``answer(seen) -> (status, content_type, body bytes)``. ``delay`` holds every answer back
    that many seconds (for timeouts); leaving the ``with`` block releases a held answer at once.
    """

    def __init__(self):
        self.requests: list[Seen] = []
        self.problems: list[str] = []
        self.delay = 0.0
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._httpd = None
        self._thread = None

    @property
    def endpoint(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{host}:{port}"

    def problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def answer(self, seen: Seen) -> tuple[int, str, bytes]:
        raise NotImplementedError

    def __enter__(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self, self.rfile.read(length) if length else b"")
                with server._lock:
                    server.requests.append(seen)
                status, content_type, body = server.answer(seen)
                if server.delay:
                    server._release.wait(server.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass      # the client gave up (a timeout test): nothing to answer

            do_GET = do_POST = _handle

            def log_message(self, format, *args):      # noqa: A002 — keep the test output clean
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        return False
