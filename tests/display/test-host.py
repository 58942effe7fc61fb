#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host a Network from Preferences, with a demo node already running and named by TRB_DEMO_URL
as `build-aux/dev run` does: Start asks before listening beyond this computer, then a network of
its own (its own tributary-node and data folder) listens on every interface, and its local
network address, invite link and QR code show; the network answers (asked on loopback only);
Stop Hosting ends its node. And the network directory from the `catalogue-url` setting, listed
in the Networks area."""

import http.server
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import trbdisplay as d


def listening_addresses(port):
    """The local addresses that sockets listen on at `port`, from /proc/net/tcp and tcp6."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table, encoding="ascii") as f:
            next(f)
            for line in f:
                fields = line.split()
                address, local_port = fields[1].split(":")
                if int(local_port, 16) == port and fields[3] == "0A":
                    found.append(address)
    return found


def node_pids(data_dir):
    """The tributary-node processes serving a data folder under `data_dir`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if (state != "Z" and argv and argv[0].endswith(b"tributary-node")
                and any(data_dir.encode() in a for a in argv)):
            pids.append(int(entry))
    return pids


def start_demo_node(node_binary, folder):
    """A demo node on loopback, started as `build-aux/dev run` starts it."""
    url_file = os.path.join(folder, "url")
    proc = subprocess.Popen([node_binary, "demo", "--data", os.path.join(folder, "network"),
                             "--listen", "127.0.0.1:0", "--url-file", url_file],
                            stdout=subprocess.DEVNULL)
    url = d.wait_for(lambda: open(url_file, encoding="utf-8").read().strip()
                     if os.path.exists(url_file) and open(url_file).read().endswith("\n")
                     else None, timeout=60, what="the demo node")
    return proc, url


def prefs_label(app, predicate):
    return app.window("Preferences").findChild(
        lambda n: n.roleName == "label" and predicate(n.name or ""),
        retry=False, requireResult=False)


CATALOGUE = json.dumps({"networks": [
    {"name": "Neighbourhood Lab", "url": "https://lab.example:8443", "operator": "A school",
     "description": "Learns to tell leaves apart"},
    {"name": "Unusable", "url": "file:///etc/passwd"},
]}).encode()


class CatalogueHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(CATALOGUE)))
        self.end_headers()
        self.wfile.write(CATALOGUE)

    def log_message(self, *args):
        pass


def main():
    server = http.server.HTTPServer(("127.0.0.1", 0), CatalogueHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    d.gsettings("set", "catalogue-url",
                f"http://127.0.0.1:{server.server_address[1]}/catalogue.json")
    data_home = tempfile.mkdtemp(prefix="tributary-host-test-")
    node_binary = os.path.join(d.BUILD_ROOT, "src", "node", "tributary-node")
    demo, demo_url = start_demo_node(node_binary, tempfile.mkdtemp(prefix="tributary-demo-"))
    print(f"demo node at {demo_url}")
    env = {"XDG_DATA_HOME": data_home, "TRB_NODE_BINARY": node_binary,
           "TRB_DEMO_URL": demo_url}
    app = d.App(extra_env=env)
    try:
        app.window("Tributary")
        app.show_area("Networks")
        app.find("label", "Neighbourhood Lab")
        app.find("label", contains="Learns to tell leaves apart")
        assert not app.node.findChild(lambda n: n.name == "Unusable", retry=False,
                                      requireResult=False), "an unusable entry is listed"
        d.screenshot("networks-directory")

        app.open_menu_item("Preferences")
        prefs = app.window("Preferences")
        app.click(app.find("page tab", "Networks", within=prefs))
        app.find("label", "Host a Network", within=prefs)
        app.click(app.find("push button", contains="Start", within=prefs))

        # Listening beyond this computer is asked first; Cancel starts nothing.
        app.window("Listen on the Local Network?")
        app.find("label", contains="Other computers on your network will be able to join")
        d.screenshot("host-network-1-ask")
        app.click(app.find("push button", contains="Cancel", within=app.window(
            "Listen on the Local Network?")))
        d.wait_for(lambda: not app.has_window("Listen on the Local Network?"),
                   what="the question to close")
        time.sleep(1)
        assert not node_pids(data_home), "a node started without being asked to"
        assert prefs_label(app, lambda s: s == "Not running")

        app.click(app.find("push button", contains="Start", within=prefs))
        app.click(app.find("push button", contains="Listen",
                           within=app.window("Listen on the Local Network?")))
        invite = d.wait_for(lambda: prefs_label(app, lambda s: s.startswith("tributary://join?")),
                            timeout=60, what="the invite link").name
        app.find("image", "QR code of the invite link", within=prefs)
        app.find("label", "Scan to open the invite link", within=prefs)
        d.screenshot("host-network-2-hosting")
        url = urllib.parse.parse_qs(urllib.parse.urlparse(invite).query)["url"][0]
        print(f"hosting at {url}, invite link {invite}")
        parsed = urllib.parse.urlparse(url)
        port = parsed.port
        assert url != demo_url and port != urllib.parse.urlparse(demo_url).port, url
        assert parsed.hostname not in ("127.0.0.1", "localhost", "::1", "0.0.0.0"), url

        # Its own node, with its own data folder, listening beyond loopback.
        pids = node_pids(data_home)
        assert len(pids) == 1, pids
        assert demo.pid not in pids
        listening = listening_addresses(port)
        print(f"listening on {listening}")
        assert listening and all(not a.startswith("0100007F") for a in listening), listening

        # The node listens on every interface; ask it on loopback.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/network", timeout=10) as r:
            network = json.load(r)
        assert network["tasks"], network

        app.click(app.find("push button", contains="Stop Hosting", within=prefs))
        d.wait_for(lambda: prefs_label(app, lambda s: s == "Not running"),
                   what="the node to stop")
        d.wait_for(lambda: not node_pids(data_home), timeout=10, what="the node process to end")
        assert not app.node.findChild(lambda n: n.name == "QR code of the invite link",
                                      retry=False, requireResult=False)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/network", timeout=5)
            raise AssertionError("the node still answers after Stop")
        except OSError:
            pass
        # The demo node that was running before is left alone.
        assert demo.poll() is None, "the demo node was stopped"

        # Hosting again, then quitting the app, leaves nothing running.
        app.click(app.find("push button", contains="Start", within=prefs))
        app.click(app.find("push button", contains="Listen",
                           within=app.window("Listen on the Local Network?")))
        again = d.wait_for(lambda: prefs_label(app, lambda s: s.startswith("tributary://join?")),
                           timeout=60, what="the invite link again").name
        # The port is kept, so that the invite link given out before still works.
        assert again == invite, (again, invite)

        # When another program has taken the port meanwhile, any free one is used.
        app.click(app.find("push button", contains="Stop Hosting", within=prefs))
        d.wait_for(lambda: not node_pids(data_home), timeout=10, what="the node process to end")
        squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Past the test's own closed connections, which wait out TIME_WAIT on the port.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("0.0.0.0", port))
        squatter.listen(1)
        try:
            app.click(app.find("push button", contains="Start", within=prefs))
            app.click(app.find("push button", contains="Listen",
                               within=app.window("Listen on the Local Network?")))
            moved = d.wait_for(lambda: prefs_label(
                app, lambda s: s.startswith("tributary://join?") and s != invite),
                timeout=60, what="an invite link with another port").name
            print(f"port taken: hosting with {moved}")
        finally:
            squatter.close()
        assert len(node_pids(data_home)) == 1
        app.quit()
        d.wait_for(lambda: not node_pids(data_home), timeout=10,
                   what="the node to end with the app")
    finally:
        app.quit()
        d.gsettings("reset", "catalogue-url")
        server.shutdown()
        demo.terminate()
        demo.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(d.run(main))
