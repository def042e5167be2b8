#!/usr/bin/env python3
"""prune --older-than: old rows go in batches, the rollups stay equal to
the events (the report over the kept window is the report the oracle
computes from the events alone), ids only grow, and the freed space is
reported."""
import os
import re
import sqlite3

from cliutil import fixture_files, main
from test_report_rollup import RollupCase

FREED_RE = re.compile(r'^freed (\d+) bytes', re.M)


class Prune(RollupCase):
    def kept(self, cutoff):
        return self.query('SELECT id, ts, raw, log_group, error_class, principal_arn FROM events'
                          ' WHERE ts >= ? ORDER BY id', (cutoff,))

    def test_report_over_kept_window_equals_events(self):
        path = self.gen('day.log', 30000, 7)
        with open(path, encoding='utf-8') as f:
            lines = f.readlines()
        self.import_ok('--cluster', 'lab', *fixture_files('eras'))
        self.import_ok(self.write('a.log', ''.join(lines[:15000])))
        self.import_ok(self.write('b.log', ''.join(lines[15000:])))
        lo, hi = self.query('SELECT MIN(ts) AS lo, MAX(ts) AS hi FROM event_rows')[0].values()
        # not on an hour or minute: the rollup rows of the cut hour are rebuilt
        cutoff = self.scalar("SELECT ts FROM event_rows WHERE ts > ? ORDER BY ts LIMIT 1 OFFSET 9000", (lo,))
        cutoff = cutoff[:17] + '37Z'
        before = self.kept(cutoff)
        old = self.scalar('SELECT COUNT(*) FROM event_rows WHERE ts < ?', (cutoff,))
        self.assertGreater(old, 1000)
        size_before = os.path.getsize(self.db)
        max_id = self.scalar('SELECT MAX(id) FROM event_rows')

        r = self.ok('prune', '-v', '--older-than', cutoff)
        self.assertIn('authlog-scan: prune: rollups rebuilt from the kept events', r.err)
        self.assertIn(': %d events' % old, r.out)
        self.assertRegex(r.out, r' [1-9]\d* imports,')
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM event_rows WHERE ts < ?', (cutoff,)), 0)
        self.assertEqual(self.kept(cutoff), before)
        for table, col in (('streams', 'stream_id'), ('identities', 'identity_id'), ('errors', 'error_id'),
                           ('shapes', 'shape_id')):
            self.assertEqual(self.scalar('SELECT COUNT(*) FROM %s WHERE id NOT IN (SELECT %s FROM event_rows'
                                         ' WHERE %s IS NOT NULL)' % (table, col, col)), 0, table)
        # the eras fixture's import kept no event: it is gone, the latest stays
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM imports WHERE id NOT IN'
                                     ' (SELECT import_id FROM event_rows) AND id <> (SELECT MAX(id) FROM imports)'), 0)
        self.check_rollups(when='after prune')
        self.assert_oracle_reports()
        freed = int(FREED_RE.search(r.out).group(1))
        self.assertGreater(freed, 0, r.out)
        self.assertLess(os.path.getsize(self.db), size_before)

        # the same cutoff again: nothing the rollups are made of goes, so they are not rebuilt
        again = self.ok('prune', '-v', '--older-than', cutoff)
        self.assertIn(': 0 events, ', again.out)
        self.assertIn(' 0 imports,', again.out)
        self.assertIn('authlog-scan: prune: rollups unchanged (no event or import went)', again.err)
        self.check_rollups(when='after a prune that deleted nothing')

        # ids only grow: the next import's rows come after every pruned one
        more = self.gen('more.log', 2000, 8, start='2031-01-01T00:00:00Z')
        self.import_ok(more)
        self.assertGreater(self.scalar('SELECT MIN(id) FROM event_rows WHERE ts >= ?', ('2031-01-01',)), max_id)
        self.check_rollups(when='import after prune')
        self.assert_oracle_reports()

    def test_everything_pruned_keeps_the_newest_id(self):
        self.import_ok(self.gen('a.log', 3000, 2))
        max_id = self.scalar('SELECT MAX(id) FROM event_rows')
        self.ok('prune', '--older-than', '9000-01-01T00:00:00Z')
        self.assertEqual(self.query('SELECT id FROM event_rows'), [{'id': max_id}])
        self.check_rollups(when='all pruned')
        self.import_ok(self.gen('b.log', 100, 3, start='2031-01-01T00:00:00Z'))
        self.assertEqual(self.scalar('SELECT MIN(id) FROM event_rows WHERE id <> ?', (max_id,)), max_id + 1)
        self.check_rollups(when='then imported')

    def test_scan_state_older_than_cutoff(self):
        self.import_ok(self.gen('a.log', 2000, 4))
        con = sqlite3.connect(self.db)
        with con:
            imp = con.execute('SELECT MAX(id) FROM imports').fetchone()[0]
            for rid, group, end, status in ((1, 'g1', '2020-01-01T00:00:00Z', 'complete'),
                                            (2, 'g1', '2020-02-01T00:00:00Z', 'complete'),
                                            (3, 'g1', '2020-03-01T00:00:00Z', 'failed'),
                                            (4, 'g2', '2020-01-01T00:00:00Z', 'partial'),
                                            (5, 'g2', '2020-02-01T00:00:00Z', 'partial')):
                con.execute("INSERT INTO scan_runs(id, log_group, query, window_start, window_end, started, status,"
                            " import_id) VALUES (?, ?, 'scan', '2019-12-01T00:00:00Z', ?, ?, ?, ?)",
                            (rid, group, end, end, status, imp))
            con.execute("INSERT INTO scan_windows(run_id, log_group, query, start, end, status)"
                        " VALUES (4, 'g2', 'scan', '2019-01-01T00:00:00Z', '2030-01-01T00:00:00Z', 'failed')")
            con.execute("INSERT INTO scan_windows(run_id, log_group, query, start, end, status)"
                        " VALUES (5, 'g2', 'scan', '2019-01-01T00:00:00Z', '2019-02-01T00:00:00Z', 'failed')")
        con.close()
        r = self.ok('prune', '--older-than', '2021-01-01T00:00:00Z')
        self.assertIn('1 scan runs, 1 scan windows', r.out)
        # 1 went; 2 is g1's last complete run, 3 its last run, 4 owns a window, 5 g2's last run
        self.assertEqual([x['id'] for x in self.query('SELECT id FROM scan_runs ORDER BY id')], [2, 3, 4, 5])
        self.assertEqual([x['run_id'] for x in self.query('SELECT run_id FROM scan_windows')], [4])

    def test_database_without_incremental_vacuum(self):
        self.import_ok(self.gen('a.log', 6000, 5))
        con = sqlite3.connect(self.db)
        con.execute('PRAGMA auto_vacuum = NONE')
        con.execute('VACUUM')
        self.assertEqual(con.execute('PRAGMA auto_vacuum').fetchone()[0], 0)
        con.close()
        cutoff = self.scalar('SELECT ts FROM event_rows ORDER BY ts LIMIT 1 OFFSET 4000')
        r = self.ok('prune', '--older-than', cutoff)
        self.assertEqual(int(FREED_RE.search(r.out).group(1)), 0)
        self.assertRegex(r.out, r'; [1-9]\d* bytes free inside the file for reuse \(run prune --vacuum')
        size = os.path.getsize(self.db)
        r = self.ok('prune', '--older-than', cutoff, '--vacuum')
        self.assertGreater(int(FREED_RE.search(r.out).group(1)), 0)
        self.assertLess(os.path.getsize(self.db), size)
        self.assertEqual(self.scalar('PRAGMA auto_vacuum'), 2)
        self.check_rollups(when='vacuumed')

    def test_usage(self):
        r = self.run_cli('prune')
        self.assertEqual(r.rc, 64)
        self.assertIn('--older-than AGE is required', r.err)
        r = self.run_cli('prune', '--older-than', 'yesterday')
        self.assertEqual(r.rc, 64)
        self.assertIn("'yesterday' is not a time", r.err)


if __name__ == '__main__':
    main()
