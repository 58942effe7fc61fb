#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Extracts every translatable string listed in po/POTFILES.in with xgettext, as the build's
gettext call does, and fails on strings a translator cannot translate well:

- a msgid that was cut off: it ends in a lone "%" (a format macro such as G_GINT64_FORMAT
  continued the C string, and xgettext stopped there), or xgettext warned that the string ends
  in the middle of a directive;
- a fragment: a msgid that starts or ends with a space (pieces glued together in code), that
  starts with a comma, colon or semicolon, or that holds no word at all besides placeholders and
  punctuation, unless a translators' comment says what it joins;
- a msgid with two or more placeholders and no translators' comment: the translator cannot tell
  what each one stands for, nor whether their order may change;
- a count in a msgid without a plural: a placeholder directly before an English plural noun
  ("%d layers", "%s entries", "%u tensors") in a string given to _() or N_() rather than to
  ngettext(), so that no language can say "1 layer", nor use the several plural forms many
  languages have. A placeholder before a verb ("%s has", "layer %u needs") is not a count.

A msgid with a single placeholder needs no comment for this check; the house style still asks
for one where the placeholder's meaning is not plain from the sentence.

Usage: check-translatable.py SOURCE_ROOT [XGETTEXT]
"""

import os
import re
import subprocess
import sys
import tempfile

# The keywords of meson's 'glib' gettext preset, which the build uses.
KEYWORDS = ["_", "N_", "C_:1c,2", "NC_:1c,2", "g_dcgettext:2", "g_dngettext:2,3",
            "g_dpgettext2:2c,3", "ngettext:1,2", "dngettext:2,3"]

FORMAT = re.compile(r"%(?:\d+\$)?[-+ #0']*(?:\d+|\*)?(?:\.(?:\d+|\*))?"
                    r"(?:hh|h|ll|l|z|j|t|L|<PRI\w+>)?[diouxXeEfFgGcspa]")
# A number placeholder, then (at most) one of a few adjectives, then a lower-case word: the
# word is checked by looks_plural().
COUNTED = re.compile(r"%(?:\d+\$)?[-+ #0']*(?:\d+)?(?:hh|h|ll|l|z|j|t)?[diuxs]"
                     r"(?:<PRI\w+>)? (?:(?:more|other|new|earlier|later|extra|different) )?"
                     r"([a-z]+)\b")
# Words ending in "s" that follow a placeholder without being a plural noun: verbs whose subject
# is the placeholder ("%s has", "layer %u needs"), and other words.
NOT_PLURAL = {
    "as", "has", "was", "does", "goes", "its", "yes", "always", "perhaps", "whereas", "towards",
    "needs", "produces", "contains", "holds", "declares", "ends", "looks", "seems", "means",
    "gets", "takes", "makes", "comes", "uses", "runs", "says", "shows", "gives", "keeps", "lets",
    "joins", "leaves", "sends", "works", "starts", "stops", "waits", "trains", "opens", "closes",
}
# English plurals that do not end in "s".
IRREGULAR_PLURALS = {"people", "children", "men", "women", "mice", "geese", "feet", "teeth"}
CUT_WARNING = re.compile(r"^(.*?:\d+): warning: .*ends in the middle of a directive", re.M)


def unquote(lines):
    text = "".join(re.match(r'^(?:msgid|msgid_plural|msgctxt)?\s*"(.*)"$', l).group(1)
                   for l in lines)
    return (text.replace(r"\"", '"').replace(r"\n", "\n").replace(r"\t", "\t")
            .replace("\\\\", "\\"))


def parse_pot(path):
    """Yields (references, comments, msgids) for each entry of a .pot file."""
    with open(path, encoding="utf-8") as f:
        blocks = f.read().split("\n\n")
    for block in blocks:
        refs, comments, ids = [], [], []
        current = None
        for line in block.splitlines():
            if line.startswith("#:"):
                refs.extend(line[2:].split())
            elif line.startswith("#."):
                comments.append(line[2:].strip())
            elif line.startswith("msgid_plural"):
                current = [line]
                ids.append(current)
            elif line.startswith("msgid"):
                current = [line]
                ids.append(current)
            elif line.startswith("msgstr") or line.startswith("msgctxt"):
                current = None
            elif line.startswith('"') and current is not None:
                current.append(line)
        msgids = [unquote(i) for i in ids]
        if msgids and msgids[0]:
            yield refs, comments, msgids


def looks_plural(word):
    if word in IRREGULAR_PLURALS:
        return True
    # "class", "status", "this", "analysis" end in "s" without being plurals.
    return (len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
            and word not in NOT_PLURAL)


def counted_nouns(msgid):
    """The plural nouns that directly follow a number placeholder in @msgid."""
    return [m.group(0) for m in COUNTED.finditer(msgid.replace("%%", ""))
            if looks_plural(m.group(1))]


def problems_of(msgid, has_comment):
    found = []
    bare = msgid.replace("%%", "")
    if re.search(r"%$", bare):
        found.append("cut off at a format macro")
    stripped = msgid.rstrip("\n")
    if stripped != stripped.strip(" \t") and not has_comment:
        found.append("starts or ends with a space: a fragment joined in code")
    if re.match(r"^\s*[,;:]", msgid):
        found.append("starts with punctuation: a fragment joined in code")
    if not re.search(r"\w", FORMAT.sub("", bare)) and not has_comment:
        found.append("holds no word, only placeholders and punctuation, and has no "
                     "translators' comment")
    if len(FORMAT.findall(bare)) >= 2 and not has_comment:
        found.append("has several placeholders but no translators' comment")
    return found


def main():
    top = sys.argv[1]
    xgettext = sys.argv[2] if len(sys.argv) > 2 else "xgettext"
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, "check.pot")
        cmd = [xgettext, "--from-code=UTF-8", "--add-comments=Translators",
               "--no-wrap", "--directory", top,
               "--files-from", os.path.join(top, "po", "POTFILES.in"), "--output", pot]
        cmd += ["--keyword=" + k for k in KEYWORDS]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stderr)
            print("xgettext failed")
            return 1
        problems = []
        for where in CUT_WARNING.findall(run.stderr):
            problems.append(f"{where}: the string ends in the middle of a directive (cut off "
                            "by a format macro)")
        total = 0
        for refs, comments, msgids in parse_pot(pot):
            total += 1
            has_comment = any(c for c in comments)
            where = refs[0] if refs else "?"
            for msgid in msgids:
                for p in problems_of(msgid, has_comment):
                    problems.append(f"{where}: {msgid!r} {p}")
            # An entry with a msgid_plural came from ngettext(): its forms are the translator's.
            if len(msgids) == 1:
                for counted in counted_nouns(msgids[0]):
                    problems.append(f"{where}: {msgids[0]!r} has a count (“{counted}”) but no "
                                    "plural forms: use ngettext()")
    for p in problems:
        print(p)
    print(f"checked {total} translatable strings: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
