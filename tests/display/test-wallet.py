#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Wallet area as a user meets it: create a wallet, see its address and QR code, back it up
(show the words, then type three of them back), and see the banner go. The address shown must
be the one tributary-cli gives for the same wallet. Screenshots go to meson-logs/screenshots/."""

import os
import re
import subprocess
import sys
import tempfile

import trbdisplay as d

CLI = os.path.join(d.BUILD_ROOT, "src", "cli", "tributary-cli")
ADDRESS_RE = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")
WORD_RE = re.compile(r"^(\d+)\. ([a-z]+)$")


def response(app, dialog_title, label):
    """A response button of a message dialog; the dialog has one copy of each button per
    layout."""
    dialog = app.window(dialog_title)
    return app.find("push button", within=dialog, contains=label)


def main():
    # A store of its own, so that the other display tests still see an empty Wallet area; the
    # keyring is the session's real gnome-keyring.
    data_home = tempfile.mkdtemp(prefix="tributary-wallet-test-")
    env = {"XDG_DATA_HOME": data_home}
    app = d.App(extra_env=env)
    try:
        app.show_area("Wallet")
        app.find("label", "No Wallet Yet")
        app.click(app.find("push button", contains="Create Wallet"))
        d.screenshot("wallet-create-dialog")
        app.click(response(app, "Create Wallet", "Create"))

        # The wallet: its address, a copy button, the QR code and the backup banner.
        address_label = d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and ADDRESS_RE.match(n.name or ""),
            retry=False, requireResult=False), what="the wallet's address")
        address = address_label.name
        app.find("push button", "Copy Address")
        app.find("label", contains="not backed up yet")
        d.screenshot("wallet-area")

        cli = subprocess.run([CLI, "wallet", "address"], env=d.app_env(env),
                             capture_output=True, text=True, check=True)
        assert cli.stdout.strip() == address, (cli.stdout, address)

        # Back up: confirm, read the words, then type back the three asked for.
        app.click(app.find("push button", contains="Back Up Now"))
        app.click(response(app, "Back Up This Wallet?", "Show Words"))
        words = {}

        def all_words():
            for n in app.node.findChildren(lambda n: n.roleName == "label"
                                           and WORD_RE.match(n.name or "")):
                m = WORD_RE.match(n.name)
                words[int(m.group(1))] = m.group(2)
            return len(words) == 24

        d.wait_for(all_words, what="the 24 words of the backup phrase")
        d.screenshot("wallet-backup-words")
        app.click(response(app, "Write Down These Words", "Wrote Them Down"))

        def word_entries():
            found = app.window("Check Your Backup").findChildren(
                lambda n: n.roleName == "text" and re.match(r"^Word \d+$", n.name or ""))
            return found if len(found) == 3 else None

        entries = d.wait_for(word_entries, what="the three word entries")
        for entry in entries:
            position = int(entry.name.split()[1])
            entry.text = words[position]
        confirm = response(app, "Check Your Backup", "Confirm")
        d.wait_for(lambda: confirm.sensitive, what="Confirm to become available")
        d.screenshot("wallet-backup-check")
        app.click(confirm)

        app.find("label", contains="Backed up")
        d.wait_for(lambda: not app.node.findChild(
            lambda n: n.roleName == "label" and "not backed up yet" in (n.name or "")
            and n.showing, retry=False, requireResult=False), what="the banner to go")
        d.screenshot("wallet-backed-up")

        listed = subprocess.run([CLI, "wallet", "list"], env=d.app_env(env),
                                capture_output=True, text=True, check=True).stdout
        assert address in listed and "not backed up" not in listed, listed

        # Importing a phrase with a wrong word gives a plain explanation and a way to retry.
        app.click(app.find("push button", "Import a Wallet"))
        dialog = app.window("Import a Wallet")
        phrase = d.wait_for(lambda: dialog.findChild(
            lambda n: n.roleName in ("text", "password text") and n.name == "Backup Phrase",
            retry=False, requireResult=False), what="the backup phrase entry")
        phrase.text = "abandon " * 11 + "abandon"
        app.click(response(app, "Import a Wallet", "Import"))
        app.find("label", contains="not a valid backup phrase")
        d.screenshot("wallet-import-error")
        app.click(response(app, "This Wallet Could Not Be Imported", "Close"))
    finally:
        app.quit()

    # After a restart, in dark style and a phone-sized window: the same wallet, backed up.
    d.gsettings("set", "window-width", "360")
    d.gsettings("set", "window-height", "740")
    app = d.App(extra_env={**env, "ADW_DEBUG_COLOR_SCHEME": "prefer-dark"})
    try:
        app.show_area("Wallet")
        app.find("label", address)
        app.find("label", contains="Backed up")
        d.screenshot("wallet-narrow-dark")
    finally:
        app.quit()
        d.gsettings("reset", "window-width")
        d.gsettings("reset", "window-height")
    return 0


if __name__ == "__main__":
    sys.exit(d.run(main))
