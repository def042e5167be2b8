"""scan against the Logs Insights simulation: what is asked, what is stored, what is shown."""
import json
import os
import pty
import re
import select
import subprocess

from fetchutil import (AKID, BIN, DEMO_SINCE, DEMO_UNTIL, EX_USAGE, GROUP, SECRET, FetchTestCase, demo_records,
                       fixture, main)


class StatusProgression(FetchTestCase):
    def test_scheduled_running_complete_and_only_the_final_rows(self):
        # Scheduled on the first poll, Running (with half the rows) on the second,
        # Complete on the third: only the Complete set may be stored.
        fake = self.fake('--events', fixture('demo'), '--polls', '3')
        r = self.scan_ok('--log-group', GROUP, '--since', DEMO_SINCE, '--until', DEMO_UNTIL)
        self.assert_exactly_once(demo_records())
        state = fake.state()
        self.assertTrue(state['queries'])
        for q in state['queries']:
            self.assertEqual(q['status'], 'Complete', q)
            self.assertEqual(q['polls'], 3, q)
        statuses = [e for e in fake.calls('GetQueryResults')]
        self.assertEqual(len(statuses), 3 * len(state['queries']))
        run = self.runs()[0]
        self.assertEqual(run['status'], 'complete')
        self.assertEqual(run['rows'], demo_records())
        self.assertEqual(run['queries'], len(state['queries']))
        self.assertGreater(run['bytes_scanned'], 0)
        self.assertEqual(run['records_matched'], demo_records())
        self.assertEqual(self.windows(), [])
        # the report follows the fetch, with what the scan cost
        self.assertIn('authlog-scan report', r.out)
        self.assertIn('Logs Insights scans', r.out)
        unwrapped = re.sub(r'\n {4,}', ' ', r.out)  # prose wraps at 80 columns
        self.assertRegex(unwrapped, r'%s .*: complete, %d new rows, %d queries, [0-9.]+ kB scanned'
                         % (GROUP, demo_records(), run['queries']))
        # the summary on stderr names the cost too
        self.assertRegex(r.err, r'^scan: %s .*: %d new rows, 0 already stored, 0 skipped; %d queries, [0-9.]+ kB scanned'
                         % (GROUP, demo_records(), run['queries']))

    def test_request_bodies(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.scan_ok('--log-group', GROUP, '--since', DEMO_SINCE, '--until', DEMO_UNTIL)
        starts = [e['request'] for e in fake.calls('StartQuery')]
        streams = {n[:-4] for n in os.listdir(fixture('demo')) if n.startswith('authenticator-') and n.endswith('.log')}
        with open(os.path.join(os.path.dirname(fixture()), 'queries', 'scan.insights')) as f:
            query = f.read()
        windows = sorted((b['startTime'], b['endTime']) for b in starts)
        for b in starts:
            self.assertEqual(set(b), {'logGroupName', 'startTime', 'endTime', 'queryString', 'limit'})
            self.assertEqual(b['logGroupName'], GROUP)
            # the query names the window's authenticator streams (the @logStream index), before its
            # first command
            m = re.fullmatch(r'((?:#[^\n]*\n)*)filter @logStream in \[("authenticator-[0-9a-f]+"(?:, "authenticator-[0-9a-f]+")*)\]\n\| (.*)',
                             b['queryString'], re.S)
            self.assertTrue(m, b['queryString'])
            self.assertEqual(m.group(1) + m.group(3), query)
            self.assertTrue(set(json.loads('[%s]' % m.group(2))) <= streams, m.group(2))
            self.assertEqual(b['limit'], 100000)
        # windows tile the range (each starts where the previous ended: inclusive ends overlap), each
        # query bounded by its streams' events: the first starts at the first authenticator event
        firsts = [st['firstEventTimestamp'] for e in fake.calls('DescribeLogStreams')
                  for st in self.call_page(fake, e)]
        self.assertEqual(windows[0][0], min(firsts) // 1000)
        self.assertLessEqual(windows[-1][1], 1672272000)
        for (s1, e1), (s2, e2) in zip(windows, windows[1:]):
            self.assertEqual(e1, s2)
        for e in fake.calls('GetQueryResults'):
            self.assertEqual(set(e['request']), {'queryId', 'maxItems'})
            self.assertEqual(e['request']['maxItems'], 10000)

    def call_page(self, fake, entry):
        return fake.call_unsigned('DescribeLogStreams', entry['request'])['logStreams']

    def test_signatures_check_out_with_botocore(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '2', '--verify-sigv4', '%s:%s' % (AKID, SECRET))
        self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL)
        sigs = {e['sigv4'] for e in fake.entries()}
        if any(s.startswith('not-checked') for s in sigs):
            self.skipTest('botocore is not importable')
        self.assertEqual(sigs, {'ok'})
        self.assert_exactly_once(demo_records())

    def test_wrong_secret_is_refused(self):
        self.fake('--events', fixture('demo'), '--verify-sigv4', '%s:%s' % (AKID, 'another-secret'))
        r = self.scan('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL)
        if r.rc == 0:
            self.skipTest('botocore is not importable: signatures are not checked')
        self.assertEqual(r.rc, 78, r)
        self.assertIn('InvalidSignatureException', r.err)


class SameRowsAsImport(FetchTestCase):
    def test_fetched_rows_equal_imported_query_results(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.scan_ok('--log-group', GROUP, '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        # The same query's answer as `aws logs get-query-results` prints it, imported.
        with open(os.path.join(os.path.dirname(fixture()), 'queries', 'scan.insights')) as f:
            query = f.read()
        exported = {'results': [], 'status': 'Complete'}
        for start in range(1672185600, 1672272000, 3 * 3600):
            qid = fake.call_unsigned('StartQuery', {'logGroupName': GROUP, 'startTime': start,
                                                    'endTime': start + 3 * 3600 - 1, 'queryString': query})['queryId']
            res = fake.call_unsigned('GetQueryResults', {'queryId': qid})
            exported['results'] += res['results']
        path = self.write('results.json', json.dumps(exported))
        other = os.path.join(self.tmp, 'imported.db')
        env = dict(self.env, AUTHLOG_DB=other)
        r = self.run_cli('import', '--log-group', GROUP, '--region', 'eu-west-1', path, env=env)
        self.assertEqual(r.rc, 0, r)
        cols = [c['name'] for c in self.query('PRAGMA table_info(events)') if c['name'] not in ('id', 'import_id')]
        sql = 'SELECT %s FROM events ORDER BY dedupe_key' % ', '.join(cols)
        fetched, imported = self.query(sql), self.query(sql, db=other)
        self.assertEqual(len(fetched), demo_records())
        self.assertEqual(fetched, imported)


class Groups(FetchTestCase):
    def test_two_clusters_share_the_pool(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '2',
                         '--generate', '500:1672192800:1672200000:/aws/eks/other/cluster')
        r = self.scan_ok('--cluster', 'demo', '--log-group', '/aws/eks/other/cluster',
                         '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--concurrency', '3')
        by = {row['log_group']: row for row in self.query(
            'SELECT log_group, cluster, COUNT(*) AS n FROM events GROUP BY 1, 2')}
        self.assertEqual(by[GROUP]['n'], demo_records())
        self.assertEqual(by[GROUP]['cluster'], 'demo')
        self.assertEqual(by['/aws/eks/other/cluster']['n'], 500)
        self.assertEqual(by['/aws/eks/other/cluster']['cluster'], 'other')
        self.assertEqual(len(self.runs()), 2)
        self.assertLessEqual(fake.state()['max_running'], 3)
        self.assertEqual(len(r.err.splitlines()), 2, r)  # one summary line per group

    def test_cluster_is_shorthand_for_the_log_group(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        self.assertEqual({e['request']['logGroupName'] for e in fake.calls('StartQuery')}, {GROUP})
        self.assertEqual(self.scalar('SELECT COUNT(DISTINCT cluster) FROM events'), 1)

    def test_top_level_log_group_form(self):
        self.fake('--events', fixture('demo'), '--polls', '1')
        r = self.run_cli('--db', self.db, '-q', '--log-group', GROUP, '--since', DEMO_SINCE, '--until', DEMO_UNTIL,
                         '--format', 'json', timeout=120)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(json.loads(r.out)['totals']['denied'], 94)
        self.assert_exactly_once(demo_records())
        r = self.run_cli('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        self.assertEqual(r.rc, 0, r)

    def test_missing_log_group(self):
        self.fake('--events', fixture('demo'))
        r = self.scan('--cluster', 'nosuch', '--since', DEMO_SINCE, '--until', DEMO_UNTIL)
        self.assertEqual(r.rc, 78, r)
        self.assertIn('/aws/eks/nosuch/cluster does not exist', r.err)
        self.assertEqual(r.out, '')


class Report(FetchTestCase):
    def setUp(self):
        super().setUp()
        self.fake('--events', fixture('demo'), '--polls', '1')

    def test_formats(self):
        r = self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--format', 'json')
        doc = json.loads(r.out)
        self.assertEqual(doc['totals']['denied'], 94)
        self.assertEqual(doc['scans'][0]['rows'], demo_records())
        self.assertEqual(doc['scans'][0]['status'], 'complete')
        self.assertIn('bytes_scanned', doc['scans'][0])
        self.assertIn('eu-west-1', json.dumps(doc['findings']))  # the region feeds the fixes
        r = self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--format', 'markdown')
        self.assertTrue(r.out.startswith('# authlog-scan report'), r.out[:200])
        self.assertIn('| log group | window |', r.out)

    def test_exit_code(self):
        r = self.scan('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--exit-code', '-q')
        self.assertEqual(r.rc, 1, r)
        r = self.scan('--cluster', 'demo', '--since', '2022-12-28T00:00:00Z', '--until', '2022-12-28T01:00:00Z',
                      '--exit-code')
        self.assertEqual(r.rc, 0, r)  # no denial in that hour

    def test_no_report(self):
        r = self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        self.assertEqual(r.out, '')


class Queries(FetchTestCase):
    def test_bundled_query_by_name(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--query', 'denials',
                     '--no-report')
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE outcome = 'denied'"), 94)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE outcome IS NOT 'denied'"), 0)
        self.assertEqual(self.runs()[0]['query'], 'denials')
        self.assertTrue(all('access denied' in e['request']['queryString'] for e in fake.calls('StartQuery')))

    def test_top_n_query_runs_once_over_the_window(self):
        # cluster-creator has its own `limit 50`: it asks for the newest 50, so it is
        # one query over the whole window and nothing is split.
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--query',
                     'cluster-creator', '--no-report')
        starts = fake.calls('StartQuery')
        self.assertEqual(len(starts), 1)
        self.assertEqual(starts[0]['request']['limit'], 50)

    def test_query_file(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1')
        path = self.write('mine.insights', '# mine: STS responses only\nfields @timestamp, @logStream, @ptr, '
                          '@message\n| filter @logStream like /authenticator/\n| filter @message like '
                          '"msg=\\"STS response\\""\n| sort @timestamp asc\n')
        self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--query', path,
                     '--no-report')
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE kind <> 'sts_response'"), 0)
        self.assertGreater(self.event_count(), 0)
        self.assertEqual(fake.calls('StartQuery')[0]['request']['limit'], 100000)

    def test_bad_queries(self):
        self.fake('--events', fixture('demo'))
        r = self.scan('--cluster', 'demo', '--query', 'nosuch')
        self.assertEqual(r.rc, 66, r)
        path = self.write('bad.insights', 'fields @message | stats count(*) by bin(1h)\n')
        r = self.scan('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--query', path)
        self.assertEqual(r.rc, 65, r)
        self.assertIn('MalformedQueryException', r.err)


class Usage(FetchTestCase):
    def test_usage_errors(self):
        for args in ([], ['--since', '1h'], ['--cluster', 'demo', '--since', 'yesterday'],
                     ['--cluster', 'demo', '--until', 'later'], ['--cluster', 'bad name'],
                     ['--log-group', 'bad group!'], ['--cluster', 'demo', '--concurrency', '0'],
                     ['--cluster', 'demo', '--concurrency', 'x'], ['--cluster', 'demo', '--format', 'xml'],
                     ['--cluster', 'demo', '--overlap', 'soon'], ['--cluster', 'demo', '--no-such-option'],
                     ['--cluster', 'demo', '--since', '2h', '--until', '3h'], ['--cluster', 'demo', 'extra']):
            with self.subTest(args=args):
                r = self.scan(*args)
                self.assertEqual(r.rc, EX_USAGE, r)
                self.assertEqual(len(r.error_lines()), 1, r)
                self.assertTrue(r.error_lines()[0].startswith('authlog-scan: scan: '), r)
                self.assertEqual(r.out, '')
        self.assertFalse(os.path.exists(self.db))

    def test_help(self):
        r = self.scan_ok('--help')
        self.assertTrue(r.out.startswith('usage: authlog-scan scan'))
        for opt in ('--log-group', '--cluster', '--since-last-run', '--concurrency', '--wait', '--allow-partial',
                    '--query', '--format', '--new', '--quiet', '--exit-code'):
            self.assertIn(opt, r.out)


class Progress(FetchTestCase):
    def run_pty(self, *args):
        """scan with stderr on a pseudo-terminal; returns (rc, stderr bytes)."""
        master, slave = pty.openpty()
        proc = subprocess.Popen([BIN, 'scan'] + list(args), env=self.env, cwd=self.tmp, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            r, _, _ = select.select([master], [], [], 60)
            if not r:
                break
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        return proc.wait(60), b''.join(chunks)

    def test_progress_line_on_a_terminal_only(self):
        self.env['AUTHLOG_SCAN_TIME_SCALE'] = '0.2'
        self.fake('--events', fixture('demo'), '--polls', '2', '--latency-ms', '300')
        rc, err = self.run_pty('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        self.assertEqual(rc, 0, err)
        text = err.decode()
        self.assertRegex(text, r'\r\x1b\[Kscan: windows \d+/\d+  rows \d+  \d+ rows/s  \d+ running  ETA')
        self.assertIn('\r\x1b[K', text.split('scan: ' + GROUP)[0])  # the line is cleared before the summary
        # quiet: nothing at all, even on a terminal
        rc, err = self.run_pty('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report', '-q')
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, b'')
        # not a terminal: no progress
        r = self.scan_ok('--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        self.assertNotIn('\x1b[K', r.err)
        self.assertNotIn('windows', r.err)


class Verbose(FetchTestCase):
    def test_every_call_is_logged_without_secrets(self):
        self.fake('--events', fixture('demo'), '--polls', '2')
        r = self.scan_ok('-v', '--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        for op in ('DescribeLogGroups', 'StartQuery', 'GetQueryResults'):
            self.assertRegex(r.err, r'authlog-scan: aws: %s: HTTP 200, [0-9.]+ ms, 1 attempt' % op)
        self.assertRegex(r.err, r'Complete, \d+ rows, [0-9.]+ kB scanned, [0-9.]+ k?B skipped by the index \(\d+ records, \d+ matched\)')
        self.assertNotIn(SECRET, r.err)
        self.assertNotIn('AKIDFETCHTEST', r.err)
        r = self.scan_ok('-v', '-v', '--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL, '--no-report')
        self.assertIn('Authorization: [redacted]', r.err)
        self.assertNotIn(SECRET, r.err)

    def test_no_secret_in_output_or_database(self):
        """Every byte the scan printed or stored: no secret key, no session token."""
        token = 'IQoJb3JpZ2luX2VjEXAMPLEfetchSessionToken/+=='
        self.env['AWS_SESSION_TOKEN'] = token
        self.fake('--events', fixture('demo'), '--polls', '2')
        r = self.scan_ok('-v', '-v', '--cluster', 'demo', '--since', DEMO_SINCE, '--until', DEMO_UNTIL)
        blobs = [r.out.encode(), r.err.encode()]
        for suffix in ('', '-wal', '-shm'):
            path = self.db + suffix
            if os.path.exists(path):
                with open(path, 'rb') as f:
                    blobs.append(f.read())
        self.assertGreater(len(blobs), 2, 'the database was written')
        for blob in blobs:
            for secret in (SECRET, token):
                self.assertNotIn(secret.encode(), blob)


if __name__ == '__main__':
    main()
