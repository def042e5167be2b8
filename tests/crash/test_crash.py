#!/usr/bin/env python3
"""Crash safety of import: SIGKILL at random moments, at least 30 times, on
a large generated file. After every kill the database must pass
PRAGMA integrity_check and hold only whole batches (import commits every
BATCH_ROWS stored rows, so any other count is a torn batch). Re-running the
import must then end with exactly the rows of an uninterrupted import.

Env: AUTHLOG_BIN (binary), AUTHLOG_SOURCE_ROOT (repo), CRASH_KILLS (30),
CRASH_LINES (200000).
"""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

BATCH_ROWS = 50000  # src/cmd_import.c

BIN = os.environ['AUTHLOG_BIN']
ROOT = os.environ['AUTHLOG_SOURCE_ROOT']
KILLS = int(os.environ.get('CRASH_KILLS', '30'))
LINES = int(os.environ.get('CRASH_LINES', '200000'))


def run_import(db, path, **kw):
    return subprocess.Popen([BIN, '--db', db, '-q', 'import', '--log-group', '/aws/eks/bench/cluster', path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


def rows(db):
    con = sqlite3.connect(db)
    try:
        check = con.execute('PRAGMA integrity_check').fetchone()[0]
        n = con.execute('SELECT COUNT(*) FROM events').fetchone()[0]
    finally:
        con.close()
    return check, n


def main():
    failures = 0
    tmp = tempfile.mkdtemp(prefix='authlog-crash-')
    data = os.path.join(tmp, 'gen.log')
    with open(data, 'wb') as f:
        subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'gen.py'), '--lines', str(LINES), '--seed', '7'],
                       stdout=f, check=True)

    ref = os.path.join(tmp, 'ref.db')
    t0 = time.monotonic()
    p = run_import(ref, data)
    _, err = p.communicate()
    full = time.monotonic() - t0
    assert p.returncode == 0, err
    check, expected = rows(ref)
    assert check == 'ok' and expected > 2 * BATCH_ROWS, (check, expected)
    print(f'# reference import: {expected} rows in {full:.2f} s')

    db = os.path.join(tmp, 'crash.db')
    rng = random.Random(20261124)
    last = 0
    for i in range(KILLS):
        p = run_import(db, data)
        time.sleep(rng.uniform(0.0, full * 1.1))
        p.send_signal(signal.SIGKILL)
        p.communicate()
        try:
            check, n = rows(db)
        except sqlite3.DatabaseError as e:  # never acceptable
            check, n = f'error: {e}', -1
        whole = n == expected or n % BATCH_ROWS == 0
        ok = check == 'ok' and whole and n >= last
        print(f'{"ok" if ok else "not ok"} {i + 1} - kill {i + 1}: rc={p.returncode} rows={n} integrity={check}')
        failures += not ok
        last = max(last, n)

    p = run_import(db, data)
    _, err = p.communicate()
    check, n = rows(db)
    ok = p.returncode == 0 and check == 'ok' and n == expected
    print(f'{"ok" if ok else "not ok"} {KILLS + 1} - re-run completes: rows={n} expected={expected} rc={p.returncode} {err.decode().strip()}')
    failures += not ok

    con = sqlite3.connect(db)
    con.execute('ATTACH ? AS ref', (ref,))
    same = con.execute('SELECT COUNT(*) FROM events JOIN ref.events r USING (dedupe_key) WHERE events.raw = r.raw').fetchone()[0]
    con.close()
    ok = same == expected
    print(f'{"ok" if ok else "not ok"} {KILLS + 2} - the same rows as the uninterrupted import ({same}/{expected})')
    failures += not ok

    p = run_import(db, data)
    p.communicate()
    _, n2 = rows(db)
    ok = p.returncode == 0 and n2 == expected
    print(f'{"ok" if ok else "not ok"} {KILLS + 3} - a third run adds nothing ({n2})')
    failures += not ok
    print(f'1..{KILLS + 3}')
    subprocess.run(['rm', '-rf', tmp])
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
