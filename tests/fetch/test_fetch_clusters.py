"""scan and import record what they learn of each cluster (the clusters table), and a
cluster whose authenticator log is off is an error, not an empty report (issue 12)."""
import json
import os
import re

from fetchutil import AKID, DEMO_SINCE, DEMO_UNTIL, EX_CONFIG, EX_TEMPFAIL, EX_USAGE, SECRET, FetchTestCase, \
    GROUP, fixture, main

DEMO = ('--since', DEMO_SINCE, '--until', DEMO_UNTIL)
ENABLE = ("aws eks update-cluster-config --name %s --region eu-west-1 --logging "
          "'{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":true}]}'")
NOLOG = '/aws/eks/nolog/cluster'


class ClusterFacts(FetchTestCase):
    def nolog_events(self):
        """A group of cluster nolog with a kube-apiserver stream and no authenticator one."""
        path = os.path.join(self.tmp, 'nolog.jsonl')
        with open(path, 'w') as f:
            for i in range(3):
                f.write(json.dumps({'group': NOLOG, 'stream': 'kube-apiserver-0123456789abcdef', 'ts':
                                    1672221600000 + i * 1000, 'message': 'I1228 10:00:0%d.000000 1 '
                                    'httplog.go:132] "HTTP" verb="GET" URI="/healthz"' % i}) + '\n')
        return path

    def cluster(self, name='demo', region='eu-west-1'):
        rows = self.query('SELECT * FROM clusters WHERE name = ? AND region = ?', (name, region))
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def test_facts_after_a_scan(self):
        fake = self.fake('--events', fixture('demo'), '--polls', '1', '--eks-mode', 'API', '--region', 'eu-west-1',
                         '--verify-sigv4', '%s:%s' % (AKID, SECRET))
        self.scan_ok('--log-group', GROUP, *DEMO, '--no-report')
        row = self.cluster()
        self.assertEqual(row['log_group'], GROUP)
        self.assertEqual(row['account'], '111122223333')
        self.assertEqual(row['auth_mode'], 'API')
        self.assertEqual(row['auth_mode_defaulted'], 0)
        self.assertEqual(json.loads(row['logging_types']), ['api', 'audit', 'authenticator'])
        self.assertRegex(row['endpoint'], r'^https://[0-9A-F]{32}\.gr7\.eu-west-1\.eks\.amazonaws\.com$')
        self.assertRegex(row['checked_at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        self.assertIsNone(row['describe_error'])
        self.assertEqual((row['authenticator_streams'], row['logging_off'], row['enable_logging']), (1, 0, None))
        self.assertEqual(row['source'], 'scan')
        described = fake.calls('DescribeCluster')
        self.assertEqual([(e['request']['path'], e['status'], e['sigv4']) for e in described],
                         [('/clusters/demo', 200, 'ok')])
        streams = fake.calls('DescribeLogStreams')
        self.assertEqual([e['request'] for e in streams],
                         [{'logGroupName': GROUP, 'logStreamNamePrefix': 'authenticator', 'limit': 50}])
        # Another region is another cluster: both rows stay.
        self.env['AWS_REGION'] = 'eu-central-1'
        self.scan_ok('--log-group', GROUP, *DEMO, '--no-report')
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM clusters'), 2)
        self.assertEqual(self.cluster(region='eu-central-1')['auth_mode'], 'API')

    def test_describe_cluster_denied_goes_on(self):
        self.fake('--events', fixture('demo'), '--polls', '1', '--eks-mode', 'CONFIG_MAP')
        self.scan_ok('--cluster', 'demo', *DEMO, '--no-report')
        checked = self.cluster()['checked_at']
        self.fakes.pop().stop()
        self.fake('--events', fixture('demo'), '--polls', '1', '--eks-deny', name='denied')
        r = self.scan_ok('-v', '--cluster', 'demo', *DEMO, '--no-report')
        said = [l for l in r.err.splitlines() if 'DescribeCluster' in l and 'going on' in l]
        self.assertEqual(len(said), 1, r.err)
        self.assertIn('AccessDeniedException', said[0])
        row = self.cluster()
        self.assertIn('AccessDeniedException', row['describe_error'])
        # What an earlier answer said stays, with its time.
        self.assertEqual((row['auth_mode'], row['checked_at']), ('CONFIG_MAP', checked))
        self.assertEqual((row['authenticator_streams'], row['logging_off']), (1, 0))
        # Without -v nothing is said.
        r = self.scan_ok('--cluster', 'demo', *DEMO, '--no-report')
        self.assertNotIn('DescribeCluster', r.err)

    def test_no_authenticator_stream_exits_78_with_the_command(self):
        self.fake('--events', self.nolog_events(), '--polls', '1', '--eks-deny')
        r = self.scan('--cluster', 'nolog', '--exit-code', *DEMO)
        self.assertEqual(r.rc, EX_CONFIG, r)
        lines = [l for l in r.err.splitlines() if 'update-cluster-config' in l]
        self.assertEqual(len(lines), 1, r.err)
        self.assertIn('no authenticator stream in %s' % NOLOG, lines[0])
        self.assertTrue(lines[0].endswith(ENABLE % 'nolog'), lines[0])
        row = self.cluster('nolog')
        self.assertEqual((row['authenticator_streams'], row['logging_off'], row['logging_off_reason']),
                         (0, 1, 'no_streams'))
        self.assertEqual(row['enable_logging'], ENABLE % 'nolog')
        # --quiet does not hide it.
        r = self.scan('--cluster', 'nolog', '--quiet', *DEMO)
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn(ENABLE % 'nolog', r.err)

    def test_no_stream_while_describe_cluster_lists_it_enabled(self):
        self.fake('--events', self.nolog_events(), '--polls', '1')
        r = self.scan('--cluster', 'nolog', *DEMO, '--no-report')
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('although DescribeCluster lists the type enabled', r.err)
        self.assertNotIn('update-cluster-config', r.err)
        self.assertIsNone(self.cluster('nolog')['enable_logging'])

    def test_logging_disabled_exits_78(self):
        self.fake('--events', fixture('demo'), '--polls', '1', '--eks-logging', 'api,audit')
        r = self.scan('--log-group', GROUP, *DEMO)
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('the authenticator log type is disabled (DescribeCluster): enable it: ' + ENABLE % 'demo',
                      r.err)
        self.assertIn('authlog-scan report', r.out)  # what the streams still hold is reported
        row = self.cluster()
        self.assertEqual((row['logging_off'], row['logging_off_reason'], json.loads(row['logging_types'])),
                         (1, 'disabled', ['api', 'audit']))
        # Turned on again: the next scan says so.
        self.fakes.pop().stop()
        self.fake('--events', fixture('demo'), '--polls', '1', name='on')
        self.scan_ok('--log-group', GROUP, *DEMO, '--no-report')
        row = self.cluster()
        self.assertEqual((row['logging_off'], row['logging_off_reason'], row['enable_logging']), (0, None, None))

    def test_one_cluster_off_of_two_exits_75(self):
        self.fake('--events', fixture('demo'), '--events', self.nolog_events(), '--polls', '1',
                  '--eks-logging', 'nolog=api')
        r = self.scan('--cluster', 'demo', '--cluster', 'nolog', *DEMO, '--no-report')
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        self.assertIn(ENABLE % 'nolog', r.err)
        self.assertNotIn('--name demo ', r.err)
        self.assertEqual(self.cluster()['logging_off'], 0)
        self.assertEqual(self.cluster('nolog')['logging_off'], 1)
        # The report says it too, in every format: a cluster that logs
        # nothing is not a cluster without denials.
        r = self.run_cli('report')
        self.assertEqual(r.rc, 0, r)
        summary = re.sub(r'\n {4}(?! )', ' ', r.out).splitlines()  # each summary line unwrapped
        line = [l for l in summary if l.startswith('  nolog (')]
        self.assertEqual(len(line), 1, r.out)
        self.assertIn('authenticator log OFF', line[0])
        self.assertIn('    ' + ENABLE % 'nolog', r.out.splitlines())
        demo = [l for l in summary if l.startswith('  demo (')][0]
        self.assertIn('authenticator log on', demo)
        md = self.run_cli('report', '--format', 'markdown').out
        self.assertIn('```sh\n  %s\n  ```' % ENABLE % 'nolog', md)
        doc = json.loads(self.run_cli('report', '--format', 'json').out)
        clusters = {c['name']: c for c in doc['clusters']}
        self.assertEqual((clusters['nolog']['authenticator_logging'], clusters['nolog']['logging_off_reason'],
                          clusters['nolog']['enable_logging']), (False, 'disabled', ENABLE % 'nolog'))
        self.assertEqual((clusters['demo']['authenticator_logging'], clusters['demo']['enable_logging']), (True, None))

    def test_summary_line_after_scans(self):
        # Each cluster's summary line: what the last scan found for the first
        # time, when its last complete scan finished, what its scans billed.
        self.fake('--events', fixture('demo'), '--polls', '1')
        self.scan_ok('--log-group', GROUP, *DEMO, '--no-report')
        pairs = self.scalar("SELECT COUNT(*) FROM (SELECT DISTINCT error_class, principal_arn FROM denials"
                            " WHERE cluster = 'demo')")
        self.assertGreater(pairs, 1)
        run = self.query("SELECT finished, bytes_scanned FROM scan_runs WHERE status = 'complete'")
        self.assertEqual(len(run), 1, run)
        doc = json.loads(self.run_cli('report', '--format', 'json').out)
        demo = {c['name']: c for c in doc['clusters']}['demo']
        self.assertEqual((demo['new_findings'], demo['last_good_scan']), (pairs, run[0]['finished']))
        self.assertEqual(demo['bytes_billed'], int(run[0]['bytes_scanned']))
        self.assertGreater(demo['bytes_billed'], 0)
        self.assertEqual(demo['bytes_billed'], sum(s['bytes_scanned'] for s in doc['scans']))
        # the same window again: nothing new, billed twice, the newer run is the last good one;
        # the report the scan prints counts news from its own run, as `report` does
        printed = json.loads(self.scan_ok('--log-group', GROUP, *DEMO, '--format', 'json').out)
        self.assertEqual({c['name']: c for c in printed['clusters']}['demo']['new_findings'], 0)
        runs = self.query("SELECT finished, bytes_scanned FROM scan_runs WHERE status = 'complete' ORDER BY id")
        self.assertEqual(len(runs), 2, runs)
        doc = json.loads(self.run_cli('report', '--format', 'json').out)
        demo = {c['name']: c for c in doc['clusters']}['demo']
        self.assertEqual(demo['new_findings'], 0)
        self.assertEqual(demo['last_good_scan'], max(r['finished'] for r in runs))
        self.assertEqual(demo['bytes_billed'], int(sum(r['bytes_scanned'] for r in runs)))
        self.ok('import', '--cluster', 'other', fixture('demo', 'authenticator-3f6c2a9e0b8d47c1a5e2f90d6b1c7e48.log'))
        text = self.run_cli('report').out
        summary = re.sub(r'\n {4}(?! )', ' ', text).splitlines()
        demo_line = [l for l in summary if l.startswith('  demo (')]
        self.assertEqual(len(demo_line), 1, text)
        self.assertIn(', 0 new findings; last good scan %s, ' % demo['last_good_scan'], demo_line[0])
        other = [l for l in summary if l.startswith('  other (')][0]
        self.assertRegex(other, r', [1-9]\d* new findings?; last good scan never, 0 B billed;')

    def test_window_trimmed_is_said(self):
        # The group was created after --since and its streams cannot be listed (with
        # them, their times bound the queries: test_fetch_streams): -v says where the
        # window starts.
        self.fake('--events', fixture('demo'), '--polls', '1', '--faults',
                  json.dumps([{'op': 'DescribeLogStreams', 'kind': 'access_denied', 'count': -1}]))
        r = self.scan_ok('-v', '--log-group', GROUP, '--since', '2022-12-20T00:00:00Z', '--until', DEMO_UNTIL,
                         '--no-report')
        said = [l for l in r.err.splitlines() if 'window starts at' in l]
        self.assertEqual(len(said), 1, r.err)
        self.assertRegex(said[0], r"^authlog-scan: scan: %s: window starts at 2022-12-27T\S+Z \(the group's "
                         r"creation\), not 2022-12-20T00:00:00Z$" % GROUP)
        r = self.scan_ok('--log-group', GROUP, '--since', '2022-12-20T00:00:00Z', '--until', DEMO_UNTIL,
                         '--no-report')
        self.assertNotIn('window starts at', r.err)

    def test_import_records_the_region(self):
        line = fixture('demo', 'authenticator-3f6c2a9e0b8d47c1a5e2f90d6b1c7e48.log')
        self.ok('import', '--cluster', 'staging', '--region', 'ap-south-1', line)
        row = self.cluster('staging', 'ap-south-1')
        self.assertEqual((row['source'], row['auth_mode'], row['logging_off']), ('import', None, None))
        self.ok('import', '--log-group', '/aws/eks/blue/cluster', '--region', 'us-east-2', line)
        self.assertEqual(self.cluster('blue', 'us-east-2')['log_group'], '/aws/eks/blue/cluster')
        r = self.run_cli('import', '--cluster', 'staging', '--region', 'eu-west-1; rm -rf /', line)
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertIn('is not a region name', r.err)


if __name__ == '__main__':
    main()
