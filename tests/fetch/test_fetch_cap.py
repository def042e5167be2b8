"""The 10,000-row cap: windows that return it are split until nothing is left out."""
import json

from fetchutil import GROUP, FetchTestCase, main

HOUR = 1700000000 - 1700000000 % 3600  # 2023-11-14T22:00:00Z
SINCE, UNTIL = '2023-11-14T22:00:00Z', '2023-11-14T23:00:00Z'


class Cap(FetchTestCase):
    def check_60k(self, *extra):
        fake = self.fake('--generate', '60000:%d:%d' % (HOUR, HOUR + 3600), '--polls', '2')
        r = self.scan_ok('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--format', 'json', *extra)
        # all 60,000 stored exactly once
        self.assert_exactly_once(60000)
        self.integrity()
        run = self.runs()[0]
        self.assertEqual(run['status'], 'complete')
        self.assertEqual(run['rows'], 60000)
        self.assertEqual(run['truncated'], 0)
        self.assertEqual(self.windows(), [])
        queries = fake.state()['queries']
        self.assertEqual(run['queries'], len(queries))
        capped = [q for q in queries if q['rows'] == 10000]
        kept = [q for q in queries if q['rows'] < 10000]
        self.assertTrue(capped, 'the first window must hit the cap')
        # the kept windows tile the hour and hold every row
        self.assertEqual(sum(q['rows'] for q in kept) - self.dup_edges(kept), 60000)
        spans = sorted((q['start'], q['end']) for q in kept)
        self.assertEqual(spans[0][0], HOUR)
        self.assertEqual(spans[-1][1], HOUR + 3600)
        for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
            self.assertEqual(e1, s2, spans)
        # what every query scanned is billed, the capped ones too
        self.assertEqual(run['records_matched'], sum(q['matched'] for q in queries))
        doc = json.loads(r.out)
        self.assertEqual(doc['scans'][0]['rows'], 60000)
        self.assertEqual(doc['totals']['granted'] + doc['totals']['denied'], 60000)
        return run, queries

    def dup_edges(self, kept):
        return self.runs()[0]['duplicates']

    def test_60000_events_in_one_hour(self):
        run, queries = self.check_60k()
        # recordsMatched says how many parts are needed: one wasted query, not a ladder of halvings
        capped = [q for q in queries if q['rows'] == 10000]
        self.assertEqual(len(capped), 1, queries)

    def test_60000_events_one_query_at_a_time(self):
        self.check_60k('--concurrency', '1')

    def test_without_statistics_it_bisects(self):
        # no recordsMatched to go by: halves, down to what fits
        fake = self.fake('--generate', '60000:%d:%d' % (HOUR, HOUR + 3600), '--polls', '1', '--no-statistics')
        self.scan_ok('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--no-report')
        self.assert_exactly_once(60000)
        lengths = sorted({q['end'] - q['start'] for q in fake.state()['queries']}, reverse=True)
        self.assertEqual(lengths[:4], [3600, 1800, 900, 450])

    def test_one_second_at_the_cap_is_reported_not_hidden(self):
        # 12,000 events inside one second: the window cannot be split further
        self.fake('--generate', '12000:%d:%d' % (HOUR + 600, HOUR + 600), '--generate',
                  '100:%d:%d' % (HOUR, HOUR + 3600), '--polls', '1')
        r = self.scan_ok('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--format', 'json')
        self.assertRegex(r.err, r'authlog-scan: scan: warning: %s: \d+ one-second windows? still returned 10000 '
                         r'rows \(the service\'s cap\), first at 2023-11-14T22:(09:59|10:00)Z: rows there may be missing'
                         % GROUP)
        run = self.runs()[0]
        self.assertGreaterEqual(run['truncated'], 1)
        self.assertEqual(run['status'], 'complete')
        truncated = [w for w in self.windows() if w['status'] == 'truncated']
        self.assertTrue(truncated)
        self.assertLessEqual(truncated[0]['start'], '2023-11-14T22:10:00Z')
        self.assertGreaterEqual(truncated[0]['end'], '2023-11-14T22:10:00Z')
        doc = json.loads(r.out)
        self.assertGreaterEqual(doc['scans'][0]['truncated_windows'], 1)
        # what could be fetched is there: the 100 spread events and 10,000 of the burst
        self.assertGreaterEqual(self.event_count(), 10000 + 100 - 2)
        # the truncated window is not "missing": --since-last-run does not fetch it again
        r = self.scan_ok('--cluster', 'demo', '--since-last-run', '--until', UNTIL, '--no-report')
        self.assertNotIn('missing window', r.err)


if __name__ == '__main__':
    main()
