"""--method filter|insights|auto: FilterLogEvents (logStreamNamePrefix=authenticator, a filter
pattern for the record kinds) reads the same records as the Logs Insights query without a
byte of scan billed; every page is read while a nextToken comes (pages may be partial or
empty); calls stay under the account's 5 a second across all workers; a throttled call backs
off. One event fetched both ways is stored once. auto picks FilterLogEvents only for an
Infrequent Access group (no field index)."""
import json
import os
import time

from fetchutil import EX_USAGE, GROUP, FetchTestCase, main


def iso(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


def grant(t, n):
    return ('time="%s" level=info msg="access granted" arn="arn:aws:iam::111122223333:role/r" '
            'client="127.0.0.1:%d" method=POST path=/authenticate' % (iso(t), 10000 + n))


class Filter(FetchTestCase):
    def setUp(self):
        super().setUp()
        self.t = int(time.time()) - 60
        self.window = ('--since', iso(self.t - 3 * 3600), '--until', iso(self.t))

    def data(self, *args):
        return self.fake('--generate', '900:%d:%d' % (self.t - 3 * 3600 + 1, self.t - 1), '--polls', '1',
                         '--audit-ratio', '0.99', *args)

    def filter_calls(self, fake):
        return fake.calls('FilterLogEvents')

    def test_insights_then_filter_stores_nothing_new(self):
        fake = self.data()
        self.scan_ok('--cluster', 'demo', *self.window, '--no-report', '--method', 'insights')
        n = self.event_count()
        self.assertEqual(n, 900)
        self.assertEqual(self.filter_calls(fake), [])
        r = self.scan_ok('--cluster', 'demo', *self.window, '--no-report', '--method', 'filter')
        self.assertRegex(r.err, r': 0 new rows, 9\d\d already stored, \d+ skipped; 0 queries, 0 B scanned')
        self.assertEqual(self.event_count(), n)
        self.assertEqual(self.scalar('SELECT COUNT(DISTINCT dedupe_key) FROM events'), n)
        calls = self.filter_calls(fake)
        self.assertTrue(calls)
        for c in calls:
            self.assertEqual(c['request']['logStreamNamePrefix'], 'authenticator')
            self.assertIn('?"access denied"', c['request']['filterPattern'])
        self.assertEqual(len(fake.calls('StartQuery')), 3)  # the insights run's only
        self.assertEqual(self.runs()[1]['bytes_scanned'], 0)
        # and the other way round, in a fresh database: filter first, then insights
        db = os.path.join(self.tmp, 'other.db')
        self.scan_ok('--cluster', 'demo', *self.window, '--no-report', '--method', 'filter', '--db', db)
        self.assertEqual(self.event_count(db=db), n)
        r = self.scan_ok('--cluster', 'demo', *self.window, '--no-report', '--method', 'insights', '--db', db)
        self.assertRegex(r.err, r': 0 new rows, ')
        self.assertEqual(self.event_count(db=db), n)

    def test_partial_and_empty_pages_read_to_the_end(self):
        # 100 records, 300 lines no pattern keeps, 100 records; 20 events read a page
        events = [{'stream': 'authenticator-a', 'ts': (self.t - 3000 + i) * 1000, 'message': grant(self.t - 3000 + i, i)}
                  for i in range(100)]
        events += [{'stream': 'authenticator-a', 'ts': (self.t - 2800 + i) * 1000,
                    'message': 'time="%s" level=info msg="listening" n=%d' % (iso(self.t - 2800 + i), i)}
                   for i in range(300)]
        events += [{'stream': 'authenticator-b', 'ts': (self.t - 2400 + i) * 1000, 'message': grant(self.t - 2400 + i, 200 + i)}
                   for i in range(100)]
        path = os.path.join(self.tmp, 'e.jsonl')
        with open(path, 'w') as f:
            for e in events:
                f.write(json.dumps(dict(e, group=GROUP)) + '\n')
        fake = self.fake('--events', path, '--filter-scan', '20')
        self.scan_ok('--cluster', 'demo', '--since', iso(self.t - 3600), '--until', iso(self.t), '--no-report',
                     '--method', 'filter')
        self.assertEqual(self.event_count(), 200)
        calls = self.filter_calls(fake)
        self.assertEqual(len(calls), 25)  # 500 events / 20: 15 pages had nothing
        self.assertEqual([c['request'].get('nextToken') is None for c in calls].count(True), 1)

    def test_paced_under_five_a_second_across_workers(self):
        fake = self.data('--filter-scan', '20')
        t0 = time.monotonic()
        self.scan_ok('--cluster', 'demo', *self.window, '--no-report', '--method', 'filter', '--concurrency', '8')
        took = time.monotonic() - t0
        state = fake.state()
        calls = state['calls']['FilterLogEvents']
        self.assertGreaterEqual(calls, 45)  # 990 authenticator events, 20 a page
        self.assertEqual(state['filter_throttled'], 0)
        self.assertLessEqual(state['filter_max_per_s'], 5)
        self.assertGreaterEqual(took, (calls - 1) / 5.0)
        self.assertEqual(self.event_count(), 900)

    def test_throttled_calls_back_off(self):
        fake = self.data('--faults', json.dumps([{'op': 'FilterLogEvents', 'kind': 'throttle', 'count': 4}]))
        self.scan_ok('--cluster', 'demo', *self.window, '--no-report', '--method', 'filter')
        self.assertEqual(self.event_count(), 900)
        self.assertEqual(sum(1 for c in self.filter_calls(fake) if c.get('fault') == 'throttle'), 4)

    def test_auto_reads_an_infrequent_access_group_with_filter(self):
        fake = self.data('--group-class', 'INFREQUENT_ACCESS')
        r = self.scan_ok('--cluster', 'demo', *self.window, '--dry-run')
        self.assertIn('Infrequent Access class, ', r.out)
        self.assertIn(', read with FilterLogEvents (no scan billed), 4 authenticator streams\n', r.out)
        self.assertEqual(r.out.count(': FilterLogEvents logStreamNamePrefix authenticator startTime '), 3)
        self.assertEqual(fake.calls('FilterLogEvents'), [])
        r = self.scan_ok('--cluster', 'demo', *self.window, '--no-report', '-v')
        self.assertIn('%s: Infrequent Access class: no field index, so Logs Insights would bill every stream\'s '
                      'bytes; reading it with FilterLogEvents (--method auto)' % GROUP, r.err)
        self.assertEqual(fake.calls('StartQuery'), [])
        self.assertTrue(self.filter_calls(fake))
        self.assertEqual(self.event_count(), 900)
        fake.stop()
        fake = self.data()  # Standard: Logs Insights
        self.scan_ok('--cluster', 'demo', *self.window, '--no-report', '--db', os.path.join(self.tmp, 's.db'))
        self.assertEqual(self.filter_calls(fake), [])
        self.assertEqual(len(fake.calls('StartQuery')), 3)

    def test_filter_only_for_the_scan_query(self):
        r = self.scan('--cluster', 'demo', '--method', 'filter', '--query', 'cluster-creator')
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertIn('--method filter reads the records of the scan query only', r.err)
        r = self.scan('--cluster', 'demo', '--method', 'grep')
        self.assertEqual(r.rc, EX_USAGE, r)


if __name__ == '__main__':
    main()
