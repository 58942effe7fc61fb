#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host a Network from Preferences: start it, see the address and the invite link, check that
the address answers as a network, and stop it again. And the network directory from the
`catalogue-url` setting, listed in the Networks area."""

import http.server
import json
import os
import tempfile
import threading
import urllib.parse
import urllib.request

import trbdisplay as d


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
    env = {"XDG_DATA_HOME": data_home,
           "TRB_NODE_BINARY": os.path.join(d.BUILD_ROOT, "src", "node", "tributary-node")}
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
        invite = d.wait_for(lambda: prefs_label(app, lambda s: s.startswith("tributary://join?")),
                            timeout=60, what="the invite link").name
        d.screenshot("host-network")
        url = urllib.parse.parse_qs(urllib.parse.urlparse(invite).query)["url"][0]
        print(f"hosting at {url}, invite link {invite}")
        port = urllib.parse.urlparse(url).port
        # The node listens on every interface; ask it on loopback.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/network", timeout=10) as r:
            network = json.load(r)
        assert network["tasks"], network

        app.click(app.find("push button", contains="Stop", within=prefs))
        d.wait_for(lambda: prefs_label(app, lambda s: s == "Not running"),
                   what="the node to stop")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/network", timeout=5)
            raise AssertionError("the node still answers after Stop")
        except OSError:
            pass
    finally:
        app.quit()
        d.gsettings("reset", "catalogue-url")
        server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(d.run(main))
