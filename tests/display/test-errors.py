#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors a person meets in Add by Address and Add Dataset, told in plain words, in place, and
recoverable: text that is no address, a dead address (a closed port), an ordinary web server, a
TCP service that is not HTTP (a banner then close, and a close at once); a truncated `.gz` of
the demo pictures and a file of random bytes. Each asserts the plain sentence, that the dialog
kept what was typed and offers Try Again, that no library message is the sentence, and that
the app still answers. Screenshots go to meson-logs/screenshots/."""

import http.server
import os
import random
import socket
import socketserver
import tempfile
import threading
import time

import trbdisplay as d

SOURCE_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.path.join(SOURCE_ROOT, "data", "demo")
JARGON = ("Need more input", "Connection refused", "Could not connect", "(404)",
          "Could not parse", "Connection terminated", "refused the request")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def web_server():
    """What `python3 -m http.server` is: an ordinary web server on 127.0.0.1, port 0."""
    directory = tempfile.mkdtemp(prefix="trb-web-")
    with open(os.path.join(directory, "index.html"), "w", encoding="utf-8") as f:
        f.write("<html><body>My holiday pictures</body></html>")
    handler = lambda *a, **k: Quiet(*a, directory=directory, **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Banner(socketserver.BaseRequestHandler):
    banner = b""

    def handle(self):
        if self.banner:
            self.request.sendall(self.banner)
        self.request.close()


def tcp_server(banner):
    """A TCP service that is not HTTP: it writes a banner (or nothing) and closes."""
    handler = type("Handler", (Banner,), {"banner": banner})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def entry_text(entry):
    """What the entry holds. GTK 4.8 answers nothing to getText(0, -1): ask for the count."""
    text = entry.queryText()
    return text.getText(0, text.characterCount)


def label_with(app, text, timeout=15.0):
    return app.find("label", contains=text, timeout=timeout)


def assert_no_jargon(app):
    for word in JARGON:
        found = app.node.findChild(
            lambda n: n.roleName == "label" and word in (n.name or "") and n.showing,
            retry=False, requireResult=False)
        assert found is None, f"a shown label has the library's words {word!r}: {found.name!r}"


def check_address(app, dialog, entry, text, sentence, shot, within=10.0):
    """Types `text`, presses Continue (or Try Again) and waits for `sentence` under the entry;
    returns the seconds it took."""
    entry.text = text
    d.wait_for(lambda: entry_text(entry) == text, what="the typed text")
    start = time.monotonic()
    app.click(app.find("push button", within=dialog, contains="Continue"))
    label_with(app, sentence, timeout=within + 5)
    took = time.monotonic() - start
    print(f"{text!r}: “{sentence}…” after {took:.1f} s")
    assert took < within, f"{text!r} took {took:.1f} s to give up (at most {within:.0f} s)"
    # The dialog is still open, with what was typed, and offers to try again.
    assert app.has_window("Add a Network"), "the dialog closed on the error"
    assert entry_text(entry) == text, f"the typed text is gone: {entry_text(entry)!r}"
    app.find("push button", within=dialog, contains="Try Again")
    assert_no_jargon(app)
    d.screenshot(shot)
    return took


def check_addresses(env):
    web = web_server()
    ssh = tcp_server(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    closer = tcp_server(b"")
    app = d.App(extra_env=env)
    try:
        app.show_area("Networks")
        app.click(app.find("push button", contains="Add by Address"))
        dialog = app.window("Add a Network")
        entry = app.find("text", "Address or invite link", within=dialog)

        check_address(app, dialog, entry, "not an address!!",
                      "This is not a network address or an invite link", "errors-garbage")
        check_address(app, dialog, entry, f"http://127.0.0.1:{closed_port()}",
                      "Nothing answers at this address", "errors-dead-address")
        check_address(app, dialog, entry, f"http://127.0.0.1:{web.server_address[1]}",
                      "This address does not host a Tributary network", "errors-web-server")
        check_address(app, dialog, entry, f"http://127.0.0.1:{ssh.server_address[1]}",
                      "it is not a web server", "errors-not-http")
        check_address(app, dialog, entry, f"http://127.0.0.1:{closer.server_address[1]}",
                      "it is not a web server", "errors-closes-at-once")

        # The details keep the library's words, one click away.
        app.find(None, contains="Details", within=dialog)

        # Still answering: a changed address puts Continue back, and Try Again works at once.
        entry.text = "not an address either"
        app.find("push button", within=dialog, contains="Continue")
        d.wait_for(lambda: not app.node.findChild(
            lambda n: n.roleName == "label" and "it is not a web server" in (n.name or "")
            and n.showing, retry=False, requireResult=False),
            what="the old problem to go once the text changed")
        app.click(app.find("push button", within=dialog, contains="Cancel"))
        d.wait_for(lambda: not app.has_window("Add a Network"), what="the dialog to close")
        app.show_area("Datasets")
        app.find("label", "No Datasets Yet")
    finally:
        app.quit()
        web.shutdown()
        ssh.shutdown()
        closer.shutdown()


def check_invite_link(env):
    """An invite link to a dead address, opened from elsewhere: the network's page says so and
    offers Try Again, which asks again (now a web server answers on that port)."""
    port = closed_port()
    link = f"tributary://join?url=http%3A%2F%2F127.0.0.1%3A{port}"
    app = d.App(extra_env=env, args=[link])
    web = None
    try:
        start = time.monotonic()
        label_with(app, "Nothing answers at this address", timeout=20)
        took = time.monotonic() - start
        print(f"invite link to a dead address: told after {took:.1f} s")
        assert took < 15, f"the dead address took {took:.1f} s to give up"
        dialog = app.window("Network")
        retry = app.find("push button", within=dialog, contains="Try Again")
        assert_no_jargon(app)
        d.screenshot("errors-join-dead-address")

        handler = lambda *a, **k: Quiet(*a, directory=tempfile.mkdtemp(), **k)  # noqa: E731
        web = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        app.click(retry)
        label_with(app, "This address does not host a Tributary network")
        assert app.has_window("Network"), "Try Again closed the dialog"
        d.screenshot("errors-join-try-again")
    finally:
        app.quit()
        if web is not None:
            web.shutdown()

    # A link that holds no address opens Add by Address with it, and says why in full.
    app = d.App(extra_env=env, args=["tributary://join?nothing=here"])
    try:
        dialog = app.window("Add a Network")
        label_with(app, "This is not a network address or an invite link")
        entry = app.find("text", "Address or invite link", within=dialog)
        assert entry_text(entry) == "tributary://join?nothing=here", entry_text(entry)
        app.find("push button", within=dialog, contains="Try Again")
        d.screenshot("errors-bad-invite-link")
    finally:
        app.quit()


def demo_dir_with(images):
    """A demo folder whose training pictures are `images` (bytes), with the real labels."""
    directory = tempfile.mkdtemp(prefix="trb-demo-")
    with open(os.path.join(directory, "demo-train-images-idx3-ubyte.gz"), "wb") as f:
        f.write(images)
    with open(os.path.join(DEMO, "demo-train-labels-idx1-ubyte.gz"), "rb") as src, \
            open(os.path.join(directory, "demo-train-labels-idx1-ubyte.gz"), "wb") as dst:
        dst.write(src.read())
    return directory


def check_datasets(data_home):
    with open(os.path.join(DEMO, "demo-train-images-idx3-ubyte.gz"), "rb") as f:
        whole = f.read()

    # A download that stopped half-way: the file is added, and its check says what happened.
    env = {"XDG_DATA_HOME": os.path.join(data_home, "cut"),
           "TRB_DEMO_DIR": demo_dir_with(whole[:len(whole) // 2])}
    app = d.App(extra_env=env)
    try:
        app.show_area("Datasets")
        app.click(app.find("push button", contains="Demo Dataset"))
        label_with(app, "ends early — it may not have finished downloading", timeout=30)
        assert_no_jargon(app)
        d.screenshot("errors-truncated-gz")
        app.find("label", "Problems")
    finally:
        app.quit()

    # Random bytes: not added, and the page says why, in full, where the person is looking.
    rng = random.Random(7)
    noise = bytes([0x42]) + bytes(rng.randrange(256) for _ in range(4095))
    env = {"XDG_DATA_HOME": os.path.join(data_home, "noise"), "TRB_DEMO_DIR": demo_dir_with(noise)}
    app = d.App(extra_env=env)
    try:
        app.show_area("Datasets")
        app.click(app.find("push button", contains="Demo Dataset"))
        label_with(app, "is not a dataset Tributary can read")
        assert_no_jargon(app)
        d.screenshot("errors-random-bytes")
        # Still answering: the page and its buttons are there to try another file, and the
        # problem can be dismissed.
        app.find("label", "No Datasets Yet")
        app.find("push button", contains="Add Dataset")
        app.click(app.find("push button", "Dismiss"))
        d.wait_for(lambda: not app.node.findChild(
            lambda n: n.roleName == "label" and "is not a dataset" in (n.name or "")
            and n.showing, retry=False, requireResult=False), what="the problem to be dismissed")
    finally:
        app.quit()


def main():
    data_home = tempfile.mkdtemp(prefix="trb-errors-")
    check_addresses({"XDG_DATA_HOME": os.path.join(data_home, "addresses"),
                     "TRB_DEMO_DIR": DEMO})
    check_invite_link({"XDG_DATA_HOME": os.path.join(data_home, "invite"), "TRB_DEMO_DIR": DEMO})
    check_datasets(data_home)


if __name__ == "__main__":
    import sys
    sys.exit(d.run(main))
