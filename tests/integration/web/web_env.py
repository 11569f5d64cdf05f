"""Starting blemon-web against a tools_env.Store and talking HTTP to it (standard library only)."""

import http.client
import os
import re
import subprocess
import sys
import time
from urllib.parse import parse_qsl  # noqa: F401  (used by the tests)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import tools_env  # noqa: E402  (the stores and fixture of the tools tests)


class WebServer:
    """blemon-web on a free port; `extra_config` is appended to the store's config file."""

    def __init__(self, store, extra_config="", env_extra=None, base_config=None, tls_ca=None):
        self.store = store
        self.config = os.path.join(store.tmp, "web.toml")
        self.tls_context = None
        if tls_ca:
            import ssl
            self.tls_context = ssl.create_default_context(cafile=tls_ca)
        with open(base_config or store.config_path) as f:
            base = f.read()
        store.write_config(base + "\n" + extra_config, self.config)
        env = dict(os.environ, TZ=tools_env.TZ)
        env.update(env_extra or {})
        self.log_path = os.path.join(store.tmp, "web.log")
        self.log = open(self.log_path, "w+b")
        self.proc = subprocess.Popen([store.binary("blemon-web"), "-c", self.config, "--port", "0"],
                                     stdout=self.log, stderr=self.log, env=env)
        self.url = self._wait_for_url()
        match = re.match(r"https?://([^/]+):(\d+)/", self.url)
        self.host, self.port = match.group(1), int(match.group(2))

    def _wait_for_url(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
            match = re.search(r"serving (\S+)", text)
            if match:
                return match.group(1)
            if self.proc.poll() is not None:
                raise AssertionError(f"blemon-web exited {self.proc.returncode}:\n{text}")
            time.sleep(0.05)
        raise AssertionError("blemon-web did not start within 20 s")

    def get(self, path, headers=None, timeout=30):
        """(status, headers dict with lower-case names, body bytes)."""
        if self.tls_context:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=self.tls_context)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            conn.close()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def query_of(args):
    """blemon-report's arguments as (report kind, API query string)."""
    names = {"-s": "start_date", "--start-date": "start_date", "-e": "end_date",
             "--end-date": "end_date", "-m": "monitor", "--monitor": "monitor", "--hours": "hours",
             "-f": "format", "--format": "format", "--now": "now", "--confidence": "confidence"}
    kind, params, i = "hourly", [], 0
    while i < len(args):
        if args[i] == "--report":
            kind = args[i + 1]
        else:
            params.append((names[args[i]], args[i + 1]))
        i += 2
    from urllib.parse import urlencode
    return kind, urlencode(params)


def finish(store, server, failures, success):
    """Stops the server, drops the store, prints the verdict; returns the exit code."""
    if server:
        server.stop()
    store.drop()
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print(success)
    return 1 if failures else 0
