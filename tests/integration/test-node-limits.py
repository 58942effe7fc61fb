#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bodies the node refuses are never read. A POST that declares 1 GiB, or that is chunked, is
answered at once (413, 411) and its connection closed, while the sender is still sending; the
node's memory does not grow with what was sent, and it goes on serving others. Usage:
test-node-limits.py BUILD_ROOT"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def send_body(port, headers, mib):
    """Sends the headers and up to `mib` MiB of body; returns (MiB sent, reply bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(headers)
    chunk = b"x" * (1 << 20)
    sent = 0
    try:
        for _ in range(mib):
            s.sendall(chunk)
            sent += 1
    except OSError:
        pass  # the node closed the connection: what it should do
    try:
        reply = s.recv(4096)
    except OSError:
        reply = b""
    s.close()
    return sent, reply


def main():
    build = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="trb-limits-")
    url_file = os.path.join(work, "url")
    node = subprocess.Popen([os.path.join(build, "src", "node", "tributary-node"), "demo",
                             "--data", os.path.join(work, "node"), "--url-file", url_file])
    try:
        deadline = time.monotonic() + 60
        while not (os.path.exists(url_file) and os.path.getsize(url_file) > 0):
            assert time.monotonic() < deadline, "the node did not start"
            time.sleep(0.1)
        url = open(url_file, encoding="utf-8").read().strip()
        port = int(url.rsplit(":", 1)[1].rstrip("/"))
        before = rss_kib(node.pid)

        declared = (b"POST /v1/participants HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Length: 1073741824\r\n\r\n")
        sent, reply = send_body(port, declared, 300)
        print(f"declared 1 GiB: {sent} MiB sent before the node closed; reply {reply[:40]!r}")
        assert reply.startswith(b"HTTP/1.1 413"), reply
        assert sent < 300, "the node read 300 MiB of a body it refused"

        chunked = (b"POST /v1/participants HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n")
        sent, reply = send_body(port, chunked, 300)
        print(f"chunked: {sent} MiB sent before the node closed; reply {reply[:40]!r}")
        assert reply.startswith(b"HTTP/1.1 411"), reply
        assert sent < 300, "the node read 300 MiB of a chunked body"

        after = rss_kib(node.pid)
        print(f"node RSS {before} KiB before, {after} KiB after")
        assert after - before < 64 * 1024, (before, after)

        with urllib.request.urlopen(url + "/v1/network", timeout=10) as r:
            assert r.status == 200
        assert node.poll() is None, "the node ended"
    finally:
        node.terminate()
        node.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
