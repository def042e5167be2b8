"""Named streams: each window's queries name the authenticator streams with events in it
(`filter @logStream in [...]`, the @logStream field index), so Logs Insights bills the
authenticator bytes, not the kube-apiserver-audit streams that are ~99 % of an EKS group."""
import json
import os
import re
import urllib.error

from fetchutil import DEMO_SINCE, DEMO_UNTIL, GROUP, FetchTestCase, demo_records, fixture, main

HOUR = 1700000000 - 1700000000 % 3600  # 2023-11-14T22:00:00Z


def iso(t):
    import time
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


def line(t, n):
    return ('time="%s" level=info msg="access granted" arn="arn:aws:iam::111122223333:role/r" '
            'client="127.0.0.1:%d" method=POST path=/authenticate' % (iso(t), 10000 + n))


class Streams(FetchTestCase):
    def write_events(self, events):
        path = os.path.join(self.tmp, 'events.jsonl')
        with open(path, 'w') as f:
            for e in events:
                f.write(json.dumps(dict(e, group=GROUP)) + '\n')
        return path

    def authenticator_bytes(self, state):
        return sum(b for s, b in state['stream_bytes'][GROUP].items() if s.startswith('authenticator'))

    def test_audit_bytes_are_not_billed(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1', '--audit-ratio', '0.99')
        r = self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        # the summary says what was billed and what the index spared
        self.assertRegex(r.err, r'\d+ queries, [0-9.]+ kB scanned \(\d+ records scanned, \d+ matched\), '
                         r'[0-9.]+ MB skipped by the index\n')
        self.assert_exactly_once(demo_records())
        state = fake.state()
        total = sum(state['stream_bytes'][GROUP].values())
        auth = self.authenticator_bytes(state)
        self.assertLess(auth, total * 0.02)  # the group is ~99 % audit
        run = self.runs()[0]
        billed = sum(q['bytes'] for q in state['queries'])
        self.assertEqual(run['bytes_scanned'], billed)
        self.assertEqual(run['bytes_skipped'], sum(q['skipped'] for q in state['queries']))
        self.assertLessEqual(billed, 1.1 * auth)  # the target
        self.assertGreater(sum(q['skipped'] for q in state['queries']), 0.97 * total)
        for q in state['queries']:
            self.assertIn('filter @logStream in [', q['query'])

    def test_like_alone_would_bill_the_audit_streams(self):
        # the same data through the fake with the query as it was (DescribeLogStreams
        # denied: no names): what the named streams save
        fake = self.fake('--events', fixture('demo'), '--polls', '1', '--audit-ratio', '0.99', '--faults',
                         json.dumps([{'op': 'DescribeLogStreams', 'kind': 'access_denied', 'count': -1}]))
        r = self.scan_ok('--log-group', GROUP, '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report', '-v')
        self.assertIn('going on without the stream names: Logs Insights bills every stream of the group', r.err)
        self.assert_exactly_once(demo_records())
        state = fake.state()
        total = sum(state['stream_bytes'][GROUP].values())
        billed = sum(q['bytes'] for q in state['queries'])
        self.assertGreater(billed, 0.99 * total)
        self.assertEqual(sum(q['skipped'] for q in state['queries']), 0)
        with open(os.path.join(os.path.dirname(fixture()), 'queries', 'scan.insights')) as f:
            query = f.read()
        self.assertTrue(all(q['query'] == query for q in state['queries']))

    def test_no_index_no_saving(self):
        # Infrequent Access groups have no field index; data older than the index is scanned too
        # (--method insights: auto reads an IA group with FilterLogEvents, see test_fetch_filter)
        for args in (['--group-class', 'INFREQUENT_ACCESS'], ['--index-since', '1672272000']):
            fake = self.fake('--events', fixture('demo'), '--polls', '1', '--audit-ratio', '0.99', *args)
            self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report',
                         '--method', 'insights',
                         '--db', os.path.join(self.tmp, '%s.db' % args[0][2:]))
            state = fake.state()
            total = sum(state['stream_bytes'][GROUP].values())
            self.assertEqual(sum(q['skipped'] for q in state['queries']), 0, args)
            self.assertGreater(sum(q['bytes'] for q in state['queries']), 0.99 * total, args)
            fake.stop()

    def test_rotated_streams_bound_each_window(self):
        # stream a: the first hour; b: the third; nothing in the second
        a, b = 'authenticator-' + 'a' * 32, 'authenticator-' + 'b' * 32
        events = [{'stream': a, 'ts': (HOUR + 60 + i) * 1000, 'message': line(HOUR + 60 + i, i)} for i in range(50)]
        events += [{'stream': b, 'ts': (HOUR + 7300 + i) * 1000, 'message': line(HOUR + 7300 + i, i)}
                   for i in range(50)]
        events += [{'stream': 'kube-apiserver-audit-x', 'ts': (HOUR + s) * 1000, 'message': '{}'}
                   for s in range(0, 3 * 3600, 600)]
        fake = self.fake('--events', self.write_events(events), '--polls', '1')
        r = self.scan_ok('--cluster', 'demo', '--since', iso(HOUR), '--until', iso(HOUR + 3 * 3600), '--no-report',
                         '-v')
        self.assert_exactly_once(100)
        queries = sorted(fake.state()['queries'], key=lambda q: q['start'])
        self.assertEqual([(q['start'], q['end']) for q in queries],
                         [(HOUR + 60, HOUR + 110), (HOUR + 7300, HOUR + 7350)])
        self.assertIn('in ["%s"]' % a, queries[0]['query'])
        self.assertIn('in ["%s"]' % b, queries[1]['query'])
        self.assertRegex(r.err, r'%s %s\.\.%s: no authenticator stream has events here; no query'
                         % (re.escape(GROUP), iso(HOUR + 3600), iso(HOUR + 7200)))
        self.assertEqual(self.windows(), [])
        self.assertEqual(self.runs()[0]['status'], 'complete')

    def older_than_the_group(self, *args):
        """Stream a: 50 events in the first hour, b: 50 in the third; the group
        created between them (PutLogEvents takes events up to 14 days old)."""
        a, b = 'authenticator-' + 'a' * 32, 'authenticator-' + 'b' * 32
        events = [{'stream': a, 'ts': (HOUR + 60 + i) * 1000, 'message': line(HOUR + 60 + i, i)} for i in range(50)]
        events += [{'stream': b, 'ts': (HOUR + 7300 + i) * 1000, 'message': line(HOUR + 7300 + i, i)}
                   for i in range(50)]
        return self.fake('--events', self.write_events(events), '--polls', '1', '--creation-time',
                         str(HOUR + 7200), *args)

    def test_stream_times_bound_the_window_not_the_group_creation(self):
        fake = self.older_than_the_group()
        # the service refuses a range that ends before the group's creation ...
        with self.assertRaises(urllib.error.HTTPError) as cm:
            fake.call_unsigned('StartQuery', {'logGroupName': GROUP, 'startTime': HOUR + 60, 'endTime': HOUR + 110,
                                              'queryString': 'fields @message'})
        refused = json.load(cm.exception)
        self.assertEqual(refused['__type'], 'InvalidParameterException')
        self.assertIn('before the log group creation time', refused['message'])
        # ... not one that starts before it: stream a's events are fetched by a query
        # that starts at its first event and ends at the creation
        r = self.scan_ok('--cluster', 'demo', '--since', iso(HOUR), '--until', iso(HOUR + 3 * 3600), '--no-report',
                         '-v')
        self.assertNotIn('window starts at', r.err)
        self.assert_exactly_once(100)
        queries = sorted(fake.state()['queries'], key=lambda q: q['start'])
        self.assertEqual([(q['start'], q['end'], q['rows']) for q in queries],
                         [(HOUR + 60, HOUR + 7200, 50), (HOUR + 7300, HOUR + 7350, 50)])
        self.assertEqual([e['status'] for e in fake.calls('StartQuery')], [400, 200, 200])  # ours alone refused
        self.assertEqual(self.runs()[0]['status'], 'complete')
        self.assertEqual(self.windows(), [])
        # the dry run prints the same range
        dry = self.scan_ok('--cluster', 'demo', '--since', iso(HOUR), '--until', iso(HOUR + 3 * 3600), '--dry-run',
                           '--db', os.path.join(self.tmp, 'dry.db'))
        self.assertIn('StartQuery startTime %d endTime %d limit' % (HOUR + 60, HOUR + 7200), dry.out)

    def test_without_the_streams_the_group_creation_bounds_the_window(self):
        # no logs:DescribeLogStreams: the window starts at the creation; the older
        # events are out of reach, and no query is refused
        fake = self.older_than_the_group('--faults', json.dumps(
            [{'op': 'DescribeLogStreams', 'kind': 'access_denied', 'count': -1}]))
        r = self.scan_ok('--cluster', 'demo', '--since', iso(HOUR), '--until', iso(HOUR + 3 * 3600), '--no-report',
                         '-v')
        self.assertIn("authlog-scan: scan: %s: window starts at %s (the group's creation), not %s\n"
                      % (GROUP, iso(HOUR + 7200), iso(HOUR)), r.err)
        self.assert_exactly_once(50)
        queries = fake.state()['queries']
        self.assertTrue(queries)
        self.assertTrue(all(q['start'] >= HOUR + 7200 for q in queries), queries)
        self.assertEqual(len(fake.calls('StartQuery')), len(queries))  # none refused

    def test_windows_past_the_retention_hold_nothing(self):
        # events over three days, a group that keeps one: StartQuery refuses the
        # windows that end before the retention's start, and DescribeLogGroups'
        # retentionInDays (not the refusal's message) says that is no data
        fake = self.fake('--generate', '720:-72h:-1h', '--retention-days', '1', '--polls', '1')
        r = self.scan_ok('--cluster', 'demo', '--since', '80h', '--no-report', '-v')
        refused = [c for c in fake.calls('StartQuery') if c['status'] == 400]
        self.assertTrue(refused, r.err)
        self.assertEqual(r.err.count("outside the log group's retention or life; nothing to fetch"), len(refused))
        self.assertEqual(self.runs()[0]['status'], 'complete')
        self.assertEqual(self.windows(), [])
        stored = self.scalar('SELECT COUNT(*) FROM events')
        self.assertGreater(stored, 0)
        self.assertLess(stored, 720)
        # without DescribeLogGroups the scan cannot tell an expired window from a bad
        # query: the refusal is the group's error, not an empty answer
        self.fake('--generate', '720:-72h:-1h', '--retention-days', '1', '--polls', '1', '--faults', json.dumps(
            [{'op': 'DescribeLogGroups', 'kind': 'access_denied', 'count': -1}]))
        r = self.scan('--cluster', 'demo', '--since', '80h', '--no-report', '--db', os.path.join(self.tmp, 'b.db'))
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn('exceeds the log group log retention settings', r.err)

    def test_many_streams_several_queries_under_the_length_limit(self):
        names = ['authenticator-%032x-%04d' % (7, i) for i in range(260)]  # 51 characters each
        events = [{'stream': n, 'ts': (HOUR + 10 + i) * 1000, 'message': line(HOUR + 10 + i, i)}
                  for i, n in enumerate(names)]
        fake = self.fake('--events', self.write_events(events), '--polls', '1')
        self.scan_ok('--cluster', 'demo', '--since', iso(HOUR), '--until', iso(HOUR + 3600), '--no-report')
        self.assert_exactly_once(260)
        queries = fake.state()['queries']
        self.assertEqual(len(queries), 2, [len(q['query']) for q in queries])
        self.assertTrue(all(len(q['query']) <= 10000 for q in queries))
        named = [n for q in queries for n in re.findall(r'"(authenticator-[^"]+)"', q['query'])]
        self.assertEqual(sorted(named), sorted(names))  # each stream in exactly one query
        pages = fake.calls('DescribeLogStreams')
        self.assertEqual(len(pages), 6)  # 50 a page
        self.assertEqual([e['request'].get('nextToken') for e in pages][1:],
                         ['streams/%d' % k for k in range(50, 300, 50)])
        self.assertTrue(all(e['request']['logStreamNamePrefix'] == 'authenticator' for e in pages))


if __name__ == '__main__':
    main()
