"""A local HTTP server playing the robot, SMS and webhook endpoints.

It records every request, can stall a request until released (to kill a
worker mid-send), and answers like the real services do.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Hit:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode()))


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    hits: list[Hit] = field(default_factory=list)
    stall: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    status: int = 200

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def outbox_ids(self) -> list[str]:
        return [h.headers.get("X-Gongdan-Outbox-Id", "") for h in self.hits]


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            parts = urllib.parse.urlsplit(self.path)
            hit = Hit(
                path=parts.path,
                query=dict(urllib.parse.parse_qsl(parts.query)),
                headers=dict(self.headers.items()),
                body=self.rfile.read(length),
            )
            receiver.hits.append(hit)
            receiver.arrived.set()
            if receiver.stall is not None:
                receiver.stall.wait(30)
            if parts.path.startswith("/sms"):
                answer = {"Code": "OK", "Message": "OK", "BizId": "1"}
            elif parts.path.startswith("/feishu"):
                answer = {"code": 0, "msg": "success"}
            else:
                answer = {"errcode": 0, "errmsg": "ok"}
            payload = json.dumps(answer).encode()
            try:
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender died while we stalled

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server=server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
