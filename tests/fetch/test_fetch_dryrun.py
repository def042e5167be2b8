"""scan --dry-run: the windows, streams and queries a run would start with, and the group's
class and stored bytes; no StartQuery (the fake's log and state say), nothing written to the
database (not created when missing; no run, window or event row added when it exists)."""
import hashlib
import os
import re
import time

from fetchutil import GROUP, FetchTestCase, main


def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


class DryRun(FetchTestCase):
    def setUp(self):
        super().setUp()
        self.t = int(time.time()) - 60
        self.window = ('--since', iso(self.t - 3 * 3600), '--until', iso(self.t))

    def test_prints_the_plan_runs_nothing_creates_nothing(self):
        fake = self.fake('--generate', '600:%d:%d' % (self.t - 3 * 3600 + 1, self.t - 1), '--audit-ratio', '0.99')
        db = os.path.join(self.tmp, 'dry.db')
        r = self.scan('--cluster', 'demo', *self.window, '--db', db, '--dry-run')
        self.assertEqual(r.rc, 0, r)
        state = fake.state()
        stored = sum(state['stream_bytes'][GROUP].values())
        streams = sorted(s for s in state['stream_bytes'][GROUP] if s.startswith('authenticator'))
        self.assertEqual(len(streams), 4)
        self.assertIn('%s: %s..%s, Standard class, ' % (GROUP, iso(self.t - 3 * 3600), iso(self.t)), r.out)
        self.assertRegex(r.out, r'Standard class, %.1f MB stored, 4 authenticator streams\n' % (stored / 1e6))
        windows = re.findall(r'^  window (\S+)\.\.(\S+): 4 streams with events from', r.out, re.M)
        self.assertEqual(len(windows), 3)
        self.assertEqual(windows[0][0], iso(self.t - 3 * 3600))
        self.assertEqual(windows[-1][1], iso(self.t))
        for s in streams:
            self.assertEqual(r.out.count('    stream %s\n' % s), 3)
        self.assertEqual(len(re.findall(r'^    query 1: StartQuery startTime \d+ endTime \d+ limit 100000$', r.out,
                                        re.M)), 3)
        self.assertIn('      filter @logStream in ["%s"]\n' % '", "'.join(streams), r.out)
        self.assertTrue(r.out.endswith('dry run: 3 windows, 3 queries (more if a window returns 100000 rows and '
                                       'is split); nothing was run or stored\n'), r.out)
        self.assertEqual(fake.calls('StartQuery'), [])
        self.assertEqual(state['queries'], [])
        self.assertFalse(os.path.exists(db))
        self.assertFalse(os.path.exists(db + '.lock'))

    def test_existing_database_untouched_and_missing_windows_listed(self):
        fake = self.fake('--generate', '600:%d:%d' % (self.t - 3 * 3600 + 1, self.t - 1), '--polls', '1',
                         '--faults', '[{"op": "StartQuery", "kind": "unavailable", "count": -1, "skip": 1}]')
        # a first run: one window fetched, the others failed (pending for the next run)
        r = self.scan('--cluster', 'demo', *self.window, '--no-report', '--concurrency', '1')
        self.assertEqual(r.rc, 75, r)
        pending = self.windows()
        self.assertTrue(pending)
        db = self.db
        before = (digest(db), self.scalar('SELECT COUNT(*) FROM scan_runs'), self.event_count())
        calls = len(fake.calls('StartQuery'))
        r = self.scan('--cluster', 'demo', '--since-last-run', '--until', iso(self.t), '--dry-run')
        self.assertEqual(r.rc, 0, r)
        missing = re.findall(r'^  missing window (\S+)\.\.(\S+):', r.out, re.M)
        # each is listed (clipped to where the resumed window starts, the newest event minus 10 min)
        self.assertEqual(sorted(m[0] for m in missing), sorted(w['start'] for w in pending))
        self.assertIn('  window %s..%s: ' % (iso(self.t - 600), iso(self.t)), r.out)
        self.assertEqual(len(fake.calls('StartQuery')), calls)
        self.assertEqual((digest(db), self.scalar('SELECT COUNT(*) FROM scan_runs'), self.event_count()), before)


if __name__ == '__main__':
    main()
