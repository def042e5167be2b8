#!/usr/bin/env python3
"""events.raw is the line as read, byte for byte (schema version 11, issue 16
"Bounded storage"): most rows store only their shape's template, with the
values their columns hold spliced back in by the view, in SQL; a line that
holds a control byte is stored whole. Checked through the binary for every
bare fixture line, bench/gen.py lines (plain and stern-prefixed) and
hostile lines, read with Python's sqlite3 (not authlog-scan's own code);
and a version-10 database (raw in every row) migrated to 11 reads back the
same `events` rows."""
import collections
import os
import sqlite3
import subprocess
import sys

from cliutil import (ACCOUNT, SOURCE_ROOT, CliTestCase, denial, fixture_files, grant, log_line, main, role,
                     sts_body)

GEN = os.path.join(SOURCE_ROOT, 'bench', 'gen.py')

# Lines an authenticator never writes, in the places the template is made:
# control bytes raw and escaped, quotes and backslashes, escapes that do not
# unquote back to what was logged, values that repeat each other or the
# template's text, times that are not the stored form, odd token layouts.
T = '2023-06-13T10:00:00Z'
HOSTILE = [
    grant(role('dev'), 'dev', ts=T) + '\t',
    grant(role('dev'), 'dev', ts=T).replace(' client=', '\x01client='),
    grant(role('dev'), 'dev\x02er', ts=T),
    grant(role('dev'), 'd\x7fev', ts=T),
    grant(role('dev'), 'dév\u202e', ts=T),
    denial(error='a "quoted" \\ back\\slash', arn=role('q'), ts=T),
    denial(error=sts_body('InvalidClientTokenId', 'The "token" is \\ bad'), ts=T),
    denial(error='tab\there', ts=T),
    denial(error='nul\x00inside', ts=T),
    'time="%s" level=warning msg="access denied" client="127.0.0.1:1" error="\\x41\\u00e9\\101" x=1' % T,
    'time="%s" level=warning msg="access denied" client="127.0.0.1:1" error="bad \\q escape"' % T,
    'time="%s" level=warning msg="access denied" client="127.0.0.1:2" error="unterminated' % T,
    'time="%s" level=info msg="access granted" arn="%s" arn="%s" client=1 client=2' % (T, role('a'), role('b')),
    'time="%s" level=info msg="access granted" arn=%s client="127.0.0.1:3" username=%s uid=%s' % (
        T, role('same'), role('same'), role('same')),
    'time="%s" level=info msg="access granted" arn="%s" client="%s" username="%s"' % (T, role('r'), T, T),
    'time="%s" level=info msg="access granted" arn="" client="" username="" uid="" groups=""' % T,
    'time="2023-06-13T10:00:00.123456Z" level=info msg="access granted" arn="%s" username=u' % role('frac'),
    'time="2023-06-13T12:00:00+02:00" level=info msg="access granted" arn="%s" username=u' % role('tz'),
    'level=info time="%s" msg="access granted" username=first arn="%s"' % (T, role('order')),
    'time="%s"   level=info    msg="access granted"   arn="%s"   ' % (T, role('spaces')),
    'time="%s" level=info msg="access granted" arn="%s" username=u\xff\xfe' % (T, role('bytes')),
    'time="%s" level=info msg="access granted" arn="%s" trailing=' % (T, role('t')),
    'time="%s" level=info msg="STS response" accesskeyid=ASIAEXAMPLE accountid=%s arn="%s" client="127.0.0.1:9"'
    ' session=s1 userid=AROAEXAMPLE userid=AROAOTHER' % (T, ACCOUNT, role('sts')),
    log_line('mapping IAM role', ts=T, role=role('m'), groups='[system:masters]', username='m'),
    log_line('Errors parsing configmap: "mapRoles": yaml: line 3: did not find expected key', ts=T,
             level='error'),
    'time="%s" level=info msg="access granted" arn="%s" username="%s"' % (T, role('x' * 3000), 'y' * 3000),
    'time="%s" level=info msg="access granted" arn="%s" error="\x01"' % (T, role('ctl')),
    'time="%s" level=info msg="access granted" arn="char(1)" username="\\u0001"' % T,
]


class Raw(CliTestCase):
    def rows(self, sql, db=None):
        con = sqlite3.connect('file:%s?mode=ro' % (db or self.db), uri=True)
        try:
            con.text_factory = bytes
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def stored_raw(self, db=None):
        return [r[0] for r in self.rows('SELECT raw FROM events ORDER BY id', db)]

    def assert_round_trip(self, lines, imported):
        """The raw of every stored row is one of lines (bytes), as many
        times at most as it is there, and one row per imported line."""
        stored = self.stored_raw()
        self.assertEqual(len(stored), imported)
        left = collections.Counter(lines)
        for raw in stored:
            self.assertGreater(left[raw], 0, raw)
            left[raw] -= 1
        return stored

    def import_lines(self, name, lines):
        path = self.write(name, b''.join(l + b'\n' for l in lines))
        imported, _, _ = self.import_ok(path)
        return imported

    def test_fixture_lines(self):
        lines = []
        for d in ('classes', 'eras', 'demo'):  # bare lines (real/ and wrappers/: the migration test)
            for path in fixture_files(d, '.log'):
                with open(path, 'rb') as f:
                    lines += f.read().split(b'\n')
        imported = self.import_lines('fixtures.log', lines)
        self.assertGreater(imported, 100)
        self.assert_round_trip(lines, imported)
        # most of them through a template, not stored whole
        whole, n = self.rows('SELECT SUM(raw IS NOT NULL), COUNT(*) FROM event_rows')[0]
        self.assertLess(whole, n / 10)

    def test_gen_lines(self):
        for fmt in ('plain', 'stern'):
            with self.subTest(format=fmt):
                self.setUp()
                plain = subprocess.run([sys.executable, GEN, '--lines', '20000', '--seed', '7'],
                                       check=True, stdout=subprocess.PIPE).stdout
                data = plain if fmt == 'plain' else subprocess.run(
                    [sys.executable, GEN, '--lines', '20000', '--seed', '7', '--format', fmt],
                    check=True, stdout=subprocess.PIPE).stdout
                path = self.write('gen-%s.log' % fmt, data)
                imported, _, _ = self.import_ok(path)
                self.assertGreater(imported, 19000)
                self.assert_round_trip(plain.split(b'\n'), imported)
                self.assertEqual(self.rows('SELECT COUNT(*) FROM event_rows WHERE raw IS NOT NULL')[0][0], 0)

    def test_hostile_lines(self):
        lines = [l.encode('utf-8', 'surrogateescape') if isinstance(l, str) else l for l in HOSTILE]
        lines.append(grant(role('bad'), 'u', ts=T).encode() + b'\xc3\x28 \xed\xa0\x80')
        imported = self.import_lines('hostile.log', lines)
        stored = self.assert_round_trip(lines, imported)
        self.assertEqual(len(stored), len(lines))  # every one is a record import keeps
        # a line with a control byte in it is the one kind stored whole
        for raw, whole in self.rows('SELECT e.raw, r.raw IS NOT NULL FROM events e JOIN event_rows r USING (id)'):
            self.assertEqual(bool(whole), any(b < 0x20 for b in raw), raw)
        # and the other columns are the ones the line gives
        con = sqlite3.connect('file:%s?mode=ro' % self.db, uri=True)
        try:
            con.text_factory = bytes
            r = con.execute('SELECT username, arn, error FROM events WHERE raw = ?', (lines[5].decode(),)).fetchall()
        finally:
            con.close()
        self.assertEqual(r, [(None, role('q').encode(), b'a "quoted" \\ back\\slash')])

    def test_v10_database_migrates_to_the_same_rows(self):
        lines = []
        for path in fixture_files('classes', '.log') + fixture_files('eras', '.log'):
            with open(path, 'rb') as f:
                lines += f.read().split(b'\n')
        lines += [l.encode('utf-8', 'surrogateescape') for l in HOSTILE]
        self.import_lines('all.log', lines)
        self.ok('import', '--log-group', '/aws/eks/demo/cluster', *fixture_files('demo', '.log'))
        self.ok('import', *fixture_files('real'), *fixture_files('wrappers'))
        before = self.rows('SELECT * FROM events ORDER BY id')
        self.assertGreater(len(before), 100)
        report = self.ok('report', '--format', 'json').out
        con = sqlite3.connect(self.db)
        try:
            con.executescript(TO_V10)
        finally:
            con.close()
        self.assertEqual(self.rows('PRAGMA user_version'), [(10,)])
        self.assertEqual(self.rows('SELECT COUNT(*) FROM event_rows WHERE raw IS NULL'), [(0,)])
        self.assertEqual(self.rows('SELECT * FROM events ORDER BY id'), before)  # a v10 database of the same rows
        self.ok('import', self.write('empty.log', ''))  # a write open migrates
        self.assertEqual(self.rows('PRAGMA user_version'), [(11,)])
        self.assertEqual(self.rows('SELECT * FROM events ORDER BY id'), before)
        self.assertEqual(self.ok('report', '--format', 'json').out, report)
        self.assertLess(self.rows('SELECT COUNT(*) FROM event_rows WHERE raw IS NOT NULL')[0][0], len(before) / 10)
        # a version 11 database set back to 10 by hand migrates to the same rows too
        con = sqlite3.connect(self.db)
        try:
            con.execute('PRAGMA user_version = 10')
        finally:
            con.close()
        self.ok('import', self.write('empty2.log', ''))
        self.assertEqual(self.rows('PRAGMA user_version'), [(11,)])
        self.assertEqual(self.rows('SELECT * FROM events ORDER BY id'), before)


# Version 11 -> 10 by hand: event_rows as version 3 made it (raw, level,
# msg and sts_endpoint in every row) from the events view, and the views of
# version 10; what authlog-scan 10 left behind.
TO_V10 = """
CREATE TABLE event_rows_v10(
  id INTEGER PRIMARY KEY, ts TEXT NOT NULL, dedupe_key INTEGER NOT NULL,
  import_id INTEGER REFERENCES imports(id), stream_id INTEGER NOT NULL REFERENCES streams(id),
  identity_id INTEGER REFERENCES identities(id), error_id INTEGER REFERENCES errors(id),
  kind TEXT NOT NULL, level TEXT, msg TEXT NOT NULL,
  outcome TEXT CHECK (outcome IN ('granted','denied')),
  client TEXT, ptr TEXT, access_key_id TEXT, sts_endpoint TEXT, raw TEXT NOT NULL);
INSERT INTO event_rows_v10 SELECT r.id, r.ts, r.dedupe_key, r.import_id, r.stream_id, r.identity_id, r.error_id,
  e.kind, e.level, e.msg, e.outcome, e.client, e.ptr, e.access_key_id, e.sts_endpoint, e.raw
  FROM event_rows r JOIN events e ON e.id = r.id ORDER BY r.id;
DROP VIEW findings; DROP VIEW principals; DROP VIEW config_errors; DROP VIEW grants; DROP VIEW denials;
DROP VIEW events;
DROP TABLE event_rows;
DROP TABLE shapes;
ALTER TABLE event_rows_v10 RENAME TO event_rows;
CREATE VIEW events AS
  SELECT r.id, r.ts, s.log_group, s.log_stream, r.ptr, s.cluster, r.kind, r.level, r.msg,
         r.outcome, i.arn, r.client, e.error, e.error_class, e.sts_code, e.http_status,
         e.sts_region, e.mapped_arn, i.username, i.groups, i.uid, i.user_id, i.account_id,
         i.principal_type, i.principal_name, i.principal_arn, r.access_key_id, i.session,
         r.sts_endpoint, COALESCE(i.expected, 0) AS expected, r.raw, r.dedupe_key,
         r.import_id
  FROM event_rows r JOIN streams s ON s.id = r.stream_id
  LEFT JOIN identities i ON i.id = r.identity_id
  LEFT JOIN errors e ON e.id = r.error_id;
CREATE VIEW denials AS SELECT * FROM events WHERE outcome = 'denied';
CREATE VIEW grants AS SELECT * FROM events WHERE outcome = 'granted';
CREATE VIEW config_errors AS SELECT * FROM events WHERE kind = 'config_error';
CREATE VIEW principals AS
  SELECT COALESCE(principal_arn, arn) AS principal, principal_type, account_id,
         MIN(ts) AS first_seen, MAX(ts) AS last_seen,
         SUM(outcome = 'granted') AS granted, SUM(outcome = 'denied') AS denied,
         MAX(expected) AS expected
  FROM events WHERE kind = 'access' AND COALESCE(principal_arn, arn) IS NOT NULL
  GROUP BY COALESCE(principal_arn, arn);
CREATE VIEW findings AS
  SELECT error_class AS class, COALESCE(principal_arn, '') AS principal,
         COALESCE(cluster, '') AS cluster, COUNT(*) AS count,
         MIN(ts) AS first_seen, MAX(ts) AS last_seen, MAX(expected) AS expected
  FROM events WHERE outcome = 'denied'
  GROUP BY error_class, COALESCE(principal_arn, ''), COALESCE(cluster, '');
CREATE UNIQUE INDEX event_rows_ts_key ON event_rows(ts, dedupe_key);
CREATE INDEX event_rows_identity ON event_rows(identity_id, ts) WHERE identity_id IS NOT NULL;
CREATE INDEX event_rows_denied ON event_rows(error_id) WHERE outcome = 'denied';
CREATE INDEX event_rows_config ON event_rows(stream_id, ts) WHERE kind = 'config_error';
CREATE INDEX event_rows_denied_ts ON event_rows(ts, stream_id, identity_id, error_id, outcome)
  WHERE outcome = 'denied';
PRAGMA user_version = 10;
"""

if __name__ == '__main__':
    main()
