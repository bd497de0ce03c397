"""The emulator's HTTP server: one thread per connection, keep-alive (HTTP/1.1).

An AWS request goes: parsed into a Call → routed to its key's moto account → an injected
fault, if the key has one planned → the patches' hooks (registry.py) around the forward to
moto → the answer, counted. `/__berth/...` goes to the control API instead."""

import signal
import socket
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import compute, control, faults, sigv4, upstream
from . import patches  # noqa: F401  (importing it registers every patch)
from .compute import control as compute_control  # noqa: F401  (registers /__berth/compute...)
from .compute.supervisor import SUPERVISOR
from .accounts import ACCOUNTS
from .faults import FAULTS
from .registry import REGISTRY
from .request import SIGN_AS_ACCOUNT, Call
from .responses import aws_error

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "content-length", "server", "date"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "berth-emulator-proxy"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("proxy: " + (fmt % args) + "\n")

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def dispatch(self):
        body = self.read_body()
        if self.path.startswith(control.PREFIX):
            return self.reply(control.handle(self.command, self.path, body))
        self.reply(self.answer(body))

    def answer(self, body):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        call = Call(self.command, self.path, self.headers, body)
        if call.access_key and not any(k.lower() == "x-moto-account-id" for k in headers):
            # Without this header moto finds the account by scanning every account's IAM
            # state, creating (and loading managed policies into) each one on the way:
            # seconds per account. The emulator knows the keys it saw created.
            call.account = ACCOUNTS.account_of(call.access_key)
            headers["x-moto-account-id"] = call.account
        fault, slow = FAULTS.next_fault(call) if call.access_key else (None, 0)
        injected = faults.injected_answer(call, fault)
        if injected is not None:
            return injected
        if fault == "slow":
            time.sleep(slow)

        def forward():
            FAULTS.forwarded(call)
            new_body = call.forward_body
            secret = ACCOUNTS.secret_of(call.access_key)
            if secret and call.is_form:
                new_body = sigv4.moto_form_encoding(new_body)
            if call.notes.get(SIGN_AS_ACCOUNT):
                # A patch decided the caller's permission itself (moto would decide it wrongly).
                sent = upstream.internal_headers(call, call.service, {k: v for k, v in headers.items()
                                                                      if k.lower() == "content-type"}, new_body)
            else:
                sent = headers if new_body == body else sigv4.resigned_headers(call, headers, new_body, secret)
            return upstream.send(self.command, self.path, sent, new_body)

        try:
            answer = REGISTRY.handle(call, forward)
        except Exception as error:  # a patch's own call to moto failed: say so, as moto would
            answer = aws_error(call, 500, "InternalError", f"emulator proxy: {error}")
        FAULTS.answered(call, answer.status)
        # Outside every patch (the client-token cache keeps the real answer for a retry).
        return faults.lose_answer(fault) if fault in faults.LOST_ANSWERS else answer

    def reply(self, response):
        if response.reset:
            return self.reset()
        if response.closed:
            self.close_connection = True
            return self.connection.shutdown(socket.SHUT_RDWR)
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def reset(self):
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, verbose=False):
        super().__init__(address, Handler)
        self.verbose = verbose


def serve(host, port, upstream_url, verbose=False, compute_everywhere=False):
    upstream.configure(upstream_url)
    server = Server((host, port), verbose)
    compute.configure(f"http://127.0.0.1:{server.server_address[1]}", compute_everywhere)
    # SIGTERM (scripts/emulator/stop) ends the emulator cleanly: its sandboxes go first. Even a
    # SIGKILL leaves none behind (compute/sandbox.py).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    finally:
        SUPERVISOR.shutdown()
        compute.SETTINGS.remove_files()

