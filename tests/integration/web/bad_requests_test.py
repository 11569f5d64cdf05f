#!/usr/bin/python3
"""Bad requests against blemon-web on SQLite: unknown parameters, malformed dates and numbers,
huge headers, slow clients, wrong credentials, other methods, too many event streams, and config
mistakes. Each gets a clear 4xx (problem details naming the parameter where there is one) or
exit 78, and the server keeps answering good requests throughout. Also: HTTPS with the [web] TLS
files, and a database that is away (503, then answers once it is there).

    bad_requests_test.py BIN_DIR
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import web_env
from web_env import tools_env

TOKEN = "0123456789abcdef0123456789abcdef"
GOOD = "/api/v1/reports/hourly?start_date=2026-02-22&end_date=2026-02-22"


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def expect_problem(server, path, status, parameter, failures, headers=None):
    got, response_headers, body = server.get(path, headers)
    if got != status:
        failures.append(f"{path}: status {got}, expected {status}: {body[:300]!r}")
        return None
    if not response_headers.get("content-type", "").startswith("application/problem+json"):
        failures.append(f"{path}: content-type {response_headers.get('content-type')}")
        return None
    problem = json.loads(body)
    if problem.get("status") != status or not problem.get("detail"):
        failures.append(f"{path}: problem lacks status/detail: {problem}")
    if parameter and problem.get("parameter") != parameter:
        failures.append(f"{path}: names {problem.get('parameter')!r}, expected {parameter!r}")
    return response_headers


def check_parameters(server, failures):
    cases = [
        ("/api/v1/reports/hourly?colour=red", "colour"),
        ("/api/v1/reports/hourly?start_date=2026-02-30", "start_date"),
        ("/api/v1/reports/hourly?start_date=22.02.2026", "start_date"),
        ("/api/v1/reports/devices?end_date=2026-13-01", "end_date"),
        ("/api/v1/reports/hourly?start_date=2026-02-23&end_date=2026-02-22", "end_date"),
        ("/api/v1/reports/monitors?hours=0", "hours"),
        ("/api/v1/reports/monitors?hours=12abc", "hours"),
        ("/api/v1/reports/monitors?hours=1&hours=2", "hours"),
        ("/api/v1/reports/hourly?format=xml", "format"),
        ("/api/v1/reports/hourly?now=yesterday", "now"),
        ("/api/v1/rooms/now?monitor=kitchen", "monitor"),
        ("/api/v1/reports/rooms?confidence=sure", "confidence"),
        ("/api/v1/reports/devices?confidence=high,", "confidence"),
        ("/api/v1/reports/hourly?confidence=high", "confidence"),
        ("/api/v1/devices/not-a-mac/track", "mac"),
        ("/api/v1/devices/AA:BB:CC:00:00:01/track?limit=0", "limit"),
        ("/api/v1/fleet?top=1000", "top"),
        ("/metrics?debug=1", "debug"),
    ]
    for path, parameter in cases:
        expect_problem(server, path, 400, parameter, failures)
    expect_problem(server, "/api/v1/reports/weekly", 404, None, failures)
    expect_problem(server, "/api/v2/fleet", 404, None, failures)
    expect_problem(server, "/assets/..%2f..%2fetc%2fpasswd", 404, None, failures)


def raw_exchange(server, data, timeout=10):
    """Sends raw bytes, returns what the server answers until it closes (or timeout)."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except socket.timeout:
            pass
        return b"".join(chunks)


def check_protocol_abuse(server, failures):
    # A 20 KiB header line and a 20 KiB URI: refused, not read into memory without bound.
    answer = raw_exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 +
                          b"\r\n\r\n")
    if not answer.startswith(b"HTTP/1.1 4"):
        failures.append(f"huge header: {answer[:100]!r}")
    answer = raw_exchange(server, b"GET /?" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    if not answer.startswith(b"HTTP/1.1 4"):
        failures.append(f"huge URI: {answer[:100]!r}")
    answer = raw_exchange(server, b"NONSENSE\r\n\r\n")
    if not answer.startswith(b"HTTP/1.1 400"):
        failures.append(f"garbage request line: {answer[:100]!r}")
    # Methods other than GET/HEAD: 405 with Allow.
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/fleet HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                     b"Connection: close\r\n\r\n{}")
        answer = sock.recv(65536)
    if not answer.startswith(b"HTTP/1.1 405") or b"Allow: GET, HEAD" not in answer:
        failures.append(f"POST: {answer[:200]!r}")
    # A large body: refused before it is read (405: nothing here takes a body; 413 would be
    # web.max_request_bytes).
    answer = raw_exchange(server, b"POST /api/v1/fleet HTTP/1.1\r\nHost: x\r\nContent-Length: "
                          b"100000\r\nConnection: close\r\n\r\n" + b"x" * 100000)
    if not (answer.startswith(b"HTTP/1.1 405") or answer.startswith(b"HTTP/1.1 413")):
        failures.append(f"large body: {answer[:100]!r}")


def check_slow_clients(server, failures):
    # Slow clients (half a request line, then nothing) are cut off after request_timeout (2 s
    # here) and do not stop others from being served meanwhile.
    slow = []
    for _ in range(3):
        sock = socket.create_connection((server.host, server.port), timeout=30)
        sock.sendall(b"GET /api/v1/fle")
        slow.append(sock)
    started = time.monotonic()
    status, _, _ = server.get(GOOD)
    if status != 200:
        failures.append(f"with slow clients connected, a good request got {status}")
    for sock in slow:
        try:
            sock.recv(1024)  # "" (closed) or a 4xx, after the timeout
        except (socket.timeout, ConnectionResetError):
            pass
        sock.close()
    waited = time.monotonic() - started
    if waited > 15:
        failures.append(f"slow clients were held {waited:.0f} s (request_timeout_seconds = 2)")


def check_event_limit(server, failures):
    # max_event_clients = 2: a third stream is refused with 503 while two are open.
    streams = []
    for _ in range(2):
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        head = sock.recv(4096)
        if b"text/event-stream" not in head:
            failures.append(f"event stream: {head[:200]!r}")
        streams.append(sock)
    expect_problem(server, "/api/v1/events", 503, None, failures)
    status, _, _ = server.get(GOOD)
    if status != 200:
        failures.append(f"with two event streams open, a good request got {status}")
    for sock in streams:
        sock.close()


def check_auth(store, failures):
    auth = os.path.join(store.tmp, "web-auth")
    with open(auth, "w") as f:
        f.write(f"# readers\nbasic alice:s3cret:with:colons\nbearer {TOKEN}\n")
    os.chmod(auth, 0o640)
    config = os.path.join(store.tmp, "open.toml")
    with open(store.config_path) as f:
        store.write_config(f.read() + f'\n[web]\nauth_file = "{auth}"\n', config)
    result = store.run("blemon-web", "--port", "0", config=config, check=False)
    if result.returncode != 78 or b"chmod 600" not in result.stderr:
        failures.append(f"auth file 0640: exit {result.returncode}: {result.stderr!r}")
    os.chmod(auth, 0o600)
    server = web_env.WebServer(store, f'[web]\nauth_file = "{auth}"\n')
    try:
        headers = expect_problem(server, GOOD, 401, None, failures)
        if headers and "basic" not in headers.get("www-authenticate", "").lower():
            failures.append(f"401 without WWW-Authenticate: {headers}")
        expect_problem(server, GOOD, 401, None, failures, basic("alice", "wrong"))
        expect_problem(server, GOOD, 401, None, failures, basic("mallory", "s3cret:with:colons"))
        expect_problem(server, GOOD, 401, None, failures, {"Authorization": "Bearer nope"})
        expect_problem(server, "/", 401, None, failures, {"Authorization": "Basic !!!"})
        for headers in (basic("alice", "s3cret:with:colons"), {"Authorization": f"Bearer {TOKEN}"}):
            status, _, _ = server.get(GOOD, headers)
            if status != 200:
                failures.append(f"good credentials {headers}: {status}")
    finally:
        server.stop()


def check_tls(store, failures):
    """HTTPS with web.tls_cert/tls_key: a client trusting the certificate gets answers; plain
    HTTP to the same port gets none."""
    cert, key = os.path.join(store.tmp, "cert.pem"), os.path.join(store.tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    server = web_env.WebServer(store, f'[web]\ntls_cert = "{cert}"\ntls_key = "{key}"\n',
                               tls_ca=cert)
    try:
        if not server.url.startswith("https://"):
            failures.append(f"TLS server announces {server.url}")
        status, _, _ = server.get(GOOD)
        if status != 200:
            failures.append(f"HTTPS request: {status}")
        answer = raw_exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        if answer.startswith(b"HTTP/1.1 200"):
            failures.append("plain HTTP was answered on the HTTPS port")
    finally:
        server.stop()


def check_database_away(store, failures):
    """A store that is not there: 503 problem details with Retry-After, the server stays up, and
    answers once the database appears."""
    missing = os.path.join(store.tmp, "later.db")
    config = os.path.join(store.tmp, "later.toml")
    store.write_config(f'[database]\nbackend = "sqlite"\npath = "{missing}"\n', config)
    server = web_env.WebServer(store, "", base_config=config)
    try:
        headers = expect_problem(server, GOOD, 503, None, failures)
        if headers and headers.get("retry-after") != "30":
            failures.append(f"503 without Retry-After: {headers}")
        shutil.copyfile(store.db_path, missing)
        status, _, _ = server.get(GOOD)
        if status != 200:
            failures.append(f"once the database is there: {status}")
    finally:
        server.stop()


def check_config_errors(store, failures):
    for text, key in (("[web]\nport = 99999\n", "web.port"),
                      ("[web]\ntls_cert = \"/nonexistent.pem\"\n", "web.tls_cert"),
                      ("[web]\nlisten_adress = \"0.0.0.0\"\n", "web.listen_adress"),
                      ("[web]\ntls_cert = \"/nonexistent/c.pem\"\ntls_key = \"/nonexistent/k.pem\"\n",
                       "web.tls_cert"),
                      ("[web]\nthreads = 4\nmax_event_clients = 4\n", "web.max_event_clients")):
        config = os.path.join(store.tmp, "bad.toml")
        with open(store.config_path) as f:
            store.write_config(f.read() + "\n" + text, config)
        result = store.run("blemon-web", "--port", "0", config=config, check=False)
        err = result.stderr.decode(errors="replace")
        if result.returncode != 78 or key not in err or "bad.toml:" not in err:
            failures.append(f"{text!r}: exit {result.returncode}, stderr {err!r}")


def main():
    bin_dir = sys.argv[1]
    store = tools_env.Store("sqlite", bin_dir, "webbad")
    failures = []
    server = None
    try:
        store.load_fixture()
        server = web_env.WebServer(store, "[web]\nrequest_timeout_seconds = 2\nthreads = 6\n"
                                          "max_event_clients = 2\nmax_request_bytes = 1024\n")
        check_parameters(server, failures)
        check_protocol_abuse(server, failures)
        check_slow_clients(server, failures)
        check_event_limit(server, failures)
        status, _, _ = server.get(GOOD)
        if status != 200 or not server.alive():
            failures.append(f"after all that the server answers {status}, alive {server.alive()}")
        if server.stop() != 0:
            failures.append("blemon-web did not exit 0 on SIGTERM")
        server = None
        check_auth(store, failures)
        check_tls(store, failures)
        check_database_away(store, failures)
        check_config_errors(store, failures)
    except BaseException:
        web_env.finish(store, server, failures, "")
        raise
    return web_env.finish(store, server, failures,
                          "every bad request got its 4xx and the server kept serving")


if __name__ == "__main__":
    sys.exit(main())
