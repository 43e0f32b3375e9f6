"""The steps of the reach journey (tests/e2e/test_reach_journey.py): a local 企业微信 receiver, the worker run as
its command, the file backend's SMS lines, and the moves the journey repeats (signing in, a page at two widths)."""
import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
NARROW = {"width": 360, "height": 780}       # the smallest phone the resident pages are made for (DESIGN §11)


class Receiver:
    """A 企业微信 group robot's webhook on 127.0.0.1: records each POST (path, content type, JSON body) and answers
    as the robot does when a message is taken, ``{"errcode": 0, "errmsg": "ok"}``."""

    def __init__(self):
        self.posts: list[dict] = []
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):   # noqa: N802 — http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                posts.append({"path": self.path, "content_type": self.headers.get("Content-Type", ""),
                              "body": json.loads(body.decode("utf-8"))})
                answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def webhook(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?key={key}"

    def texts(self) -> list[str]:
        return [post["body"].get("text", {}).get("content", "") for post in self.posts]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def worker_burst(env: dict) -> str:
    """``flask --app app worker --burst`` as an operator runs it, against the journey's database and settings;
    its summary line ("Delivered: …") is returned."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "worker", "--burst"], cwd=ROOT,
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def sms_lines(path: Path) -> list[dict]:
    """Every SMS the file backend wrote, oldest first (one JSON object a line, DESIGN §8)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sign_in(page, server: str, username: str, password: str):
    page.goto(f"{server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/staff$"))
    return page


def shots(shot, page, name: str, narrow: bool = False):
    """The page at the phone's width (412 px) and, when ``narrow``, at 360 px too (``<name>-360``), where nothing may
    stick out sideways."""
    shot(page, name)
    if narrow:
        wide = page.viewport_size
        page.set_viewport_size(NARROW)
        try:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= NARROW["width"], f"{name}: the page is {width} px wide at 360 px"
            shot(page, f"{name}-360")
        finally:
            page.set_viewport_size(wide)
