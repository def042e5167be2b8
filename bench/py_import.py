#!/usr/bin/env python3
"""A plain Python importer of authenticator lines: the reference import is measured against.

    bench/py_import.py FILE DB

What a competent script would do with the standard library, neither slowed
down nor tuned: one logfmt regex per line (key=value and key="quoted
value" pairs, the grammar of src/parse.c), the columns of the `events` view
it can read from the line itself (time, level, msg, kind, outcome, arn,
client, error, groups, uid, username, session, access key id, account id,
user id, STS endpoint) plus the raw line, into one table, with
executemany in one transaction on a WAL database. Lines that are no
logrus record with time= and msg= are skipped, as import skips them. No
classification, principal parsing, interning or dedupe: authlog-scan
does all of that on top, so the comparison favours this script.
"""
import re
import sqlite3
import sys

TOKEN = re.compile(r'([A-Za-z_][A-Za-z0-9_.-]*)=(?:"((?:[^"\\]|\\.)*)"|([^ \t"]*))')
ESCAPE = re.compile(r'\\(.)')

# key in the line -> column
COLUMNS = {
    'time': 'ts', 'level': 'level', 'msg': 'msg', 'arn': 'arn', 'client': 'client',
    'error': 'error', 'groups': 'groups', 'uid': 'uid', 'username': 'username',
    'session': 'session', 'accesskeyid': 'access_key_id', 'accountid': 'account_id',
    'userid': 'user_id', 'stsendpoint': 'sts_endpoint', 'sts': 'sts_endpoint',
}
NAMES = ['ts', 'level', 'msg', 'kind', 'outcome', 'arn', 'client', 'error', 'groups', 'uid', 'username',
         'session', 'access_key_id', 'account_id', 'user_id', 'sts_endpoint', 'raw']


def kind_of(msg):
    if msg == 'access granted':
        return 'access', 'granted'
    if msg.startswith('access denied'):
        return 'access', 'denied'
    if msg == 'STS response':
        return 'sts_response', None
    if msg.startswith('mapping IAM'):
        return 'mapping', None
    if 'parsing' in msg:
        return 'config_error', None
    return None, None


def rows(path):
    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        for line in f:
            line = line.rstrip('\n')
            rec = {}
            for key, quoted, bare in TOKEN.findall(line):
                col = COLUMNS.get(key)
                if col:
                    rec[col] = ESCAPE.sub(r'\1', quoted) if quoted else (quoted or bare)
            msg = rec.get('msg')
            if not msg or 'ts' not in rec:
                continue
            rec['kind'], rec['outcome'] = kind_of(msg)
            if rec['kind'] is None:
                continue
            rec['raw'] = line.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')
            yield tuple(rec.get(n) for n in NAMES)


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: py_import.py FILE DB')
    con = sqlite3.connect(sys.argv[2])
    con.execute('PRAGMA journal_mode=WAL')
    con.execute('CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, %s)'
                % ', '.join(n + ' TEXT' for n in NAMES))
    with con:
        con.executemany('INSERT INTO events(%s) VALUES (%s)' % (', '.join(NAMES), ', '.join('?' * len(NAMES))),
                        rows(sys.argv[1]))
    n = con.execute('SELECT COUNT(*) FROM events').fetchone()[0]
    con.close()
    print('imported %d' % n, file=sys.stderr)


if __name__ == '__main__':
    main()
