#!/usr/bin/env python3
"""A full disk during import (simulated with a file-size limit, ulimit -f):
a clear one-line error, exit 73, a consistent database holding only whole
batches, a summary that counts only what was kept, and a later run
completes the import. Env as test_crash.py."""
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile

BATCH_ROWS = 50000
BIN = os.environ['AUTHLOG_BIN']
ROOT = os.environ['AUTHLOG_SOURCE_ROOT']
n = 0
failures = 0


def check(cond, what):
    global n, failures
    n += 1
    print(f'{"ok" if cond else "not ok"} {n} - {what}')
    failures += not cond


def import_(db, path, limit=None):
    def lim():
        if limit:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run([BIN, '--db', db, 'import', path], capture_output=True, text=True, preexec_fn=lim)


def rows(db):
    con = sqlite3.connect(db)
    r = con.execute('PRAGMA integrity_check').fetchone()[0], con.execute('SELECT COUNT(*) FROM events').fetchone()[0]
    con.close()
    return r


tmp = tempfile.mkdtemp(prefix='authlog-full-')
data = os.path.join(tmp, 'gen.log')
with open(data, 'wb') as f:
    subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'gen.py'), '--lines', '200000', '--seed', '11'],
                   stdout=f, check=True)
ref = os.path.join(tmp, 'ref.db')
r = import_(ref, data)
check(r.returncode == 0, 'reference import')
_, expected = rows(ref)
size = os.path.getsize(ref)

db = os.path.join(tmp, 'full.db')
# a third of the finished size: the first import builds the per-principal
# index only at the end, so half would fill the disk only then
r = import_(db, data, limit=size // 3)
err = r.stderr.strip().splitlines()
check(r.returncode == 73, f'exit 73 when the disk fills (got {r.returncode})')
check(len(err) == 2 and err[0].startswith('authlog-scan: import: ') and 'File too large' in err[0],
      f'one-line error naming the cause: {err[:1]}')
integrity, kept = rows(db)
check(integrity == 'ok', 'database consistent after the failed write')
check(kept % BATCH_ROWS == 0 and 0 < kept < expected, f'only whole batches kept ({kept} of {expected})')
m = re.search(r'imported (\d+)', r.stderr)
check(m is not None and int(m.group(1)) == kept, 'the summary counts only the rows kept')

r = import_(db, data)
integrity, final = rows(db)
check(r.returncode == 0 and integrity == 'ok' and final == expected, f'a later run completes it ({final})')
print(f'1..{n}')
subprocess.run(['rm', '-rf', tmp])
sys.exit(1 if failures else 0)
