#!/usr/bin/env python3
"""Pre-split authenticator lines into CSV rows shaped like the `events`
table, for the store floor of the benchmark (the sqlite3 shell's .import).

    bench/presplit.py IN.log OUT.csv     # also writes OUT.csv.schema.sql
                                         # and OUT.csv.schema-idx.sql

Keeps the same lines import stores (STS response, access granted/denied,
config errors, mapping lines) and fills the same 32 columns with values of
the same size: time, level, msg, every key=value (Go-unquoted), kind,
outcome, principal from the ARN, user id from uid, groups as a JSON array,
the raw line and a 64-bit key. Classification columns stay empty: the
floor measures storing rows, not computing them. Runs once, outside the
timing. The CSV has no header row.
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

COLUMNS = ['ts', 'log_group', 'log_stream', 'ptr', 'cluster', 'kind', 'level', 'msg', 'outcome', 'arn',
           'client', 'error', 'error_class', 'sts_code', 'http_status', 'sts_region', 'mapped_arn',
           'username', 'groups', 'uid', 'user_id', 'account_id', 'principal_type', 'principal_name',
           'principal_arn', 'access_key_id', 'session', 'sts_endpoint', 'expected', 'raw', 'dedupe_key',
           'import_id']

# The schema of src/store.c for these columns; the partial indexes test
# '' instead of NULL because .import stores empty fields as ''.
SCHEMA = 'CREATE TABLE events(' + ', '.join(
    c + (' INTEGER' if c in ('http_status', 'expected', 'dedupe_key', 'import_id') else ' TEXT')
    for c in COLUMNS) + ');\n'
INDEXES = """CREATE UNIQUE INDEX events_ts_key ON events(ts, dedupe_key);
CREATE INDEX events_denied ON events(error_class, principal_arn) WHERE outcome = 'denied';
CREATE INDEX events_principal ON events(principal_arn, ts) WHERE principal_arn <> '';
CREATE INDEX events_username ON events(username, ts) WHERE username <> '';
CREATE INDEX events_config ON events(log_group, ts) WHERE kind = 'config_error';
"""


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
    return [f['time'], '', stream, '', '', kind, f.get('level', ''), msg, outcome, arn, f.get('client', ''),
            f.get('error', ''), '', '', '', sts.split('.')[1] if sts.count('.') >= 3 else '', '',
            f.get('username', ''), groups or '', uid, user_id, f.get('accountid') or acct, ptype, pname, parn,
            f.get('accesskeyid', ''), f.get('session') or session, sts,
            1 if 'AWSWesleyClusterManagerLambda' in arn else 0, line, key, 1]


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: presplit.py IN.log OUT.csv')
    src, dst = sys.argv[1], sys.argv[2]
    n = 0
    with open(src, encoding='utf-8', errors='surrogateescape', newline='\n') as fin, \
            open(dst, 'w', encoding='utf-8', errors='surrogateescape', newline='') as fout:
        w = csv.writer(fout, lineterminator='\n')
        for line in fin:
            r = row(line.rstrip('\r\n'))
            if r:
                w.writerow(r)
                n += 1
    with open(dst + '.schema.sql', 'w') as f:
        f.write(SCHEMA)
    with open(dst + '.schema-idx.sql', 'w') as f:
        f.write(SCHEMA + INDEXES)
    print(n)


if __name__ == '__main__':
    main()
