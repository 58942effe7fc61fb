#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The display suite's main path once more in German (de_DE.UTF-8, LANGUAGE=de), in a
phone-sized window (360 × 640): join the demo network, train a round, see it verified in the
History, verify the ledger with `tributary-cli history`, check in every area that no label
reaches past the window, and all along that none is cut off, toasts included (ellipsized or
clipped: the app lists those with TRB_DEBUG_CUT_OFF=1). The locale is generated with
localedef into a temporary folder when the machine lacks it. Widgets are found by their
German names, looked up in the catalogue the build compiled (English where there is none yet),
so the test holds before and after a German translation lands. Screenshots:
meson-logs/screenshots/de-*.png."""

import gettext
import os
import re
import subprocess
import sys
import tempfile

import demonetwork
import trbdisplay as d

GERMAN = "de_DE.UTF-8"
WIDTH, HEIGHT = 360, 640
CLI = os.path.join(d.BUILD_ROOT, "src", "cli", "tributary-cli")
CATALOGUE = gettext.translation("tributary", localedir=os.path.join(d.BUILD_ROOT, "po"),
                                languages=["de"], fallback=True)


def t(msgid):
    """msgid as the app shows it in German, without its mnemonic underscore."""
    return CATALOGUE.gettext(msgid).replace("_", "")


def fixed_part(msgid):
    """The longest run of words of a translated format string, without its placeholders."""
    parts = re.split(r"%(?:\d+\$)?[sdu]", t(msgid))
    return max((p.strip(" ·,:") for p in parts), key=len)


def locale_env():
    """LANG, LC_ALL and LANGUAGE for German, with LOCPATH when the locale had to be made."""
    env = {"LANG": GERMAN, "LC_ALL": GERMAN, "LANGUAGE": "de"}
    have = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.split()
    if not any(name.lower().replace("-", "") in ("de_de.utf8",) for name in have):
        folder = tempfile.mkdtemp(prefix="tributary-locale-")
        made = subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8",
                               os.path.join(folder, GERMAN)], capture_output=True, text=True)
        # localedef warns about some locale sources and still writes a usable locale.
        if not os.path.isdir(os.path.join(folder, GERMAN)):
            raise AssertionError(f"localedef could not make {GERMAN}: {made.stderr}")
        env["LOCPATH"] = folder
    check = subprocess.run([sys.executable, "-c", "import locale; locale.setlocale("
                            "locale.LC_ALL, ''); print(locale.localeconv()['decimal_point'])"],
                           env={**os.environ, **env}, capture_output=True, text=True)
    assert check.stdout.strip() == ",", f"{GERMAN} is not usable: {check.stderr}"
    return env


def check_fits(app, where):
    """No label is cut off or reaches past the window, and no control either."""
    win = app.window("Tributary")
    problems = [p for p in d.audit(win, where, max_width=WIDTH)
                if "reaches past" in p or "the window is" in p]
    d.screenshot(f"de-{where}")
    return problems


def main():
    lang = locale_env()
    print(f"locale: {lang}; catalogue: {type(CATALOGUE).__name__}")
    d.gsettings("set", "window-width", str(WIDTH))
    d.gsettings("set", "window-height", str(HEIGHT))
    d.gsettings("set", "only-when-idle", "false")
    network = demonetwork.DemoNetwork(round_seconds=20)
    data_home = tempfile.mkdtemp(prefix="tributary-german-test-")
    env = {**network.app_env(data_home), **lang, **d.gnome_decorations_env()}
    # The app lists each label it shows cut off in its log.
    log_path = os.path.join(data_home, "app.log")
    log = open(log_path, "w", encoding="utf-8")
    app = d.App(extra_env={**env, "TRB_DEBUG_CUT_OFF": "1"}, log=log)
    problems = []
    try:
        app.window("Tributary")
        app.show_area(t("Networks"))
        app.find("label", t("Join a Learning Network"))
        problems += check_fits(app, "networks")

        app.click(app.find("push button", contains=t("_Join the Demo Network")))
        dialog = app.window("Fashion-MNIST demo", timeout=60)
        join = app.find("push button", within=dialog, contains=t("_Join"))
        d.wait_for(lambda: join.sensitive, timeout=60, what="Join to be possible")
        d.screenshot("de-join")
        app.click(join)
        d.wait_for(lambda: not app.has_window("Fashion-MNIST demo"), timeout=60,
                   what="the join to finish")

        # A round is trained and contributed (read from the app's own event log).
        d.wait_for(lambda: demonetwork.contributed_rounds(data_home), timeout=180,
                   what="a round to be contributed")
        app.show_area(t("Activity"))
        problems += check_fits(app, "activity")

        # The History shows the round's reward as verified in the ledger.
        verified = fixed_part("%s · %s · verified in the ledger")
        app.show_area(t("History"))
        entry = d.wait_for(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and verified in (n.name or ""),
            retry=False, requireResult=False), timeout=180, what=f"an entry “…{verified}”")
        print(f"History: “{entry.name}”")
        problems += check_fits(app, "history")

        for area in ("Datasets", "Wallet"):
            app.show_area(t(area))
            problems += check_fits(app, area.lower())

        app.show_area(t("Networks"))
        app.click(app.find("push button", t("Details of %s").replace("%s", "Fashion-MNIST demo"),
                           timeout=30))
        app.find("label", t("What leaves this computer"), timeout=30)
        problems += check_fits(app, "network-page")
    finally:
        app.quit()
        log.close()
    problems += [f"a label is cut off: {text}" for text in d.cut_off_texts(log_path)]

    # The ledger verification the app offers, on the command line, in German: every entry
    # verified, the contributed round listed with its reward, no criticals.
    history = subprocess.run([CLI, "history"], env=d.app_env(env), capture_output=True,
                             text=True, timeout=120)
    network.stop()
    for key in ("window-width", "window-height", "only-when-idle"):
        d.gsettings("reset", key)
    print(history.stdout)
    assert history.returncode == 0, history.stdout + history.stderr
    assert "CRITICAL" not in history.stderr, history.stderr
    # Amounts are written the German way: "12.345,5 Punkte".
    points = [float(p.replace(".", "").replace(",", "."))
              for p in re.findall(r"(\d[\d.]*(?:,\d+)?) Punkt", history.stdout)]
    assert any(p > 0 for p in points), "no reward in the verified history"

    for problem in problems:
        print(f"PROBLEM {problem}")
    assert not problems, f"{len(problems)} labels or controls do not fit (listed above)"
    return 0


if __name__ == "__main__":
    sys.exit(d.run(main))
