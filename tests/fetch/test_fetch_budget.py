"""scan --max-scan GB: no query starts that would take the run's Logs Insights bill past the
limit (bytes billed so far + the estimate of the queries running + its own); the run stops,
keeps what it fetched, exits 75, and the next --since-last-run fetches the windows left."""
import os
import re
import time

from fetchutil import EX_TEMPFAIL, GROUP, FetchTestCase, main

N = 1200  # records over the last 6 hours, plus noise lines


def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


class Budget(FetchTestCase):
    def setUp(self):
        super().setUp()
        self.t = int(time.time()) - 60
        self.window = ('--since', iso(self.t - 6 * 3600), '--until', iso(self.t))

    def data(self, *args):
        return self.fake('--generate', '%d:%d:%d' % (N, self.t - 6 * 3600 + 1, self.t - 1), '--polls', '1',
                         '--audit-ratio', '0.99', *args)

    def expected(self, fake):
        """what a complete scan stores: one full run, in its own database"""
        db = os.path.join(self.tmp, 'full.db')
        self.scan_ok('--cluster', 'demo', *self.window, '--no-report', '--db', db)
        return self.event_count(db=db)

    def test_estimate_from_stored_bytes_stops_before_the_first_query(self):
        # Infrequent Access: no index, every stream is scanned, so storedBytes spread over
        # the group's life estimates the first query; 1 kB cannot pay for it
        # (--method insights: auto would read an IA group with FilterLogEvents, billing nothing)
        fake = self.data('--group-class', 'INFREQUENT_ACCESS')
        r = self.scan('--cluster', 'demo', *self.window, '--no-report', '--max-scan', '0.000001',
                      '--method', 'insights')
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        self.assertRegex(r.err, r'authlog-scan: scan: --max-scan 0\.000001: stopped: 0 B billed; the next query '
                         r'\(estimated [0-9.]+ [kM]B\) would pass the limit, 6 windows not fetched; what was '
                         r'fetched is stored, and the next --since-last-run fetches the rest\n')
        self.assertEqual(fake.calls('StartQuery'), [])
        self.assertEqual(self.event_count(), 0)
        self.assertEqual([r['status'] for r in self.runs()], ['partial'])
        self.assertEqual(len(self.windows()), 6)
        # the next run fetches them all
        self.scan_ok('--cluster', 'demo', '--since-last-run', '--no-report', '--method', 'insights')
        self.assertEqual(self.windows(), [])
        self.assertEqual(self.event_count(), self.expected(fake))

    def test_stops_midway_within_the_budget_and_resumes(self):
        fake = self.data()
        state = fake.state()
        auth = sum(b for s, b in state['stream_bytes'][GROUP].items() if s.startswith('authenticator'))
        budget = 2.5 * auth / 6  # two and a half hours' authenticator bytes
        r = self.scan('--cluster', 'demo', *self.window, '--no-report', '--concurrency', '1',
                      '--max-scan', '%.9f' % (budget / 1e9))
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        m = re.search(r'--max-scan [0-9.]+: stopped: ([0-9.]+) kB billed; the next query \(estimated ([0-9.]+) kB\) '
                      r'would pass the limit, (\d) windows not fetched', r.err)
        self.assertTrue(m, r.err)
        queries = fake.state()['queries']
        billed = sum(q['bytes'] for q in queries)
        self.assertLessEqual(billed, budget)
        self.assertEqual(len(queries), 2, queries)  # the third hour would pass 2.5 hours' bytes
        self.assertEqual(int(m.group(3)), 4)
        self.assertEqual(len(self.windows()), 4)
        run = self.runs()[0]
        self.assertEqual(run['status'], 'partial')
        self.assertEqual(run['bytes_scanned'], billed)
        kept = self.event_count()
        self.assertGreater(kept, 0)
        # resumed without a limit: the rest, each row once
        self.scan_ok('--cluster', 'demo', '--since-last-run', '--no-report')
        self.assertEqual(self.windows(), [])
        total = self.expected(fake)
        self.assertGreater(total, kept)
        self.assertEqual(self.event_count(), total)
        self.assertEqual(self.scalar('SELECT COUNT(DISTINCT dedupe_key) FROM events'), total)

    def test_bad_value(self):
        for v in ('0', '-1', 'x', '1GB', ''):
            r = self.scan('--cluster', 'demo', '--max-scan', v)
            self.assertEqual(r.rc, 64, (v, r))
            self.assertIn("--max-scan '%s' is not a number of GB" % v, r.err)


if __name__ == '__main__':
    main()
