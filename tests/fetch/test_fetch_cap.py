"""The row cap: 100,000 rows a query read in pages of 10,000, and the 10,000 of a service that
refuses more (--legacy-limit in the fake); windows that return the cap are split until nothing
is left out."""
import json
import re

from fetchutil import DEMO_SINCE, DEMO_UNTIL, GROUP, FetchTestCase, fixture, main

HOUR = 1700000000 - 1700000000 % 3600  # 2023-11-14T22:00:00Z
SINCE, UNTIL = '2023-11-14T22:00:00Z', '2023-11-14T23:00:00Z'


class Cap(FetchTestCase):
    def check_60k(self, *extra):
        fake = self.fake('--generate', '60000:%d:%d' % (HOUR, HOUR + 3600), '--polls', '2', '--legacy-limit')
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
        fake = self.fake('--generate', '60000:%d:%d' % (HOUR, HOUR + 3600), '--polls', '1', '--no-statistics',
                         '--legacy-limit')
        self.scan_ok('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--no-report')
        self.assert_exactly_once(60000)
        lengths = sorted({q['end'] - q['start'] for q in fake.state()['queries']}, reverse=True)
        self.assertEqual(lengths[:4], [3600, 1800, 900, 450])

    def test_one_second_at_the_cap_is_reported_not_hidden(self):
        # 12,000 events inside one second: the window cannot be split further
        self.fake('--generate', '12000:%d:%d' % (HOUR + 600, HOUR + 600), '--generate',
                  '100:%d:%d' % (HOUR, HOUR + 3600), '--polls', '1', '--legacy-limit')
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


class Paged(FetchTestCase):
    def test_60000_rows_one_query_six_pages(self):
        fake = self.fake('--generate', '60000:%d:%d' % (HOUR, HOUR + 3600), '--polls', '2')
        self.scan_ok('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--no-report')
        self.assert_exactly_once(60000)
        queries = fake.state()['queries']
        self.assertEqual(len(queries), 1, queries)  # no split below 100,000 rows
        self.assertEqual(queries[0]['rows'], 60000)
        self.assertEqual(queries[0]['pages'], 5)  # the first page came with Complete
        self.assertEqual(fake.calls('StartQuery')[0]['request']['limit'], 100000)
        tokens = [e['request'].get('nextToken') for e in fake.calls('GetQueryResults')]
        self.assertEqual([t for t in tokens if t], ['page/%s/%d' % (queries[0]['id'], 10000 * i) for i in range(1, 6)])
        self.assertTrue(all(e['request']['maxItems'] == 10000 for e in fake.calls('GetQueryResults')))
        run = self.runs()[0]
        self.assertEqual((run['status'], run['rows'], run['queries'], run['truncated']), ('complete', 60000, 1, 0))

    def test_more_than_100000_rows_split_once(self):
        fake = self.fake('--generate', '120000:%d:%d' % (HOUR, HOUR + 3600), '--polls', '1')
        r = self.scan_ok('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--no-report', '-v')
        self.assert_exactly_once(120000)
        queries = fake.state()['queries']
        capped = [q for q in queries if q['rows'] == 100000]
        self.assertEqual(len(capped), 1, queries)
        self.assertEqual(capped[0]['matched'], 120000)
        kept = [q for q in queries if q['rows'] < 100000]
        self.assertEqual(len(kept), 2, queries)  # 120,000 matched: two parts of 60,000 expected
        self.assertRegex(r.err, r'100000 rows = the cap \(120000 matched, .*\); splitting it in 2')
        self.assertEqual(self.runs()[0]['truncated'], 0)

    def test_a_page_that_fails_is_asked_again(self):
        fake = self.fake('--generate', '25000:%d:%d' % (HOUR, HOUR + 3600), '--polls', '1', '--faults',
                         json.dumps([{'op': 'GetQueryResults', 'kind': 'unavailable', 'skip': 1, 'count': 1}]))
        self.scan_ok('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--no-report')
        self.assert_exactly_once(25000)
        self.assertEqual(len(fake.state()['queries']), 1)

    def test_legacy_service_falls_back_once_and_says_so(self):
        fake = self.fake('--generate', '30000:%d:%d' % (HOUR, HOUR + 3600), '--polls', '1', '--legacy-limit')
        r = self.scan_ok('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--no-report', '-v',
                         '--concurrency', '4')
        self.assert_exactly_once(30000)
        said = re.findall(r'StartQuery refused limit 100000 \(.*limit.*\) and took 10000: 10000 rows per query, '
                          r'windows at that split, for the rest of this run', r.err)
        self.assertEqual(len(said), 1, r.err)
        starts = fake.calls('StartQuery')
        refused = [e for e in starts if e['status'] != 200]
        self.assertTrue(refused)
        self.assertTrue(all(e['request']['limit'] == 100000 for e in refused))
        self.assertLessEqual(len(refused), 4)  # at most one per worker, never again after the switch
        first_legacy = min(i for i, e in enumerate(starts) if e['request']['limit'] == 10000)
        self.assertTrue(all(e['request']['limit'] == 10000 for e in starts[first_legacy + 1:]))
        # a legacy service is not asked for pages
        self.assertTrue(all(set(e['request']) == {'queryId'} for e in fake.calls('GetQueryResults')))
        self.assertGreater(len([q for q in fake.state()['queries'] if q['rows'] == 10000]), 0)
        self.assertEqual(self.runs()[0]['truncated'], 0)

    def test_a_refusal_that_is_not_the_limit_ends_the_run(self):
        # an InvalidParameterException the 10,000 probe gets too: not the limit, the run's error
        fake = self.fake('--events', fixture('demo'), '--polls', '1', '--faults',
                         json.dumps([{'op': 'StartQuery', 'kind': 'invalid_param', 'count': 2,
                                      'message': 'something else is wrong'}]))
        r = self.scan('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--concurrency', '1',
                      '-v')
        self.assertEqual(r.rc, 65, r)
        self.assertIn('something else is wrong', r.err)
        self.assertNotIn('refused limit', r.err)
        limits = [e['request']['limit'] for e in fake.calls('StartQuery')]
        self.assertEqual(limits, [100000, 10000])


if __name__ == '__main__':
    main()
