#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# SQL lives in the store layer only: src/store/ for the app and the CLI, src/node/trb-node-db.c
# for the node (docs/architecture.md). Elsewhere in src/, no file names sqlite3 or includes the
# store layer's header (trb-store-sql.h), and no header at all outside src/store/ does.
#
# PENDING lists the files whose statements have not moved behind named store operations yet.
# The list only shrinks: a file on it that no longer needs SQLite is an error too, so that it
# is taken off.

import pathlib
import re
import sys

# The node's Merkle log (src/ledger/trb-merkle-log.c) is part of the node's store layer: its two
# tables are the tree's own storage, its five statements prepared once for the log's life, and
# its appends nest in the node's transactions; behind named operations it would only wrap each.
STORE_LAYER = ('src/store/', 'src/node/trb-node-db', 'src/ledger/trb-merkle-log.c')

PENDING = set()

PATTERN = re.compile(r'sqlite3|trb-store-sql\.h')


def main(root):
    root = pathlib.Path(root)
    problems = []
    for path in sorted((root / 'src').rglob('*')):
        if path.suffix not in ('.c', '.h') or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if rel.startswith(STORE_LAYER):
            continue
        text = path.read_text(encoding='utf-8', errors='replace')
        lines = [n for n, line in enumerate(text.splitlines(), 1) if PATTERN.search(line)]
        if not lines:
            if rel in PENDING:
                problems.append(f'{rel}: no longer uses SQLite; take it off PENDING')
            continue
        if rel.endswith('.h'):
            problems.append(f'{rel}:{lines[0]}: a header outside src/store/ names SQLite')
        elif rel not in PENDING:
            problems.append(f'{rel}:{lines[0]}: SQL outside the store layer; '
                            'add a named operation in src/store/')
    for rel in sorted(PENDING):
        if not (root / rel).exists():
            problems.append(f'{rel}: on PENDING but gone; take it off')
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else '.'))
