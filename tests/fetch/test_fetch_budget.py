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

    def first_query(self, fake):
        """(the StartQuery calls in time order, when the first query's last
        GetQueryResults was answered: its Complete and its pages)"""
        starts = sorted(fake.calls('StartQuery'), key=lambda e: e['time'])
        self.assertTrue(starts)
        first = starts[0]['query_id']
        polls = [e['time'] for e in fake.calls('GetQueryResults') if e['query_id'] == first]
        self.assertTrue(polls)
        status = {q['id']: q['status'] for q in fake.state()['queries']}
        self.assertEqual(status[first], 'Complete')
        return starts, max(polls)

    def test_first_query_of_a_standard_group_runs_alone(self):
        # Named streams on a Standard group: nothing estimates the first query (the
        # streams' storedBytes is 0, the group's counts the audit streams), so with
        # 8 workers it runs alone; its bytes per second of window then estimate the
        # next, which would pass a limit of one and a half hours' bytes
        fake = self.data('--latency-ms', '1000')
        auth = sum(b for s, b in fake.state()['stream_bytes'][GROUP].items() if s.startswith('authenticator'))
        budget = 1.5 * auth / 6
        r = self.scan('--cluster', 'demo', *self.window, '--no-report', '--concurrency', '8',
                      '--max-scan', '%.9f' % (budget / 1e9))
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        self.assertRegex(r.err, r'--max-scan [0-9.]+: stopped: [0-9.]+ kB billed; the next query \(estimated '
                         r'[0-9.]+ kB\) would pass the limit, 5 windows not fetched')
        starts, answered = self.first_query(fake)
        self.assertEqual(len(starts), 1, [e['time'] for e in starts])
        state = fake.state()
        self.assertEqual(state['max_running'], 1)
        queries = state['queries']
        billed = sum(q['bytes'] for q in queries)
        self.assertLessEqual(billed, budget + max(q['bytes'] for q in queries))
        self.assertEqual(self.runs()[0]['status'], 'partial')
        self.assertEqual(self.runs()[0]['bytes_scanned'], billed)
        self.assertEqual(len(self.windows()), 5)
        self.assertGreater(self.event_count(), 0)

    def test_after_the_first_answer_the_group_runs_at_full_concurrency(self):
        # a limit the run stays under: the others wait for the first query's answer
        # (they do not fail), then start together, estimated from its bytes
        fake = self.data('--latency-ms', '1000')
        auth = sum(b for s, b in fake.state()['stream_bytes'][GROUP].items() if s.startswith('authenticator'))
        r = self.scan('--cluster', 'demo', *self.window, '--no-report', '--concurrency', '8',
                      '--max-scan', '%.9f' % (10 * auth / 1e9))
        self.assertEqual(r.rc, 0, r)
        starts, answered = self.first_query(fake)
        self.assertEqual(len(starts), 6, [e['time'] for e in starts])
        for s in starts[1:]:
            self.assertGreaterEqual(s['time'], answered, ([e['time'] for e in starts], answered))
        self.assertGreaterEqual(fake.state()['max_running'], 2)
        self.assertEqual(self.windows(), [])
        self.assertEqual(self.event_count(), self.expected(fake))

    def test_without_a_limit_the_first_queries_start_together(self):
        fake = self.data('--latency-ms', '1000')
        r = self.scan('--cluster', 'demo', *self.window, '--no-report', '--concurrency', '8')
        self.assertEqual(r.rc, 0, r)
        starts, answered = self.first_query(fake)
        self.assertEqual(len(starts), 6, [e['time'] for e in starts])
        self.assertLess(starts[1]['time'], answered, ([e['time'] for e in starts], answered))
        self.assertGreaterEqual(fake.state()['max_running'], 2)

    def test_bad_value(self):
        for v in ('0', '-1', 'x', '1GB', ''):
            r = self.scan('--cluster', 'demo', '--max-scan', v)
            self.assertEqual(r.rc, 64, (v, r))
            self.assertIn("--max-scan '%s' is not a number of GB" % v, r.err)


if __name__ == '__main__':
    main()
