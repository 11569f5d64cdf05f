#!/usr/bin/python3
"""Local alert receivers for the notify tests: an HTTPS webhook receiver and an SMTP server
(aiosmtpd, STARTTLS required, AUTH PLAIN/LOGIN only after STARTTLS), both on 127.0.0.1 at free
ports with certificates of a test CA made here (openssl).

    receivers.py DIR [--http-failures N] [--smtp-failures N]

The webhook answers 500 to its first N requests, then 200 (410 always on /gone); the SMTP server answers 451 to the
first N messages, then 250. Every request and message is appended, as one JSON line, to
DIR/http.jsonl or DIR/mail.jsonl (with the status given). DIR/ready.env (KEY=value) says
http_port, smtp_port, ca_cert, smtp_user, smtp_password once both listen. Runs until SIGTERM.
"""
import argparse
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword, SMTP

SMTP_USER = "blemon"
SMTP_PASSWORD = "smtp-secret"


def make_certs(d):
    def run(*args):
        subprocess.run(args, cwd=d, check=True, capture_output=True)

    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "30", "-subj", "/CN=blemon receivers CA", "-keyout", "ca-key.pem",
        "-out", "ca.pem")
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-subj", "/CN=localhost", "-keyout", "server-key.pem", "-out", "server.csr")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
        "-CAcreateserial", "-days", "30", "-extfile", "server.ext", "-out", "server.pem")


def append(path, record):
    with open(path, "a") as f:
        f.write(json.dumps(record) + "\n")


def serve_http(d, failures, context):
    count = {"n": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                count["n"] += 1
                status = 500 if count["n"] <= failures else 200
                if self.path == "/gone":
                    status = 410
                append(os.path.join(d, "http.jsonl"),
                       {"status": status, "path": self.path, "headers": dict(self.headers),
                        "body": body.decode("utf-8")})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


class MailHandler:
    def __init__(self, d, failures):
        self.d = d
        self.failures = failures
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        status = "451 Try again later" if self.count <= self.failures else "250 OK"
        append(os.path.join(self.d, "mail.jsonl"),
               {"status": status, "from": envelope.mail_from, "to": envelope.rcpt_tos,
                "tls": session.ssl is not None,
                "authenticated": session.authenticated,
                "content": envelope.content.decode("utf-8")})
        return status


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER
          and auth_data.password.decode() == SMTP_PASSWORD)
    return AuthResult(success=ok)


class TlsController(Controller):
    def __init__(self, handler, context, **kwargs):
        self.context = context
        super().__init__(handler, hostname="127.0.0.1", port=0, **kwargs)

    def factory(self):
        return SMTP(self.handler, tls_context=self.context, require_starttls=True,
                    authenticator=authenticator, auth_require_tls=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--http-failures", type=int, default=0)
    parser.add_argument("--smtp-failures", type=int, default=0)
    args = parser.parse_args()
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    make_certs(d)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server-key.pem"))

    http_port = serve_http(d, args.http_failures, context)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    smtp_port = probe.getsockname()[1]
    probe.close()
    controller = TlsController(MailHandler(d, args.smtp_failures), context)
    controller.port = smtp_port
    controller.start()

    with open(os.path.join(d, "ready.env.tmp"), "w") as f:
        f.write(f"http_port={http_port}\nsmtp_port={smtp_port}\n"
                f"ca_cert={os.path.join(d, 'ca.pem')}\n"
                f"smtp_user={SMTP_USER}\nsmtp_password={SMTP_PASSWORD}\n")
    os.rename(os.path.join(d, "ready.env.tmp"), os.path.join(d, "ready.env"))

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
