#!/usr/bin/env python3
"""SIGINT and SIGTERM during import (issue 13 item 15): the import stops,
commits what it read, and its `imports` row says what it kept — status
'interrupted', finished set, imported equal to the rows stored under its
id — instead of imported=0 and finished=NULL. The process then ends by
the signal (128+N). Importing again adds the rest; the total is that of
an uninterrupted import.

Env: AUTHLOG_BIN (binary), AUTHLOG_SOURCE_ROOT (repo), SIGINT_LINES
(200000).
"""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

BATCH_ROWS = 50000  # src/cmd_import.c

BIN = os.environ['AUTHLOG_BIN']
ROOT = os.environ['AUTHLOG_SOURCE_ROOT']
LINES = int(os.environ.get('SIGINT_LINES', '200000'))

results = []


def ok(cond, name):
    results.append(bool(cond))
    print(f'{"ok" if cond else "not ok"} {len(results)} - {name}')
    return cond


def start_import(db, path):
    return subprocess.Popen([BIN, '--db', db, 'import', '--log-group', '/aws/eks/bench/cluster', path],
                            stdin=subprocess.PIPE if path == '-' else subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stored(db):
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect(f'file:{db}?mode=ro', uri=True)
    try:
        return con.execute('SELECT COUNT(*) FROM event_rows').fetchone()[0]
    except sqlite3.DatabaseError:  # the schema is being created
        return 0
    finally:
        con.close()


def interrupt_after(db, lines, rows, sig):
    """Feeds `lines` to an import on stdin, waits until at least rows more
    rows are committed (polling the database: a reader sees only committed
    rows) and the importer has read the rest and waits for more, then sends
    sig and one more line (a read interrupted by a signal is retried: the
    next line is where the import stops). Deterministic under any load: the
    import cannot finish before the signal, its input is not over."""
    before = stored(db)
    p = start_import(db, '-')
    p.stdin.write(b''.join(lines))
    p.stdin.flush()
    deadline = time.monotonic() + 120
    while stored(db) < before + rows and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # the rest of the lines are read; the batch stays open
    p.send_signal(sig)
    time.sleep(0.2)
    try:
        p.stdin.write(lines[-1])
        p.stdin.flush()
    except BrokenPipeError:
        pass
    _, err = p.communicate(timeout=120)
    return p.returncode, err.decode()


def imports(db):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in con.execute(
            'SELECT i.*, (SELECT COUNT(*) FROM events e WHERE e.import_id = i.id) AS events,'
            ' (SELECT integrity_check FROM pragma_integrity_check) AS integrity'
            ' FROM imports i ORDER BY id')]
        total = con.execute('SELECT COUNT(*) FROM events').fetchone()[0]
    finally:
        con.close()
    return rows, total


def check_interrupted(db, sig, rc, err, name):
    rows, total = imports(db)
    last = rows[-1]
    ok(rc == -sig, f'{name}: ends by the signal (rc {rc})')
    ok(last['status'] == 'interrupted' and last['finished'] is not None,
       f'{name}: the row says interrupted and finished ({last["status"]}, {last["finished"]})')
    ok(last['imported'] == last['events'] and last['imported'] >= BATCH_ROWS,
       f'{name}: imported {last["imported"]} = rows stored under its id {last["events"]}')
    ok(last['integrity'] == 'ok', f'{name}: integrity_check {last["integrity"]}')
    ok(f'imported {last["imported"]}, duplicate {last["duplicates"]}, skipped {last["skipped"]}' in err
       and "interrupted: the lines read are stored" in err and len(err.splitlines()) == 2,
       f'{name}: stderr says so and matches the row: {err.strip()!r}')
    return rows, total


def main():
    tmp = tempfile.mkdtemp(prefix='authlog-sigint-')
    data = os.path.join(tmp, 'gen.log')
    with open(data, 'wb') as f:
        subprocess.run([sys.executable, os.path.join(ROOT, 'bench', 'gen.py'), '--lines', str(LINES), '--seed', '7'],
                       stdout=f, check=True)

    ref = os.path.join(tmp, 'ref.db')
    p = start_import(ref, data)
    _, err = p.communicate()
    ok(p.returncode == 0, f'reference import completes: {err.decode().strip()}')
    ref_rows, expected = imports(ref)
    ok(ref_rows[-1]['status'] == 'complete' and ref_rows[-1]['imported'] == expected > 2 * BATCH_ROWS,
       f'a finished import says complete ({expected} rows)')

    with open(data, 'rb') as f:
        lines = f.readlines()
    db = os.path.join(tmp, 'int.db')
    # After the first commit, with 2,000 lines read since: the open batch
    # holds them, and they are kept too (committed with the row), not
    # rolled back.
    rc, err = interrupt_after(db, lines[:BATCH_ROWS + 2000], 1, signal.SIGINT)
    _, first = check_interrupted(db, signal.SIGINT, rc, err, 'SIGINT after the first commit')
    ok(first > BATCH_ROWS, f'the rows read after the last commit are kept ({first})')

    rc, err = interrupt_after(db, lines[:3 * BATCH_ROWS + 2000], BATCH_ROWS, signal.SIGTERM)
    rows, total = check_interrupted(db, signal.SIGTERM, rc, err, 'SIGTERM on a re-import')
    ok(total > first, f'the second run added rows ({first} -> {total})')

    p = start_import(db, data)
    _, err = p.communicate()
    rows, total = imports(db)
    ok(p.returncode == 0 and rows[-1]['status'] == 'complete', f'a third run completes: {err.decode().strip()}')
    ok(total == expected, f'all rows are stored once ({total}/{expected})')
    ok(sum(r['imported'] for r in rows) == total and all(r['imported'] == r['events'] for r in rows),
       'every imports row counts exactly the rows it stored: ' +
       ', '.join(f'{r["status"]} {r["imported"]}' for r in rows))

    print(f'1..{len(results)}')
    subprocess.run(['rm', '-rf', tmp])
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
