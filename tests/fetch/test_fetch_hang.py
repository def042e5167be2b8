"""An endpoint that hangs or a query that never ends (issue 13, items 5 and 12): a signal
stops the scan at once and marks the run, --timeout bounds a run and the next one resumes,
a window stuck Running is split a bounded number of times, -v says what it waits for;
and signed requests never go in clear to a remote plain-http endpoint."""
import json
import re
import signal
import time

from fetchutil import (DEMO_SINCE, DEMO_UNTIL, EX_CONFIG, EX_TEMPFAIL, GROUP, FetchTestCase, demo_records,
                       fixture, main)

DEMO = ('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL)
FIRST_HOUR_END = 1672189200  # 2022-12-28T01:00:00Z: the demo day's first window ends here


def faults(*items):
    return json.dumps(list(items))


HANG_RESULTS = faults({'op': 'GetQueryResults', 'kind': 'hang', 'count': -1})


class Hanging(FetchTestCase):
    def wait_for_hang(self, fake, proc, timeout=30):
        """Until the scan has a GetQueryResults call the fake holds unanswered."""
        deadline = time.time() + timeout
        while not any(e.get('fault') == 'hang' for e in fake.entries()):
            if proc.poll() is not None or time.time() > deadline:
                self.fail('no GetQueryResults reached the fake: %r' % (proc.communicate(),))
            time.sleep(0.05)

    def test_sigint_stops_a_hung_transfer_at_once_and_marks_the_run(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '2', '--faults', HANG_RESULTS)
        proc = self.start_scan(*DEMO)
        self.wait_for_hang(fake, proc)
        time.sleep(0.5)  # the transfers are well under way
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        r = self.finish(proc, timeout=60)
        took = time.monotonic() - t0
        self.assertLess(took, 2.0, r)
        self.assertEqual(r.rc, -signal.SIGINT, r)
        self.assertIn('interrupted', r.err)
        run = self.runs()[0]
        self.assertEqual(run['status'], 'interrupted', run)
        self.assertIsNotNone(run['finished'], run)
        # what it kept: the queries it ran (billed, though they brought nothing) and no rows
        self.assertEqual(run['queries'], len(fake.calls('StartQuery')), run)
        self.assertGreater(run['queries'], 0)
        self.assertEqual(run['rows'], 0)
        self.assertTrue(self.windows())
        self.assertTrue(all(w['status'] == 'pending' for w in self.windows()))
        # the queries it abandoned were stopped, not left running
        self.assertEqual(fake.state()['running'], 0, fake.state())

    def test_timeout_ends_a_hung_run_with_75_and_the_next_run_resumes(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '2', '--faults', HANG_RESULTS)
        t0 = time.monotonic()
        r = self.scan(*DEMO, '--timeout', '3s', timeout=60)
        took = time.monotonic() - t0
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        self.assertGreaterEqual(took, 3.0)
        self.assertLess(took, 6.0, r)
        lines = r.error_lines()
        self.assertEqual(len(lines), 1, r)
        self.assertRegex(lines[0], r'^authlog-scan: scan: --timeout 3s: time limit reached, \d+ windows not '
                                   r'fetched; what was fetched is stored, and the next --since-last-run fetches')
        self.assertEqual(r.out, '')
        run = self.runs()[0]
        self.assertEqual(run['status'], 'partial', run)
        self.assertIn('time limit reached', run['error'])
        self.assertTrue(self.windows())
        self.assertEqual(fake.state()['running'], 0, fake.state())
        # the endpoint answers again: the next run fetches everything, nothing twice
        fake.stop()
        self.fake('--events', fixture('demo'), '--polls', '1', name='fake2')
        r = self.scan_ok('--cluster', 'demo', '--since-last-run', '--until', DEMO_UNTIL, '--no-report')
        self.assertRegex(r.err, r'\d+ missing windows? of earlier runs')
        self.assert_exactly_once(demo_records())
        self.assertEqual(self.windows(), [])
        self.assertEqual([x['status'] for x in self.runs()], ['partial', 'complete'])

    def test_timeout_while_resolving(self):
        # DescribeLogGroups itself hangs: nothing was planned, the same one line and 75
        self.fake('--events', fixture('demo'), '--faults',
                  faults({'op': 'DescribeLogGroups', 'kind': 'hang', 'count': -1}))
        t0 = time.monotonic()
        r = self.scan(*DEMO, '--timeout', '2s', timeout=60)
        self.assertLess(time.monotonic() - t0, 5.0, r)
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('--timeout 2s: time limit reached before any window was fetched', r.err)

    def test_timeout_must_be_a_duration(self):
        for bad in ('soon', '-5m', '10'):
            r = self.scan(*DEMO, '--timeout', bad)
            self.assertEqual(r.rc, 64, r)
            self.assertIn('--timeout', r.err)

    def test_verbose_says_what_it_waits_for(self):
        # time scale 0.01: a line every 0.3 s per query instead of every 30 s
        self.fake('--events', fixture('demo'), '--polls', '2', '--faults', HANG_RESULTS)
        r = self.scan(*DEMO, '--timeout', '2s', '-v', '--concurrency', '2', timeout=60)
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        waits = re.findall(r'^authlog-scan: scan: waiting for query ([0-9a-f-]+) \(%s '
                           r'2022-12-28T\d\d:\d\d:\d\dZ\.\.2022-12-28T\d\d:\d\d:\d\dZ\): started \d+s ago, no status '
                           r'yet; GetQueryResults unanswered for \d+s$' % re.escape(GROUP), r.err, re.M)
        self.assertTrue(waits, r.err)
        # at a bounded rate: one line per query per 0.3 s at most over the 2 s
        for qid in set(waits):
            self.assertLessEqual(waits.count(qid), 2.0 / 0.3 + 1, r.err)
        self.assertLessEqual(len(set(waits)), 2)

    def test_verbose_says_how_long_a_query_has_been_running(self):
        self.fake('--events', fixture('demo'), '--polls', '1', '--faults',
                  faults({'op': 'StartQuery', 'kind': 'query_stuck', 'count': -1}))
        r = self.scan(*DEMO, '--timeout', '2s', '-v', timeout=60)
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        self.assertRegex(r.err, r'(?m)^authlog-scan: scan: waiting for query [0-9a-f-]+ \(%s [0-9TZ:.-]+\): '
                                r'Running for \d+s$' % re.escape(GROUP))


class Stuck(FetchTestCase):
    time_scale = '0.1'

    def test_a_window_stuck_running_is_split_twice_then_given_up(self):
        # The first hour's queries stay Running forever; the rest of the day is fine.
        # --timeout 10s: a query gets a quarter of it (2.5 s), the window is split in
        # halves, the halves in quarters, and the quarters fail: 1 + 2 + 4 queries.
        fake = self.fake('--events', fixture('demo'), '--polls', '1', '--faults',
                         faults({'op': 'StartQuery', 'kind': 'query_stuck', 'count': -1,
                                 'start_lt': FIRST_HOUR_END}))
        t0 = time.monotonic()
        r = self.scan(*DEMO, '--timeout', '10s', '--no-report', timeout=60)
        self.assertLess(time.monotonic() - t0, 10.0, r)
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        stuck = [e for e in fake.calls('StartQuery') if e['request']['startTime'] < FIRST_HOUR_END]
        self.assertEqual(len(stuck), 7, stuck)
        # the hour, its halves and its quarters (each query from the first authenticator event in it)
        ends = sorted({e['request']['endTime'] for e in stuck})
        self.assertEqual(sorted(e['request']['endTime'] for e in stuck).count(FIRST_HOUR_END), 3)
        self.assertEqual(ends, [FIRST_HOUR_END - 2700, FIRST_HOUR_END - 1800, FIRST_HOUR_END - 900, FIRST_HOUR_END])
        failed = [w for w in self.windows() if w['status'] == 'failed']
        self.assertEqual(len(failed), 4, self.windows())
        self.assertTrue(all('still Running after' in w['error'] and 'split 2 times' in w['error']
                            for w in failed), failed)
        self.assertRegex(r.err, r'4 windows failed .*still Running after \d+s, in a window already split 2 '
                                r'times for that: given up')
        # the rest of the day was fetched, and every stuck query was stopped
        self.assertGreater(self.event_count(), 0)
        self.assertEqual(self.runs()[0]['status'], 'partial')
        self.assertEqual(fake.state()['running'], 0, fake.state())


class InsecureEndpoint(FetchTestCase):
    """Plain http to a host that is not loopback carries the signature and the session
    token in clear: refused before anything is sent unless --allow-insecure-endpoint.
    The remote host is reached through an HTTP proxy that is the fake itself (libcurl
    sends http:// requests for any host to $http_proxy), so nothing leaves 127.0.0.1."""

    def remote_env(self, fake, var='AWS_ENDPOINT_URL', url='http://logs.example.test'):
        self.env.pop('AWS_ENDPOINT_URL', None)
        self.env[var] = url
        self.env['http_proxy'] = fake.url
        self.env['NO_PROXY'] = '127.0.0.1,localhost'

    def test_refused_without_the_option(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.remote_env(fake)
        r = self.scan(*DEMO)
        self.assertEqual(r.rc, EX_CONFIG, r)
        lines = r.error_lines()
        self.assertEqual(len(lines), 1, r)
        self.assertIn('refusing the CloudWatch Logs endpoint http://logs.example.test (AWS_ENDPOINT_URL)', lines[0])
        self.assertIn('in clear', lines[0])
        self.assertIn('--allow-insecure-endpoint', lines[0])
        self.assertEqual(fake.entries(), [])  # nothing was sent

    def test_allowed_with_the_option(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.remote_env(fake)
        r = self.scan(*DEMO, '--allow-insecure-endpoint', '--no-report')
        self.assertEqual(r.rc, 0, r)
        self.assert_exactly_once(demo_records())
        self.assertTrue(fake.calls('StartQuery'))

    def test_eks_endpoint_is_checked_too(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.env['AWS_ENDPOINT_URL_EKS'] = 'http://10.1.2.3:8080'
        r = self.scan(*DEMO)
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('refusing the EKS endpoint http://10.1.2.3:8080 (AWS_ENDPOINT_URL_EKS)', r.err)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertEqual(fake.calls('StartQuery'), [])

    def test_https_and_loopback_are_fine(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.env['AWS_ENDPOINT_URL'] = 'http://localhost:%d' % fake.port
        r = self.scan(*DEMO, '--no-report')
        self.assertEqual(r.rc, 0, r)
        self.assert_exactly_once(demo_records())

    def test_sts_through_whoami(self):
        fake = self.fake('--events', fixture('demo'))
        self.remote_env(fake, 'AWS_ENDPOINT_URL_STS', 'http://sts.example.test')
        r = self.run_cli('whoami')
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertRegex(r.err, r'refusing to send a signed request to http://sts\.example\.test: plain http to '
                                r'a host that is not loopback carries the signature and the session token in '
                                r'clear')
        self.assertEqual(fake.entries(), [])
        # with the option the request goes out (the fake is no STS: any answer but the refusal)
        r = self.run_cli('whoami', '--allow-insecure-endpoint')
        self.assertNotIn('refusing', r.err)
        self.assertTrue(fake.entries())

    def test_assume_role_in_the_credential_chain(self):
        # a profile that assumes a role signs AssumeRole with its source keys: the
        # chain's STS client is held to the same rule
        import os
        cfg = os.path.join(self.tmp, 'aws-config')
        with open(cfg, 'w') as f:
            f.write('[profile target]\nrole_arn = arn:aws:iam::111122223333:role/x\n'
                    'source_profile = src\nregion = eu-west-1\n[profile src]\n')
        creds = os.path.join(self.tmp, 'aws-credentials')
        with open(creds, 'w') as f:
            f.write('[src]\naws_access_key_id = AKIDSRC\naws_secret_access_key = srcsecret\n')
        fake = self.fake('--events', fixture('demo'))
        self.env.update({'AWS_CONFIG_FILE': cfg, 'AWS_SHARED_CREDENTIALS_FILE': creds})
        self.env['AWS_ENDPOINT_URL_STS'] = 'http://sts.example.test'
        self.env['http_proxy'] = fake.url
        r = self.scan(*DEMO, '--profile', 'target')
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('refusing to send a signed request to http://sts.example.test', r.err)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertEqual([e for e in fake.entries() if e.get('op')], [])


if __name__ == '__main__':
    main()
