#!/usr/bin/env python3
"""report from the rollups: after imports (fixtures, the same files again, a
file out of time order, SIGKILLed imports, a migrated version-2 database)
every rollup table equals the aggregates recomputed here from `events`, and
the report prints the same bytes as the report computed from the events
alone (report_oracle_cli, built next to the unit tests from
tests/unit/report_oracle.c)."""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from cliutil import SOURCE_ROOT, BIN, CliTestCase, fixture, fixture_files, main

GEN = os.path.join(SOURCE_ROOT, 'bench', 'gen.py')
ORACLE = os.path.join(os.path.dirname(BIN), 'tests', 'report_oracle_cli')

# The aggregates, written independently of src/rollup.c: the report's own
# conditions on the events view (in_break: the "not_mapped inside an hour
# after a config error of its log group" test; seg: the import whose
# first_event_id starts the id's range).
IN_BREAK = ("(CASE WHEN d.outcome = 'denied' AND (d.error_class IS NULL OR d.error_class = 'not_mapped')"
            " THEN EXISTS (SELECT 1 FROM events c WHERE c.kind = 'config_error' AND c.log_group = d.log_group"
            " AND c.ts <= d.ts AND d.ts < strftime('%Y-%m-%dT%H:%M:%SZ', c.ts, '+1 hour')) ELSE 0 END)")
EXPECT = {
    'rollup_minutes':
        "SELECT substr(ts, 1, 16), IFNULL(cluster, ''), COUNT(*), SUM(outcome IS 'granted'),"
        " SUM(outcome IS 'denied'), SUM(outcome IS 'denied' AND expected = 0), SUM(kind = 'sts_response'),"
        " SUM(kind = 'config_error') FROM events GROUP BY 1, 2",
    'rollup_denials':
        "SELECT substr(d.ts, 1, 13), IFNULL(d.error_class, char(0)), IFNULL(d.principal_arn, char(0)),"
        " IFNULL(d.cluster, ''), d.log_group, IFNULL(NULLIF(d.sts_region, ''), ''), d.expected, " + IN_BREAK + ","
        " IFNULL((SELECT MAX(first_event_id) FROM imports i WHERE i.first_event_id <= d.id), 1),"
        " COUNT(*), MIN(d.ts), MAX(d.ts) FROM events d WHERE d.outcome = 'denied' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
    'rollup_denial_pairs':
        "SELECT IFNULL(cluster, ''), IFNULL(error_class, char(0)), IFNULL(principal_arn, char(0)), MIN(id)"
        " FROM events WHERE outcome = 'denied' GROUP BY 1, 2, 3",
    'rollup_principals':
        "SELECT IFNULL(cluster, ''), IFNULL(principal_arn, arn), MIN(ts), MAX(ts), SUM(outcome IS 'granted'),"
        " SUM(outcome IS 'denied'), COUNT(outcome), MAX(expected), COUNT(*) FROM events WHERE kind = 'access'"
        " AND IFNULL(principal_arn, arn) IS NOT NULL GROUP BY 1, 2",
    'rollup_principal_ids':
        "SELECT IFNULL(cluster, ''), principal_arn, MIN(id) FROM events WHERE principal_arn IS NOT NULL GROUP BY 1, 2",
    'rollup_creators':
        "SELECT IFNULL(cluster, ''), IFNULL(principal_arn, IFNULL(arn, IFNULL(uid, '(unknown)'))), MIN(ts), MAX(ts),"
        " COUNT(*) FROM events WHERE outcome = 'granted' AND username = 'kubernetes-admin' GROUP BY 1, 2",
}

# Version 2 of the schema (before interning and rollups), for the migration.
V2_SCHEMA = """
CREATE TABLE imports(id INTEGER PRIMARY KEY, source TEXT NOT NULL, started TEXT NOT NULL, finished TEXT,
  imported INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
  first_event_id INTEGER);
CREATE TABLE events(id INTEGER PRIMARY KEY, ts TEXT NOT NULL, log_group TEXT NOT NULL DEFAULT '',
  log_stream TEXT NOT NULL DEFAULT '', ptr TEXT, cluster TEXT, kind TEXT NOT NULL, level TEXT, msg TEXT NOT NULL,
  outcome TEXT CHECK (outcome IN ('granted','denied')), arn TEXT, client TEXT, error TEXT, error_class TEXT,
  sts_code TEXT, http_status INTEGER, sts_region TEXT, mapped_arn TEXT, username TEXT, groups TEXT, uid TEXT,
  user_id TEXT, account_id TEXT, principal_type TEXT, principal_name TEXT, principal_arn TEXT,
  access_key_id TEXT, session TEXT, sts_endpoint TEXT, expected INTEGER NOT NULL DEFAULT 0, raw TEXT NOT NULL,
  dedupe_key INTEGER NOT NULL, import_id INTEGER REFERENCES imports(id));
CREATE UNIQUE INDEX events_ts_key ON events(ts, dedupe_key);
CREATE INDEX events_denied ON events(error_class, principal_arn) WHERE outcome = 'denied';
CREATE INDEX events_principal ON events(principal_arn, ts) WHERE principal_arn IS NOT NULL;
CREATE INDEX events_username ON events(username, ts) WHERE username IS NOT NULL;
CREATE INDEX events_config ON events(log_group, ts) WHERE kind = 'config_error';
CREATE TABLE fixes(class TEXT NOT NULL, principal TEXT NOT NULL, cluster TEXT NOT NULL, region TEXT NOT NULL,
  fix TEXT NOT NULL, PRIMARY KEY (class, principal, cluster)) WITHOUT ROWID;
CREATE VIEW denials AS SELECT * FROM events WHERE outcome = 'denied';
CREATE VIEW grants AS SELECT * FROM events WHERE outcome = 'granted';
CREATE VIEW config_errors AS SELECT * FROM events WHERE kind = 'config_error';
CREATE VIEW principals AS SELECT COALESCE(principal_arn, arn) AS principal, principal_type, account_id,
  MIN(ts) AS first_seen, MAX(ts) AS last_seen, SUM(outcome = 'granted') AS granted,
  SUM(outcome = 'denied') AS denied, MAX(expected) AS expected FROM events
  WHERE kind = 'access' AND COALESCE(principal_arn, arn) IS NOT NULL GROUP BY COALESCE(principal_arn, arn);
CREATE VIEW findings AS SELECT d.error_class AS class, COALESCE(d.principal_arn, '') AS principal,
  COALESCE(d.cluster, '') AS cluster, COUNT(*) AS count, MIN(d.ts) AS first_seen, MAX(d.ts) AS last_seen,
  MAX(d.expected) AS expected, f.fix AS fix FROM events d LEFT JOIN fixes f ON f.class = d.error_class
  AND f.principal = COALESCE(d.principal_arn, '') AND f.cluster = COALESCE(d.cluster, '')
  WHERE d.outcome = 'denied' GROUP BY d.error_class, COALESCE(d.principal_arn, ''), COALESCE(d.cluster, '');
CREATE TABLE scan_runs(id INTEGER PRIMARY KEY, log_group TEXT NOT NULL, query TEXT NOT NULL,
  window_start TEXT NOT NULL, window_end TEXT NOT NULL, started TEXT NOT NULL, finished TEXT,
  status TEXT NOT NULL DEFAULT 'running'
    CHECK (status IN ('running','complete','partial','failed','interrupted')),
  rows INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
  queries INTEGER NOT NULL DEFAULT 0, bytes_scanned REAL NOT NULL DEFAULT 0,
  records_scanned REAL NOT NULL DEFAULT 0, records_matched REAL NOT NULL DEFAULT 0,
  truncated INTEGER NOT NULL DEFAULT 0, import_id INTEGER REFERENCES imports(id), error TEXT);
CREATE INDEX scan_runs_group ON scan_runs(log_group, query);
CREATE TABLE scan_windows(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES scan_runs(id),
  log_group TEXT NOT NULL, query TEXT NOT NULL, start TEXT NOT NULL, end TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','failed','truncated')),
  attempts INTEGER NOT NULL DEFAULT 0, error TEXT);
CREATE INDEX scan_windows_group ON scan_windows(log_group, query, status);
"""


def iso(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


class RollupCase(CliTestCase):
    def gen(self, name, lines, seed, hours=4, start=None):
        """bench/gen.py's lines into a file of the test's directory; its path."""
        path = os.path.join(self.tmp, name)
        args = [sys.executable, GEN, '--lines', str(lines), '--seed', str(seed), '--hours', str(hours)]
        if start:
            args += ['--start', start]
        with open(path, 'wb') as f:
            subprocess.run(args, stdout=f, check=True)
        return path

    def check_rollups(self, db=None, when=''):
        con = sqlite3.connect('file:%s?mode=ro' % (db or self.db), uri=True)
        try:
            for table, sql in EXPECT.items():
                want = sorted(con.execute(sql).fetchall())
                got = sorted(con.execute('SELECT * FROM ' + table).fetchall())
                if want != got:
                    missing = sorted(set(want) - set(got))[:3]
                    extra = sorted(set(got) - set(want))[:3]
                    self.fail('%s: %s differs from events (%d rows, want %d): missing %r, extra %r'
                              % (when, table, len(got), len(want), missing, extra))
            mark, last = con.execute('SELECT last_event_id, (SELECT IFNULL(MAX(id), 0) FROM events)'
                                     ' FROM rollup_state').fetchone()
            self.assertEqual(mark, last, when)
        finally:
            con.close()

    def option_sets(self, db=None, new=True):
        lo, hi = self.query('SELECT MIN(ts) AS lo, MAX(ts) AS hi FROM events', db=db)[0].values()
        a = datetime.strptime(lo, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc)
        b = datetime.strptime(hi, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc)
        mid = (a + (b - a) / 2).replace(minute=0, second=0)
        windows = [
            [],
            ['--since', iso(a + (b - a) * 0.13 + timedelta(seconds=7)), '--until', iso(a + (b - a) * 0.79)],
            ['--since', iso(mid - timedelta(hours=2)), '--until', iso(mid + timedelta(hours=2))],
            ['--since', iso(mid + timedelta(minutes=15, seconds=7)), '--until', iso(mid + timedelta(minutes=15, seconds=40))],
            ['--since', iso(mid + timedelta(minutes=20, seconds=30)), '--until', iso(mid + timedelta(hours=1, minutes=40))],
            ['--since', iso(a + (b - a) * 0.9)],
            ['--until', iso(a + (b - a) * 0.06)],
            ['--since', iso(a), '--until', iso(b)],
        ]
        sets = []
        for i, w in enumerate(windows):
            sets.append(w + ['--format', 'json', '--top', '1000'])
            sets.append(w + (['--format', 'markdown'] if i % 2 else []))
            if new:
                sets.append(w + ['--new', '--format', 'json', '--top', '1000'])
        return sets + [['--top', '1'], ['--cluster', 'other', '--region', 'ap-south-1', '--format', 'json']]

    def assert_same_reports(self, db, other, new=True):
        for opts in self.option_sets(db, new):
            with self.subTest(opts=opts):
                a = self.ok('--db', db, 'report', *opts)
                b = self.ok('--db', other, 'report', *opts)
                self.assertEqual(a.out, b.out)

    def assert_oracle_reports(self, db=None, new=True):
        """report from the rollups = the report from the events alone."""
        db = db or self.db
        for opts in self.option_sets(db, new):
            with self.subTest(opts=opts):
                a = self.ok('--db', db, 'report', *opts)
                b = subprocess.run([ORACLE, db, *opts], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=self.env, timeout=120)
                self.assertEqual(b.returncode, 0, b.stderr)
                self.assertEqual(a.out, b.stdout.decode('utf-8', 'replace'))


class Imports(RollupCase):
    def test_fixtures_duplicates_and_reports(self):
        self.import_ok('--log-group', '/aws/eks/demo/cluster', *fixture_files('demo', '.log'))
        self.check_rollups(when='demo')
        self.import_ok('--cluster', 'lab', *fixture_files('eras'))
        self.import_ok(*fixture_files('classes'), *fixture_files('real'))
        self.run_cli('import', '--log-group', '/aws/eks/prod/cluster', *fixture_files('wrappers'))
        self.run_cli('import', *fixture_files('noise'))
        self.check_rollups(when='every fixture')
        # the same files again: duplicates only, nothing moves
        before = self.query('SELECT * FROM rollup_denials ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9')
        counts = self.import_ok('--cluster', 'lab', *fixture_files('eras'))
        self.assertEqual(counts[0], 0, counts)
        self.assertEqual(self.query('SELECT * FROM rollup_denials ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9'), before)
        self.check_rollups(when='again')
        self.assert_oracle_reports()

    def test_lines_repeated_within_one_transaction(self):
        """Rows go 16 to an INSERT: one that repeats a row of the same statement or of the
        open transaction is ignored there, and the rows kept for the rollups must still be
        the stored ones with their ids (a miscount would show as a rollup that differs)."""
        path = self.gen('gen.log', 6000, 9, hours=2)
        with open(path, encoding='utf-8') as f:
            lines = f.readlines()
        doubled = []
        for i, line in enumerate(lines):
            doubled.append(line)
            if i % 7 == 0:
                doubled.append(line)  # the same row again in the same INSERT
        doubled += lines[:300]  # and again hundreds of rows later, still uncommitted
        plain = self.import_ok(path, extra=('--db', os.path.join(self.tmp, 'plain.db')))
        counts = self.import_ok(self.write('doubled.log', ''.join(doubled)))
        records = plain[0]
        self.assertEqual(counts[0], records, counts)
        self.assertEqual(counts[0] + counts[1] + counts[2], len(doubled), counts)
        self.assertGreater(counts[1], 1000, counts)
        self.check_rollups(when='repeated lines')
        self.assertEqual(self.scalar('SELECT MAX(id) - MIN(id) + 1 FROM event_rows'), records)
        sql = 'SELECT id, ts, dedupe_key, raw FROM events ORDER BY id'
        self.assertEqual(self.query(sql), self.query(sql, db=os.path.join(self.tmp, 'plain.db')))

    def test_out_of_time_order(self):
        """The second half of a day first, then the first half: config
        errors at the end of the first half explain not_mapped denials
        stored before them."""
        path = self.gen('day.log', 40000, 3)
        with open(path, encoding='utf-8') as f:
            lines = f.readlines()
        first, second = self.write('first.log', ''.join(lines[:20000])), self.write('second.log', ''.join(lines[20000:]))
        self.import_ok(second)
        self.check_rollups(when='second half')
        self.import_ok(first)
        self.check_rollups(when='then the first half')
        self.assertGreater(self.scalar('SELECT COUNT(*) FROM rollup_denials WHERE in_break = 1'), 0)
        self.assert_oracle_reports()


class Killed(RollupCase):
    def test_sigkill_leaves_rollups_that_agree(self):
        """SIGKILL during import: only whole batches, and their rollups, are
        ever visible."""
        path = os.path.join(self.tmp, 'big.log')
        with open(path, 'wb') as f:
            subprocess.run([sys.executable, GEN, '--lines', '160000', '--seed', '11'], stdout=f, check=True)
        rng = random.Random(5)
        for k in range(4):
            p = subprocess.Popen([BIN, '--db', self.db, '-q', 'import', path], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=self.env)
            time.sleep(rng.uniform(0.1, 1.5))
            p.send_signal(signal.SIGKILL)
            p.wait()
            con = sqlite3.connect(self.db)
            try:
                self.assertEqual(con.execute('PRAGMA integrity_check').fetchone()[0], 'ok')
            finally:
                con.close()
            self.check_rollups(when='kill %d' % k)
        self.import_ok(path)
        self.check_rollups(when='finished')
        self.assert_oracle_reports(new=False)


class Migration(RollupCase):
    def test_version_2_database(self):
        """A version-2 database (events a table, no rollups) is migrated on
        the first write open: the rollups are built for its rows and the
        report prints what the same data imported today prints."""
        self.import_ok('--log-group', '/aws/eks/demo/cluster', *fixture_files('demo', '.log'))
        self.import_ok('--cluster', 'lab', *fixture_files('eras'), *fixture_files('classes'))
        v2 = os.path.join(self.tmp, 'v2.db')
        con = sqlite3.connect(v2)
        try:
            con.executescript(V2_SCHEMA)
            con.execute("ATTACH ? AS src", ('file:%s?mode=ro' % self.db,))
            con.execute('INSERT INTO imports SELECT id, source, started, finished, imported, duplicates, skipped,'
                        ' first_event_id FROM src.imports')
            con.execute('INSERT INTO events SELECT * FROM src.events ORDER BY id')
            con.commit()
            con.execute('DETACH src')
            con.execute('PRAGMA user_version = 2')
            con.execute('PRAGMA application_id = 1096109139')
            con.commit()
        finally:
            con.close()
        r = self.run_cli('--db', v2, 'report')
        self.assertNotEqual(r.rc, 0, r)  # read-only: not migrated yet
        empty = self.write('empty.log', '')
        self.ok('--db', v2, '-q', 'import', empty)
        self.assertEqual(self.scalar('PRAGMA user_version', db=v2), self.scalar('PRAGMA user_version'))
        self.check_rollups(db=v2, when='migrated')
        # what is new (--new, each cluster's new findings) is the last run's:
        # the same empty import ends both
        self.ok('-q', 'import', empty)
        self.assert_same_reports(self.db, v2)
        self.assert_oracle_reports(v2)


if __name__ == '__main__':
    main()
