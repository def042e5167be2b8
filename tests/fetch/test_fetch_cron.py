"""Unattended runs: signals and kills mid-scan, resuming with --since-last-run, the
database lock, --quiet and report --new."""
import json
import os
import signal
import time

from fetchutil import (DEMO_SINCE, DEMO_UNTIL, EX_TEMPFAIL, GROUP, FetchTestCase, demo_records, fixture, main)

T0 = 1700000000 - 1700000000 % 3600            # 2023-11-14T22:00:00Z
SINCE, UNTIL = '2023-11-14T22:00:00Z', '2023-11-15T04:00:00Z'
N = 30000


class Interrupted(FetchTestCase):
    time_scale = '0.05'

    def slow_fake(self, name='fake'):
        return self.fake('--generate', '%d:%d:%d' % (N, T0, T0 + 6 * 3600), '--polls', '2', '--latency-ms', '600',
                         name=name)

    def wait_for(self, cond, what, timeout=60):
        deadline = time.time() + timeout
        while not cond():
            if time.time() > deadline:
                self.fail('timed out waiting for ' + what)
            time.sleep(0.05)

    def stored_rows(self):
        """What the running scan has committed so far (0 before its first commit)."""
        import sqlite3
        if not os.path.exists(self.db):
            return 0
        try:
            con = sqlite3.connect('file:%s?mode=ro' % self.db, uri=True, timeout=0.2)
            try:
                row = con.execute('SELECT COALESCE(SUM(rows), 0) FROM scan_runs').fetchone()
            finally:
                con.close()
            return row[0]
        except sqlite3.Error:
            return 0

    def interrupt(self, sig):
        fake = self.slow_fake()
        proc = self.start_scan('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--concurrency', '2')
        # mid-scan: some windows stored, others running
        self.wait_for(lambda: self.stored_rows() > 0
                      and any(q['status'] in ('Scheduled', 'Running') for q in fake.state()['queries']),
                      'windows to be stored')
        proc.send_signal(sig)
        r = self.finish(proc)
        return fake, r

    def resume_and_check(self):
        self.fakes[0].stop()
        fake = self.slow_fake(name='fake2')
        r = self.scan_ok('--cluster', 'demo', '--since-last-run', '--until', UNTIL, '--no-report')
        self.assertRegex(r.err, r'\d+ missing windows? of earlier runs')
        # no gap, no duplicate
        self.assert_exactly_once(N)
        self.integrity()
        self.assertEqual(self.windows(), [])
        runs = self.runs()
        self.assertEqual([x['status'] for x in runs], ['interrupted', 'complete'])
        # only what was missing (and the overlap at the end) was asked again
        asked = sum(e['request']['endTime'] - e['request']['startTime'] for e in fake.calls('StartQuery'))
        self.assertLess(asked, 6 * 3600)
        return runs

    def test_sigint_mid_scan_then_since_last_run(self):
        fake, r = self.interrupt(signal.SIGINT)
        self.assertEqual(r.rc, -signal.SIGINT, r)
        self.assertIn('interrupted', r.err)
        self.integrity()
        stored = self.event_count()
        self.assertGreater(stored, 0)
        self.assertLess(stored, N)
        self.assertEqual(self.runs()[0]['status'], 'interrupted')
        self.assertEqual(self.runs()[0]['rows'], stored)
        # the scan's imports row says so too, with what it kept
        imp = self.query('SELECT status, imported, finished FROM imports ORDER BY id DESC LIMIT 1')[0]
        self.assertEqual((imp['status'], imp['imported']), ('interrupted', stored))
        self.assertIsNotNone(imp['finished'])
        self.assertTrue(self.windows())
        # the queries it abandoned were stopped
        state = fake.state()
        self.assertEqual(state['running'], 0, state)
        self.assertTrue(any(q['stopped'] for q in state['queries']), state)
        self.resume_and_check()

    def test_sigint_while_a_query_starts(self):
        """A signal while StartQuery is on the wire: the answer is awaited (the service
        starts the query whether or not the client listens, and bills it until it ends),
        then the query is stopped; cutting the transfer left it running."""
        fake = self.fake('--generate', '%d:%d:%d' % (N, T0, T0 + 6 * 3600),
                         '--faults', json.dumps([{'op': 'StartQuery', 'kind': 'delay', 'delay_ms': 2500}]))
        proc = self.start_scan('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--concurrency', '1')
        self.wait_for(lambda: fake.state()['calls'].get('StartQuery', 0) >= 1, 'the first StartQuery')
        proc.send_signal(signal.SIGINT)
        r = self.finish(proc)
        self.assertEqual(r.rc, -signal.SIGINT, r)
        state = fake.state()
        self.assertEqual(len(state['queries']), 1, state)
        self.assertTrue(state['queries'][0]['stopped'], state)
        self.assertEqual(state['running'], 0, state)

    def test_sigterm(self):
        fake, r = self.interrupt(signal.SIGTERM)
        self.assertEqual(r.rc, -signal.SIGTERM, r)
        self.assertEqual(fake.state()['running'], 0)
        self.resume_and_check()

    def test_sigkill_mid_scan_then_since_last_run(self):
        fake, r = self.interrupt(signal.SIGKILL)
        self.assertEqual(r.rc, -signal.SIGKILL)
        self.integrity()
        self.assertEqual(self.runs()[0]['status'], 'running')  # nobody could say otherwise
        runs = self.resume_and_check()
        self.assertIn('process ended', runs[0]['error'])

    def test_kill_during_first_transaction_window(self):
        # killed at once, before anything was recorded: the next run simply starts
        self.slow_fake()
        proc = self.start_scan('--cluster', 'demo', '--since', SINCE, '--until', UNTIL)
        time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        self.finish(proc)
        self.fakes[0].stop()
        self.slow_fake(name='fake2')
        self.scan_ok('--cluster', 'demo', '--since', SINCE, '--until', UNTIL, '--no-report')
        self.assert_exactly_once(N)


def lock_pid(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ''


class Lock(FetchTestCase):
    time_scale = '0.05'

    def test_second_run_exits_75_at_once_or_waits(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '2', '--latency-ms', '1500')
        first = self.start_scan('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        lock = self.db + '.lock'
        deadline = time.time() + 30
        while lock_pid(lock) != str(first.pid):
            self.assertLess(time.time(), deadline, 'the first run never took the lock')
            time.sleep(0.02)
        t = time.time()
        r = self.scan('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL)
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        self.assertLess(time.time() - t, 5)
        self.assertEqual(r.error_lines(), ['authlog-scan: scan: another run holds %s (pid %d); try again later or '
                                           'use --wait' % (lock, first.pid)])
        self.assertEqual(r.out, '')
        waiting = self.start_scan('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--wait',
                                  '--no-report')
        r1 = self.finish(first)
        self.assertEqual(r1.rc, 0, r1)
        r2 = self.finish(waiting)
        self.assertEqual(r2.rc, 0, r2)
        self.assertRegex(r2.err, r': 0 new rows, %d already stored' % demo_records())
        self.assert_exactly_once(demo_records())
        self.assertEqual([x['status'] for x in self.runs()], ['complete', 'complete'])
        # the refused run never reached AWS: one DescribeLogGroups per run that did
        self.assertEqual(len(fake.calls('DescribeLogGroups')), 2)

    def test_signal_ends_the_wait(self):
        self.fake('--events', fixture('demo'), '--polls', '2', '--latency-ms', '3000')
        first = self.start_scan('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        lock = self.db + '.lock'
        deadline = time.time() + 30
        while lock_pid(lock) != str(first.pid):
            self.assertLess(time.time(), deadline)
            time.sleep(0.02)
        waiting = self.start_scan('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--wait')
        time.sleep(0.3)
        waiting.send_signal(signal.SIGINT)
        r = self.finish(waiting, timeout=10)
        self.assertEqual(r.rc, -signal.SIGINT, r)
        self.assertEqual(self.finish(first).rc, 0)


class Quiet(FetchTestCase):
    def test_quiet_prints_only_news(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        demo = ('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL)
        r = self.scan_ok(*demo, '-q')
        self.assertIn('authlog-scan report', r.out)  # everything is new the first time
        self.assertEqual(r.err, '')
        # the same window again: nothing new, nothing printed, stderr empty (chronic -e)
        r = self.scan_ok(*demo, '-q')
        self.assertEqual((r.out, r.err), ('', ''))
        r = self.scan(*demo, '-q', '--exit-code')
        self.assertEqual((r.rc, r.out, r.err), (1, '', ''))  # denials are in the window all the same
        # report --new after a run that found nothing new: no findings
        doc = json.loads(self.ok('report', '--new', '--format', 'json').out)
        self.assertEqual(doc['findings'], [])
        self.assertEqual(doc['new_principals'], [])
        self.assertIs(doc['window']['new_only'], True)
        # a new principal is denied: that is news
        t = 1672272300  # 2022-12-29T00:05:00Z
        line = ('time="2022-12-29T00:05:00Z" level=warning msg="access denied" '
                'arn="arn:aws:iam::111122223333:role/intruder" client="127.0.0.1:40001" '
                'error="ARN is not mapped" method=POST path=/authenticate')
        fake.add_events([{'group': GROUP, 'stream': 'authenticator-3f6c2a9e0b8d47c1a5e2f90d6b1c7e48',
                          'ts': t * 1000 + 5, 'message': line}])
        r = self.scan_ok('--cluster', 'demo', '--since-last-run', '--until', '2022-12-29T01:00:00Z', '-q',
                         '--new', '--format', 'json')
        self.assertEqual(r.err, '')
        doc = json.loads(r.out)
        self.assertEqual([f['principal'] for f in doc['findings']], ['arn:aws:iam::111122223333:role/intruder'])
        doc = json.loads(self.ok('report', '--new', '--format', 'json').out)
        self.assertEqual([f['principal'] for f in doc['findings']], ['arn:aws:iam::111122223333:role/intruder'])
        self.assertEqual(doc['totals']['denied'], 95)
        # without --new, the report of a scan covers its window
        run = self.runs()[-1]
        self.assertEqual(run['window_start'], '2022-12-28T23:50:00Z')
        self.assertEqual(run['window_end'], '2022-12-29T01:00:00Z')


class Resume(FetchTestCase):
    def test_since_last_run_without_history_uses_since(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.scan_ok('--cluster', 'demo', '--since-last-run', '--since', DEMO_SINCE, '--until', DEMO_UNTIL,
                     '--no-report')
        self.assert_exactly_once(demo_records())
        # from --since on: the first query starts at the first authenticator event after it
        self.assertEqual(self.runs()[0]['window_start'], DEMO_SINCE)
        first = min(st['firstEventTimestamp'] for st in fake.call_unsigned(
            'DescribeLogStreams', {'logGroupName': GROUP, 'logStreamNamePrefix': 'authenticator'})['logStreams'])
        self.assertEqual(min(e['request']['startTime'] for e in fake.calls('StartQuery')), first // 1000)

    def test_overlap(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', '2022-12-28T12:00:00Z', '--no-report')
        n = len(fake.calls('StartQuery'))
        self.scan_ok('--cluster', 'demo', '--since-last-run', '--overlap', '1h', '--until', DEMO_UNTIL,
                     '--no-report')
        starts = [e['request']['startTime'] for e in fake.calls('StartQuery')[n:]]
        self.assertEqual(min(starts), 1672228800 - 3600)
        self.assert_exactly_once(demo_records())


if __name__ == '__main__':
    main()
