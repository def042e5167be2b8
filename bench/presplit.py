#!/usr/bin/env python3
"""Pre-split authenticator lines into CSV rows shaped like the stored
tables, for the store floors of the benchmark (the sqlite3 shell's .import).

    bench/presplit.py IN.log OUT.csv

writes OUT.csv (rows of `event_rows`, 15 columns, the principal, stream
and error already replaced by their ids), OUT.csv.schema.sql (the tables,
with the few identities/streams/errors rows inserted, no indexes),
OUT.csv.schema-idx.sql (the same plus the indexes of src/store.c),
OUT.csv.raw.csv and OUT.csv.raw-idx.sql (only time, key and the raw line,
with the unique (ts, dedupe_key) index: what storing the lines at all
costs in SQLite, whatever the schema).

Keeps the same lines import stores (STS response, access granted/denied,
config errors, mapping lines) with values of the same size: time, level,
msg, every key=value (Go-unquoted), kind, outcome, principal from the
ARN, user id from uid, groups as a JSON array, the raw line and a 64-bit
key. Classification columns stay empty: the floor measures storing rows,
not computing them. Runs once, outside the timing. No header rows.
"""
import csv
import hashlib
import json
import re
import sys

TOKEN = re.compile(r'([A-Za-z_][A-Za-z0-9_.-]*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))')
ESC = re.compile(r'\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)')
ESC_MAP = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v'}
ARN = re.compile(r'^arn:aws[a-z-]*:(iam|sts)::(\d+|[^:]*):(role|user|assumed-role|federated-user|root)/?([^/]*)(?:/(.*))?$')
PREFIX = re.compile(r' (?=time="|level=)')

IDENTITY = ['arn', 'username', 'groups', 'uid', 'user_id', 'account_id', 'principal_type', 'principal_name',
            'principal_arn', 'session', 'expected']
ERROR = ['error', 'error_class', 'sts_code', 'http_status', 'sts_region', 'mapped_arn']
STREAM = ['log_group', 'log_stream', 'cluster']
ROW = ['ts', 'dedupe_key', 'import_id', 'stream_id', 'identity_id', 'error_id', 'kind', 'level', 'msg', 'outcome',
       'client', 'ptr', 'access_key_id', 'sts_endpoint', 'raw']
INTS = ('http_status', 'expected', 'dedupe_key', 'import_id', 'stream_id', 'identity_id', 'error_id')


def table(name, cols, with_id=True):
    return 'CREATE TABLE %s(%s%s);\n' % (name, 'id INTEGER PRIMARY KEY, ' if with_id else '',
                                         ', '.join(c + (' INTEGER' if c in INTS else ' TEXT') for c in cols))


# The indexes of src/store.c (version 3); the partial ones test '' instead
# of NULL because .import stores empty fields as ''.
INDEXES = """CREATE UNIQUE INDEX event_rows_ts_key ON event_rows(ts, dedupe_key);
CREATE INDEX event_rows_identity ON event_rows(identity_id, ts) WHERE identity_id <> '';
CREATE INDEX event_rows_denied ON event_rows(error_id) WHERE outcome = 'denied';
CREATE INDEX event_rows_config ON event_rows(stream_id, ts) WHERE kind = 'config_error';
"""
RAW_SCHEMA = """CREATE TABLE lines(ts TEXT, dedupe_key INTEGER, raw TEXT);
CREATE UNIQUE INDEX lines_ts_key ON lines(ts, dedupe_key);
"""


class Interned:
    def __init__(self):
        self.ids = {}

    def id(self, values, always=False):
        if not always and not any(v not in ('', 0) for v in values):
            return ''
        return self.ids.setdefault(tuple(values), len(self.ids) + 1)

    def sql(self, name):
        out = []
        for vals, i in self.ids.items():
            lits = ', '.join(str(v) if isinstance(v, int) else "'" + v.replace("'", "''") + "'" for v in vals)
            out.append('INSERT INTO %s VALUES (%d, %s);\n' % (name, i, lits))
        return ''.join(out)


def unquote(s):
    if '\\' not in s:
        return s

    def rep(m):
        e = m.group(1)
        if e[0] in 'xu':
            return chr(int(e[1:], 16))
        return ESC_MAP.get(e, e)
    return ESC.sub(rep, s)


def kind_of(msg):
    if msg == 'access granted':
        return 'access', 'granted'
    if msg in ('access denied', 'access denied because ARN is not mapped'):
        return 'access', 'denied'
    if msg == 'STS response':
        return 'sts_response', ''
    if msg.startswith(('Errors parsing configmap', 'There was an error parsing the config maps',
                       'ParseMap: Errors parsing dynamic file')):
        return 'config_error', ''
    if msg.startswith(('mapping IAM role', 'mapping IAM user', 'mapping IAM Account')):
        return 'mapping', ''
    return None, None


def row(line):
    stream = ''
    if not line.startswith(('time="', 'level=')):
        m = PREFIX.search(line, 0, 512)
        if not m:
            return None
        pre, line = line[:m.start()], line[m.end():]
        if pre.count(' ') == 1:
            stream = pre.split(' ')[0]
    f = {}
    for m in TOKEN.finditer(line):
        f[m.group(1)] = unquote(m.group(2)) if m.group(2) is not None else m.group(3)
    msg = f.get('msg')
    if not msg or 'time' not in f:
        return None
    kind, outcome = kind_of(msg)
    if not kind:
        return None
    arn = f.get('arn') or f.get('role') or f.get('user') or ''
    ptype = pname = parn = acct = session = ''
    m = ARN.match(arn)
    if m:
        svc, acct, ptype, pname, rest = m.groups()
        if ptype == 'assumed-role':
            session = rest or ''
            parn = 'arn:aws:iam::%s:role/%s' % (acct, pname)
        else:
            parn = 'arn:aws:iam::%s:%s/%s' % (acct, ptype, pname)
    uid = f.get('uid', '')
    user_id = f.get('userid') or (uid.rsplit(':', 1)[-1] if uid.count(':') == 2 else '')
    groups = f.get('groups')
    if groups is not None:
        groups = json.dumps(groups.strip('[]').split())
    sts = f.get('stsendpoint') or f.get('sts') or ''
    key = int.from_bytes(hashlib.blake2b(line.encode(), digest_size=8).digest(), 'little', signed=True)
    return dict(ts=f['time'], log_group='', log_stream=stream, ptr='', cluster='', kind=kind,
                level=f.get('level', ''), msg=msg, outcome=outcome, arn=arn, client=f.get('client', ''),
                error=f.get('error', ''), error_class='', sts_code='', http_status='',
                sts_region=sts.split('.')[1] if sts.count('.') >= 3 else '', mapped_arn='',
                username=f.get('username', ''), groups=groups or '', uid=uid, user_id=user_id,
                account_id=f.get('accountid') or acct, principal_type=ptype, principal_name=pname,
                principal_arn=parn, access_key_id=f.get('accesskeyid', ''), session=f.get('session') or session,
                sts_endpoint=sts, expected=1 if 'AWSWesleyClusterManagerLambda' in arn else 0, raw=line,
                dedupe_key=key, import_id=1)


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: presplit.py IN.log OUT.csv')
    src, dst = sys.argv[1], sys.argv[2]
    n = 0
    streams, identities, errors = Interned(), Interned(), Interned()
    with open(src, encoding='utf-8', errors='surrogateescape', newline='\n') as fin, \
            open(dst, 'w', encoding='utf-8', errors='surrogateescape', newline='') as fout, \
            open(dst + '.raw.csv', 'w', encoding='utf-8', errors='surrogateescape', newline='') as fraw:
        w = csv.writer(fout, lineterminator='\n')
        wraw = csv.writer(fraw, lineterminator='\n')
        for line in fin:
            r = row(line.rstrip('\r\n'))
            if not r:
                continue
            r['stream_id'] = streams.id([r[c] for c in STREAM], always=True)
            r['identity_id'] = identities.id([r[c] for c in IDENTITY])
            r['error_id'] = errors.id([r[c] for c in ERROR])
            w.writerow([r[c] for c in ROW])
            wraw.writerow([r['ts'], r['dedupe_key'], r['raw']])
            n += 1
    schema = (table('streams', STREAM) + table('identities', IDENTITY) + table('errors', ERROR) +
              table('event_rows', ROW, with_id=False) +
              'BEGIN;\n' + streams.sql('streams') + identities.sql('identities') + errors.sql('errors') + 'COMMIT;\n')
    with open(dst + '.schema.sql', 'w') as f:
        f.write(schema)
    with open(dst + '.schema-idx.sql', 'w') as f:
        f.write(schema + INDEXES)
    with open(dst + '.raw-idx.sql', 'w') as f:
        f.write(RAW_SCHEMA)
    print(n)


if __name__ == '__main__':
    main()
