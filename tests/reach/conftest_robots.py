"""The robots helper's fixtures (imported explicitly by tests/reach/test_wecom.py and test_robot_delivery.py): a
local 企业微信 robot webhook that records every request and answers as the test asks."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


class Receiver(BaseHTTPRequestHandler):
    """A robot's webhook: records every request and answers what the test asked for by the URL's key."""

    def do_POST(self):    # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.server.received.append({"method": "POST", "path": self.path, "body": body,
                                     "content_type": self.headers.get("Content-Type", "")})
        answer = self.server.answer
        if answer == "slow":
            self.server.release.wait(5)
            answer = {"errcode": 0, "errmsg": "ok"}
        if isinstance(answer, int):
            self.send_response(answer)
            self.end_headers()
            self.wfile.write(b"error page")
            return
        if answer == "redirect":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.end_headers()
            return
        payload = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):     # noqa: N802
        self.server.received.append({"method": "GET", "path": self.path})
        self.send_response(405)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def robot_server(app, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.answer, server.release = [], {"errcode": 0, "errmsg": "ok"}, threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "WECOM_ALLOWED_HOSTS", "127.0.0.1")
    server.url = f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key={KEY}"
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def only_request(server) -> dict:
    """The one request the receiver got, checked as the robot's documentation describes it; its JSON body."""
    assert len(server.received) == 1, server.received
    request = server.received[0]
    assert request["method"] == "POST"
    assert request["path"] == f"/cgi-bin/webhook/send?key={KEY}"
    assert request["content_type"].split(";")[0].strip() == "application/json"
    return json.loads(request["body"].decode("utf-8"))
