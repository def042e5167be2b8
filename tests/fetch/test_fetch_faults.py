"""What the endpoint does wrong: throttling, the concurrent-query quota, 5xx, resets,
malformed bodies, queries that end Failed, and the errors that end a run."""
import json
import os

from fetchutil import (DEMO_SINCE, DEMO_UNTIL, EX_CONFIG, EX_NOPERM, EX_TEMPFAIL, EX_UNAVAILABLE, GROUP,
                       FetchTestCase, demo_records, fixture, main)

DEMO = ('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL)


def faults(*items):
    return json.dumps(list(items))


class Transient(FetchTestCase):
    def assert_complete(self, fake, r):
        self.assertEqual(r.rc, 0, r)
        self.assert_exactly_once(demo_records())
        self.integrity()
        self.assertEqual(self.runs()[-1]['status'], 'complete')
        self.assertEqual(self.windows(), [])
        self.assertEqual(fake.state()['running'], 0)

    def test_throttling_storm(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '2', '--faults', faults(
            {'op': 'StartQuery', 'kind': 'throttle', 'count': 12},
            {'op': 'GetQueryResults', 'kind': 'throttle', 'count': 20, 'every': 2},
            {'op': 'DescribeLogGroups', 'kind': 'throttle', 'count': 2}))
        r = self.scan(*DEMO, '--no-report')
        self.assert_complete(fake, r)
        self.assertGreaterEqual(sum(1 for e in fake.entries() if e['fault'] == 'throttle'), 30)

    def test_limit_exceeded_storm_queues_instead_of_failing(self):
        # The account allows 2 queries at once (others' queries count too): 4 workers
        # must back off and queue, never fail and never run more than the quota.
        fake = self.fake('--events', fixture('demo'), '--polls', '2', '--latency-ms', '150', '--max-concurrent', '2',
                         '--faults', faults({'op': 'StartQuery', 'kind': 'limit', 'count': 10, 'skip': 3}))
        r = self.scan(*DEMO, '--concurrency', '4', '--no-report')
        self.assert_complete(fake, r)
        limits = [e for e in fake.entries() if e['op'] == 'StartQuery' and e['status'] == 400]
        self.assertGreaterEqual(len(limits), 10)
        self.assertLessEqual(fake.state()['max_running'], 2)
        self.assertEqual(r.err.count('\n'), 1, r)  # only the summary: queueing is not an error

    def test_server_errors_and_resets(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '2', '--faults', faults(
            {'op': 'StartQuery', 'kind': 'unavailable', 'count': 3},
            {'op': 'StartQuery', 'kind': 'http500', 'count': 2, 'skip': 4},
            {'op': 'GetQueryResults', 'kind': 'http502', 'count': 4, 'every': 3},
            {'op': 'GetQueryResults', 'kind': 'reset', 'count': 3, 'skip': 5},
            {'op': 'DescribeLogGroups', 'kind': 'unavailable', 'count': 1}))
        r = self.scan(*DEMO, '--no-report')
        self.assert_complete(fake, r)

    def test_malformed_bodies(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '2', '--faults', faults(
            {'op': 'GetQueryResults', 'kind': 'malformed', 'count': 6, 'every': 2},
            {'op': 'GetQueryResults', 'kind': 'empty', 'count': 2, 'skip': 7},
            {'op': 'StartQuery', 'kind': 'malformed', 'count': 2},
            {'op': 'StartQuery', 'kind': 'empty', 'count': 1, 'skip': 5}))
        r = self.scan(*DEMO, '--no-report')
        self.assertEqual(r.rc, 0, r)
        self.assert_exactly_once(demo_records())
        self.assertEqual(self.windows(), [])

    def test_query_that_ends_failed_is_run_again(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '2', '--faults', faults(
            {'op': 'StartQuery', 'kind': 'query_failed', 'count': 2},
            {'op': 'StartQuery', 'kind': 'query_cancelled', 'count': 1, 'skip': 4},
            {'op': 'StartQuery', 'kind': 'query_unknown', 'count': 1, 'skip': 6}))
        r = self.scan(*DEMO, '--no-report')
        self.assert_complete(fake, r)
        ended = [q for q in fake.state()['queries'] if q['status'] != 'Complete']
        self.assertEqual(sorted(q['status'] for q in ended), ['Cancelled', 'Failed', 'Failed', 'Unknown'])
        # the failed queries were billed too and are counted
        self.assertEqual(self.runs()[0]['queries'], len(fake.state()['queries']))

    def test_timeout_splits_the_window(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1', '--faults', faults(
            {'op': 'StartQuery', 'kind': 'query_timeout', 'count': 1}))
        r = self.scan(*DEMO, '--no-report')
        self.assert_complete(fake, r)
        qs = fake.state()['queries']
        timed_out = [q for q in qs if q['status'] == 'Timeout']
        self.assertEqual(len(timed_out), 1, qs)
        first = timed_out[0]
        halves = [q for q in qs if first['start'] <= q['start'] and q['end'] <= first['end'] and q is not first]
        self.assertEqual(len(halves), 2, qs)


class Partial(FetchTestCase):
    def test_partial_fetch_exits_75_and_the_next_run_completes_it(self):
        # windows from 12:00 on always end Failed: the rest is stored, 75, and the
        # missing windows are what the next --since-last-run fetches
        noon = 1672228800
        self.fake('--events', fixture('demo'), '--polls', '1', '--faults', faults(
            {'op': 'StartQuery', 'kind': 'query_failed', 'count': -1, 'start_ge': noon}))
        r = self.scan(*DEMO)
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        self.assertRegex(r.err, r'authlog-scan: scan: %s: \d+ windows? failed after retries \(query .* ended '
                         r'Failed\); what was fetched is kept' % GROUP)
        self.assertIn('authlog-scan report', r.out)  # the report of what was fetched
        before = self.event_count()
        self.assertGreater(before, 0)
        self.assertLess(before, demo_records())
        self.assertEqual(self.runs()[0]['status'], 'partial')
        failed = [w for w in self.windows() if w['status'] == 'failed']
        self.assertTrue(failed)
        self.assertTrue(all(w['attempts'] == 4 for w in failed), failed)
        self.assertTrue(all(w['start'] >= '2022-12-28T12:00:00Z' for w in failed), failed)
        # --allow-partial: the same situation is not an error
        r = self.scan(*DEMO, '--allow-partial', '--no-report')
        self.assertEqual(r.rc, 0, r)
        # the endpoint recovers: --since-last-run fetches what is missing, nothing twice
        self.fakes[0].stop()
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        r = self.scan_ok('--cluster', 'demo', '--since-last-run', '--until', DEMO_UNTIL, '--no-report')
        self.assertRegex(r.err, r'\d+ missing windows? of earlier runs')
        self.assert_exactly_once(demo_records())
        self.assertEqual([w for w in self.windows() if w['status'] != 'truncated'], [])
        asked = sorted((e['request']['startTime'], e['request']['endTime']) for e in fake.calls('StartQuery'))
        self.assertGreaterEqual(asked[0][0], noon - 3600)  # only the missing part, not the whole day

    def test_everything_failing_is_69(self):
        self.fake('--events', fixture('demo'), '--polls', '1', '--faults', faults(
            {'op': 'StartQuery', 'kind': 'unavailable', 'count': -1}))
        r = self.scan(*DEMO)
        self.assertEqual(r.rc, EX_UNAVAILABLE, r)
        self.assertEqual(r.out, '')
        self.assertIn('ServiceUnavailableException', r.err)
        self.assertEqual(self.event_count(), 0)
        self.assertTrue(all(w['status'] == 'failed' for w in self.windows()))


class Fatal(FetchTestCase):
    def test_access_denied_names_the_action(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '3', '--latency-ms', '20000', '--faults', faults(
            {'op': 'StartQuery', 'kind': 'access_denied', 'count': -1, 'skip': 2}))
        r = self.scan(*DEMO)
        self.assertEqual(r.rc, EX_NOPERM, r)
        self.assertIn('logs:StartQuery', r.error_lines()[0])
        self.assertIn('AccessDeniedException', r.err)
        self.assertEqual(r.out, '')
        self.assertEqual(self.runs()[0]['status'], 'failed')
        self.assertTrue(self.windows())  # the rest stays to be fetched
        # the two queries that did start were stopped, not left running
        state = fake.state()
        self.assertEqual(state['running'], 0)
        self.assertEqual([q['stopped'] for q in state['queries']], [True, True])
        self.assertEqual(len(fake.calls('StopQuery')), 2)

    def test_access_denied_on_results(self):
        self.fake('--events', fixture('demo'), '--polls', '2', '--faults', faults(
            {'op': 'GetQueryResults', 'kind': 'access_denied', 'count': -1}))
        r = self.scan(*DEMO)
        self.assertEqual(r.rc, EX_NOPERM, r)
        self.assertIn('logs:GetQueryResults', r.err)

    def test_describe_log_groups_denied_is_not_fatal(self):
        self.fake('--events', fixture('demo'), '--polls', '1', '--faults', faults(
            {'op': 'DescribeLogGroups', 'kind': 'access_denied', 'count': -1}))
        r = self.scan(*DEMO, '--no-report')
        self.assertEqual(r.rc, 0, r)
        self.assert_exactly_once(demo_records())

    def test_group_vanishing_mid_scan(self):
        self.fake('--events', fixture('demo'), '--polls', '1', '--faults', faults(
            {'op': 'StartQuery', 'kind': 'not_found', 'count': -1, 'skip': 1}))
        r = self.scan(*DEMO)
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('does not exist', r.err)

    def test_no_credentials(self):
        self.fake('--events', fixture('demo'))
        env = dict(self.env)
        del env['AWS_ACCESS_KEY_ID'], env['AWS_SECRET_ACCESS_KEY']
        r = self.scan(*DEMO, env=env)
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertFalse(os.path.exists(self.db))

    def test_no_region(self):
        self.fake('--events', fixture('demo'))
        env = dict(self.env)
        del env['AWS_REGION']
        r = self.scan(*DEMO, env=env)
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('region', r.err)
        r = self.scan(*DEMO, '--region', 'eu-central-1', '--no-report', env=env)
        self.assertEqual(r.rc, 0, r)

    def test_endpoint_down(self):
        self.env['AWS_ENDPOINT_URL'] = 'http://127.0.0.1:9'
        self.env['AWS_MAX_ATTEMPTS'] = '2'
        r = self.scan(*DEMO, timeout=60)
        self.assertEqual(r.rc, EX_UNAVAILABLE, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('DescribeLogGroups', r.err)

    def test_endpoint_option(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        url = self.env.pop('AWS_ENDPOINT_URL')
        r = self.scan(*DEMO, '--endpoint-url', url, '--no-report')
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(fake.calls('StartQuery'))


if __name__ == '__main__':
    main()
