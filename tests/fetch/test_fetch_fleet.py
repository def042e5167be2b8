#!/usr/bin/env python3
"""The fleet file and scan --all (issue 16): every cluster with its own profile (or
assumed role) and region in one run, one failing without stopping the others, the
rows carrying their cluster's name, a cluster's keep applied after the scan with the
rollups still equal to the events; fleet-file errors as FILE:LINE: KEY (78);
--cluster NAME taking its section; --profile/--region twice a usage error.

One fake_logs.py answers every region (AWS_ENDPOINT_URL): what tells the clusters
apart on the wire is the SigV4 credential scope of each request (access key id and
region), which the fake logs."""
import json
import os
import re
import sqlite3
import sys
import time

from fetchutil import AKID, EX_CONFIG, EX_TEMPFAIL, EX_USAGE, SECRET, SOURCE_ROOT, FetchTestCase, main

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'creds'))
from credsutil import FakeAWS, form, header, sts_credentials  # noqa: E402
from test_report_rollup import EXPECT  # noqa: E402

KEY1, SECRET1 = 'AKIDPROFILEONE', 'secret/one'
KEY2, SECRET2 = 'AKIDPROFILETWO', 'secret+two'
ROLE_KEY, ROLE_SECRET, ROLE_TOKEN = 'ASIAFLEETROLE', 'role/secret', 'role-token'
ROLE = 'arn:aws:iam::111122223333:role/authlog-scan'
ALPHA, BETA, GAMMA = '/aws/eks/alpha/cluster', '/aws/eks/beta/cluster', '/aws/eks/gamma/cluster'
FLEET = """# three clusters, two regions, two profiles
[cluster alpha]
region = eu-west-1
profile = one
keep = 2h

[cluster beta]
Region = us-east-1
profile = two
account = 111122223333

[cluster gamma]
region = us-east-1
profile = one
"""


class Fleet(FetchTestCase):
    def setUp(self):
        super().setUp()
        self.now = int(time.time())
        creds = os.path.join(self.tmp, 'aws-credentials')
        with open(creds, 'w') as f:
            f.write('[one]\naws_access_key_id = %s\naws_secret_access_key = %s\n'
                    '[two]\naws_access_key_id = %s\naws_secret_access_key = %s\n' % (KEY1, SECRET1, KEY2, SECRET2))
        self.env['AWS_SHARED_CREDENTIALS_FILE'] = creds
        self.env['XDG_CONFIG_HOME'] = os.path.join(self.tmp, 'xdg')
        self.fleet_path = os.path.join(self.tmp, 'xdg', 'authlog-scan', 'clusters')
        os.makedirs(os.path.dirname(self.fleet_path))

    def fleet(self, text, path=None):
        with open(path or self.fleet_path, 'w') as f:
            f.write(text)
        return path or self.fleet_path

    def start_fake(self, *extra):
        # alpha: 3 h to 1 h ago (keep = 2h prunes the older half); beta: 3 h to 1 h ago
        return self.fake('--generate', '400:%d:%d:%s' % (self.now - 3 * 3600, self.now - 3600, ALPHA),
                         '--generate', '300:%d:%d:%s' % (self.now - 3 * 3600, self.now - 3600, BETA),
                         '--polls', '1', '--verify-sigv4', '%s:%s' % (KEY1, SECRET1),
                         '--verify-sigv4', '%s:%s' % (KEY2, SECRET2), '--verify-sigv4', '%s:%s' % (AKID, SECRET),
                         *extra)

    def group_of(self, e, queries):
        req = e.get('request') or {}
        if 'queryId' in req:
            return queries[req['queryId']]
        if req.get('method') == 'GET':  # EKS DescribeCluster /clusters/NAME
            return '/aws/eks/%s/cluster' % req['path'].rsplit('/', 1)[1]
        names = req.get('logGroupNames') or [req.get('logGroupName') or req.get('logGroupIdentifier')
                                             or req.get('logGroupNamePrefix')]
        return names[0]

    def old_rows(self, cluster, cutoff):
        """Ids of the cluster's events before cutoff; prune keeps only the one with the
        database's largest id (ids only grow: report --new relies on it)."""
        rows = [x['id'] for x in self.query('SELECT id FROM events WHERE cluster = ? AND ts < ?', (cluster, cutoff))]
        return [i for i in rows if i != self.scalar('SELECT MAX(id) FROM events')]

    def check_rollups(self):
        con = sqlite3.connect('file:%s?mode=ro' % self.db, uri=True)
        try:
            for table, sql in EXPECT.items():
                self.assertEqual(sorted(con.execute('SELECT * FROM ' + table).fetchall()),
                                 sorted(con.execute(sql).fetchall()), table)
        finally:
            con.close()

    def test_three_clusters_one_failing(self):
        fake = self.start_fake()
        self.fleet(FLEET)
        r = self.scan('--all', '--since', '4h', '--no-report')
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        lines = [l for l in r.err.splitlines() if l.startswith('authlog-scan: scan: cluster ')]
        self.assertEqual(len(lines), 3, r.err)
        self.assertRegex(lines[0], r'^authlog-scan: scan: cluster alpha \(eu-west-1\): complete; [1-9]\d* new rows, '
                                   r'[\d.]+ [kM]?B billed$')
        self.assertRegex(lines[1], r'^authlog-scan: scan: cluster beta \(us-east-1\): complete; 300 new rows, ')
        self.assertRegex(lines[2], r'^authlog-scan: scan: cluster gamma \(us-east-1\): failed: log group '
                                   r'/aws/eks/gamma/cluster does not exist in us-east-1 .*; 0 new rows, 0 B billed$')

        # each cluster's requests: its own profile's key and its own region, every signature good
        entries = [e for e in fake.entries() if e.get('op')]
        queries = {e['query_id']: self.group_of(e, {}) for e in entries if e['op'] == 'StartQuery'}
        want = {ALPHA: [KEY1, 'eu-west-1'], BETA: [KEY2, 'us-east-1'], GAMMA: [KEY1, 'us-east-1']}
        seen = set()
        for e in entries:
            self.assertEqual(e['sigv4'], 'ok', e)
            g = self.group_of(e, queries)
            self.assertEqual([e['scope'][0], e['scope'][2]], want[g], e)
            self.assertEqual(e['scope'][3], 'eks' if e['op'] == 'DescribeCluster' else 'logs', e)
            seen.add((g, e['op']))
        for g in (ALPHA, BETA):
            self.assertIn((g, 'StartQuery'), seen)
            self.assertIn((g, 'DescribeCluster'), seen)
        self.assertIn((GAMMA, 'DescribeLogGroups'), seen)
        self.assertNotIn((GAMMA, 'StartQuery'), seen)

        # the rows carry their cluster's name; alpha's keep left only its last 2 h
        by = dict(self.query('SELECT cluster, COUNT(*) AS n FROM events GROUP BY cluster')[i].values()
                  for i in range(2))
        self.assertEqual(by['beta'], 300)
        self.assertTrue(100 <= by['alpha'] < 400, by)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE cluster = 'alpha' AND log_group <> ?",
                                     (ALPHA,)), 0)
        cutoff = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(self.now - 2 * 3600 - 5))
        self.assertEqual(self.old_rows('alpha', cutoff), [])
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE cluster = 'beta' AND ts < ?", (cutoff,)),
                         self.scalar("SELECT COUNT(*) FROM events WHERE cluster = 'beta'")
                         - self.scalar("SELECT COUNT(*) FROM events WHERE cluster = 'beta' AND ts >= ?", (cutoff,)))
        self.assertGreater(self.scalar("SELECT COUNT(*) FROM events WHERE cluster = 'beta' AND ts < ?", (cutoff,)), 50)
        self.assertRegex(r.err, r'(?m)^scan: alpha: keep 2h: pruned before \d{4}-\d\d-\d\dT[\d:]+Z: '
                                r'[1-9]\d* events, \d+ scan runs, \d+ scan windows$')
        self.assertEqual(len(re.findall(r'(?m)^scan: keep: freed \d+ bytes', r.err)), 1, r.err)
        self.assertNotIn('scan: beta: keep', r.err)
        self.check_rollups()

        runs = {x['log_group']: x for x in self.runs()}
        self.assertEqual((runs[ALPHA]['status'], runs[BETA]['status'], runs[GAMMA]['status']),
                         ('complete', 'complete', 'failed'))
        self.assertIn('does not exist in us-east-1', runs[GAMMA]['error'])
        regions = {(x['name'], x['region']) for x in self.query('SELECT name, region FROM clusters')}
        self.assertEqual(regions, {('alpha', 'eu-west-1'), ('beta', 'us-east-1')})

    def test_concurrency_bounds_the_whole_fleet(self):
        fake = self.start_fake('--latency-ms', '300')
        self.fleet(FLEET.replace('[cluster gamma]\nregion = us-east-1\nprofile = one\n', ''))
        r = self.scan('--all', '--since', '4h', '--no-report', '--concurrency', '2')
        self.assertEqual(r.rc, 0, r)
        # two clusters of 3 hours of events each: 6 queries, at most 2 at once, whatever the cluster
        self.assertEqual(len(fake.calls('StartQuery')), 6)
        self.assertEqual(fake.state()['max_running'], 2)

    def test_denied_while_fetching(self):
        """StartQuery denied for one cluster: that cluster fails (its windows stay for the next
        run), the other is fetched whole."""
        fake = self.start_fake('--faults', json.dumps([{'op': 'StartQuery', 'kind': 'access_denied', 'count': -1,
                                                        'group': ALPHA}]))
        self.fleet(FLEET.replace('[cluster gamma]\nregion = us-east-1\nprofile = one\n', '').replace('keep = 2h\n', ''))
        r = self.scan('--all', '--since', '4h', '--no-report', '--concurrency', '1')
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        self.assertRegex(r.err, r'(?m)^authlog-scan: scan: cluster alpha \(eu-west-1\): failed: .*AccessDenied.*'
                                r'logs:StartQuery.*; 0 new rows, 0 B billed$')
        self.assertRegex(r.err, r'(?m)^authlog-scan: scan: cluster beta \(us-east-1\): complete; 300 new rows')
        # one query at a time: the first denial ends alpha, its other windows are not tried
        started = [self.group_of(e, {}) for e in fake.calls('StartQuery')]
        self.assertEqual((started.count(ALPHA), started.count(BETA)), (1, 3), started)
        runs = {x['log_group']: x for x in self.runs()}
        self.assertEqual((runs[ALPHA]['status'], runs[BETA]['status']), ('failed', 'complete'))
        self.assertIn('AccessDenied', runs[ALPHA]['error'])
        left = self.query("SELECT status, COUNT(*) AS n FROM scan_windows WHERE log_group = ? GROUP BY status",
                          (ALPHA,))
        self.assertEqual([x['status'] for x in left], ['failed'], left)
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM scan_windows WHERE log_group = ?', (BETA,)), 0)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE cluster = 'alpha'"), 0)
        # the next run, no longer denied, fetches what alpha still owes
        fake.stop()
        self.fakes.remove(fake)
        self.start_fake()
        r = self.scan('--all', '--since-last-run', '--since', '4h', '--no-report')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE cluster = 'alpha'"), 400)

    def test_failed_cluster_owes_its_window(self):
        """A cluster whose credentials fail records its window failed in scan_windows: the next
        --since-last-run, which resumes after the failed run's end, fetches it."""
        self.start_fake()
        self.fleet('[cluster alpha]\nregion = eu-west-1\nprofile = three\n')
        r = self.scan('--all', '--since', '4h', '--no-report', '--since-last-run')
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('cluster alpha (eu-west-1): failed: ', r.err)
        [w] = self.windows()
        self.assertEqual((w['log_group'], w['status']), (ALPHA, 'failed'))
        self.assertIn('three', w['error'])
        # the whole window asked for (4 h; events from 3 h ago), not just its end
        self.assertLessEqual(w['start'], time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(self.now - 4 * 3600 + 60)))
        with open(self.env['AWS_SHARED_CREDENTIALS_FILE'], 'a') as f:
            f.write('[three]\naws_access_key_id = %s\naws_secret_access_key = %s\n' % (KEY1, SECRET1))
        r = self.scan('--all', '--since-last-run', '--no-report')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE cluster = 'alpha'"), 400)
        self.assertEqual(self.windows(), [])

    def test_failed_credentials_and_account(self):
        self.start_fake()
        self.fleet('[cluster alpha]\nregion = eu-west-1\nprofile = one\n\n'
                   '[cluster beta]\nregion = us-east-1\nprofile = missing\nlog_group = /aws/eks/other/cluster\n\n'
                   '[cluster gamma]\nregion = us-east-1\nprofile = two\nlog_group = /aws/eks/beta/cluster\n'
                   'account = 444455556666\n')
        r = self.scan('--all', '--since', '4h', '--no-report', '-q')
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        lines = r.err.splitlines()
        # --quiet: only what did not complete
        self.assertEqual(len(lines), 2, r.err)
        self.assertRegex(lines[0], r'^authlog-scan: scan: cluster beta \(us-east-1\): failed: .*missing.*; 0 new rows')
        self.assertRegex(lines[1], r'^authlog-scan: scan: cluster gamma \(us-east-1\): failed: log group '
                                   r'/aws/eks/beta/cluster in us-east-1 is in account 111122223333, not '
                                   r'444455556666 \(the fleet file\'s account\)')
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events WHERE cluster = ?', ('alpha',)), 400)
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events WHERE cluster <> ?', ('alpha',)), 0)

        # --dry-run says which cluster fails and why, and runs the others' plan
        r = self.scan('--all', '--since', '4h', '--dry-run')
        self.assertEqual(r.rc, EX_TEMPFAIL, r)
        self.assertRegex(r.out, r'(?m)^/aws/eks/other/cluster: failed: .*missing')
        self.assertRegex(r.out, r'(?m)^/aws/eks/alpha/cluster: .*, 4 authenticator streams$')
        self.assertIn('dry run: ', r.out)

        # all failing: the first one's own status
        self.fleet('[cluster beta]\nregion = us-east-1\nprofile = missing\n')
        r = self.scan('--all', '--since', '4h', '--no-report')
        self.assertEqual(r.rc, EX_CONFIG, r)

    def test_role_arn(self):
        sts = FakeAWS(self.tmp, [
            {'match': {'method': 'POST', 'action': 'AssumeRole', 'signed': True},
             'responses': [{'json': sts_credentials('AssumeRole', ROLE_KEY, ROLE_SECRET, ROLE_TOKEN)}]},
        ], verify=['%s:%s' % (KEY2, SECRET2)])
        self.addCleanup(sts.stop)
        fake = self.start_fake('--verify-sigv4', '%s:%s:%s' % (ROLE_KEY, ROLE_SECRET, ROLE_TOKEN))
        self.env['AWS_ENDPOINT_URL_STS'] = sts.url
        self.fleet('[cluster beta]\nregion = us-east-1\nprofile = two\nrole_arn = %s\nexternal_id = ext-42\n' % ROLE)
        r = self.scan('--all', '--since', '4h', '--no-report')
        self.assertEqual(r.rc, 0, r)
        [ar] = sts.requests('AssumeRole')
        self.assertEqual(ar['sigv4'], 'ok', ar)
        self.assertIn('Credential=%s/' % KEY2, header(ar, 'Authorization'))
        self.assertEqual((form(ar['body'])['RoleArn'], form(ar['body'])['ExternalId']), (ROLE, 'ext-42'))
        for e in fake.entries():
            if e.get('op'):
                self.assertEqual((e['sigv4'], e['scope'][0], e['scope'][2]), ('ok', ROLE_KEY, 'us-east-1'), e)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE cluster = 'beta'"), 300)

    def test_cluster_from_the_file(self):
        fake = self.start_fake()
        other = self.fleet(FLEET, os.path.join(self.tmp, 'fleet.ini'))
        # a --cluster named in the file scans with its section: profile two, us-east-1
        r = self.scan('--cluster', 'beta', '--clusters', other, '--since', '4h', '--no-report')
        self.assertEqual(r.rc, 0, r)
        scopes = {tuple(e['scope'][:1] + e['scope'][2:3]) for e in fake.entries() if e.get('op')}
        self.assertEqual(scopes, {(KEY2, 'us-east-1')})
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE cluster = 'beta'"), 300)
        # a cluster the file has no section for: as ever (env keys, AWS_REGION), not a fleet run
        r = self.scan('--cluster', 'demo', '--clusters', other, '--since', '4h', '--no-report')
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('/aws/eks/demo/cluster does not exist in eu-west-1', r.err)
        self.assertNotIn('scan: cluster demo', r.err)
        # a --cluster of the default file (XDG_CONFIG_HOME): a single failing cluster keeps its own status
        self.fleet(FLEET)
        r = self.scan('--cluster', 'gamma', '--since', '4h', '--no-report')
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('cluster gamma (us-east-1): failed: log group /aws/eks/gamma/cluster does not exist', r.err)

    def test_fleet_file_errors(self):
        cases = [
            ('[cluster a]\nregion = eu-west-1\nprofle = x\n', 3, 'profle: unknown key'),
            ('[cluster a]\nregion = eu-west-1\n\n[cluster a]\nregion = us-east-1\n', 4,
             'a: cluster given twice (first on line 1)'),
            ('[profile a]\nregion = eu-west-1\n', 1, '[profile a] is not a [cluster NAME] section'),
            ('[cluster -bad]\nregion = eu-west-1\n', 1, '-bad: not an EKS cluster name'),
            ('[cluster a]\nprofile = one\n', 1, 'a: no region'),
            ('[cluster a]\nregion = eu_west_1\n', 2, 'region: not a region name'),
            # host labels the SDKs would send a request to, but no region a fix can name
            ('[cluster a]\nregion = foo\n', 2, 'region: not a region name'),
            ('[cluster a]\nregion = eu-west\n', 2, 'region: not a region name'),
            ('[cluster a]\nregion = EU-WEST-1\n', 2, 'region: not a region name'),
            ('[cluster a]\nregion = eu-west-1\nregion = us-east-1\n', 3,
             'region: set twice in the section (first on line 2)'),
            ('[cluster a]\nregion = eu-west-1\nkeep = 10m\n', 3, 'keep: not an age of an hour or more'),
            ('[cluster a]\nregion = eu-west-1\naccount = 1234\n', 3, 'account: not a 12-digit account id'),
            ('[cluster a]\nregion = eu-west-1\nrole_arn = arn:aws:iam::111122223333:user/bob\n', 3,
             'role_arn: not a role ARN'),
            ('[cluster a]\nregion = eu-west-1\nexternal_id = x y\n', 3, 'external_id: 2 to 1224'),
            ('[cluster a]\nregion = eu-west-1\nexternal_id = abc\n', 1, 'a: external_id without role_arn'),
            ('[cluster a]\nregion = eu-west-1\nlog_group = /x y\n', 3, 'log_group: not a log group name'),
            ('[cluster a]\nregion = eu-west-1\n[cluster b]\nregion = eu-west-1\nlog_group = /aws/eks/a/cluster\n', 3,
             'b: its log group /aws/eks/a/cluster is cluster a\'s too (line 1)'),
            ('region = eu-west-1\n', 1, "expected a [section] header before 'key = value'"),
            ('# nothing\n', None, 'no [cluster NAME] section'),
        ]
        for text, line, what in cases:
            path = self.fleet(text)
            r = self.scan('--all', '--since', '1h')
            self.assertEqual(r.rc, EX_CONFIG, (text, r))
            where = '%s:%d: ' % (path, line) if line else '%s: ' % path
            self.assertEqual(r.err.splitlines(), [r.err.splitlines()[0]], r)
            self.assertTrue(r.err.startswith('authlog-scan: scan: ' + where + what), (text, r.err))
        os.unlink(self.fleet_path)
        r = self.scan('--all', '--since', '1h')
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn(self.fleet_path + ': No such file or directory', r.err)
        self.assertFalse(os.path.exists(self.db))

    def test_usage(self):
        for args, what in [
            (('--cluster', 'a', '--profile', 'x', '--profile', 'y'), "--profile given twice ('x', 'y')"),
            (('--cluster', 'a', '--region', 'eu-west-1', '--region', 'us-east-1'), '--region given twice'),
            (('--all', '--cluster', 'a'), '--all scans every cluster of the fleet file'),
            (('--all', '--clusters', 'a', '--clusters', 'b'), '--clusters given twice'),
            (('--cluster', 'a', '--keep', '30m'), "--keep '30m' is not an age"),
        ]:
            r = self.scan(*args)
            self.assertEqual(r.rc, EX_USAGE, (args, r))
            self.assertIn(what, r.err)
        self.fleet(FLEET)
        r = self.scan('--all', '--region', 'eu-west-1')
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertIn('gives each of its clusters a region', r.err)

    def test_keep_option(self):
        self.start_fake()
        self.fleet(FLEET.replace('keep = 2h\n', '').replace('[cluster gamma]\nregion = us-east-1\nprofile = one\n', ''))
        r = self.scan('-v', '--all', '--since', '4h', '--no-report', '--keep', '90m')
        self.assertEqual(r.rc, 0, r)
        cutoff = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(self.now - 90 * 60 - 5))
        for c in ('alpha', 'beta'):
            self.assertEqual(self.old_rows(c, cutoff), [])
            self.assertGreater(self.scalar('SELECT COUNT(*) FROM events WHERE cluster = ?', (c,)), 20)
            self.assertRegex(r.err, r'(?m)^scan: %s: keep 90m: pruned before .*: [1-9]\d* events' % c)
        # both clusters' retention in one prune: the rollups are rebuilt once, not per cluster
        self.assertEqual(len(re.findall(r'(?m)^authlog-scan: scan: keep: rollups rebuilt', r.err)), 1, r.err)
        self.check_rollups()

        # a longer keep finds nothing that old: the rollups stand as they are, and still equal the events
        r = self.scan('-v', '--all', '--since', '1h', '--no-report', '--keep', '3h')
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.err, r'(?m)^scan: alpha: keep 3h: pruned before .*: 0 events')
        self.assertIn('keep: rollups unchanged (no event or import went)', r.err)
        self.assertNotIn('rollups rebuilt', r.err)
        self.check_rollups()

    def test_examples(self):
        """examples/clusters and the CronJob's ConfigMap are fleet files scan --all reads (nothing
        reachable here: each cluster fails on its own, none is a FILE:LINE error), and the
        crontab, the systemd service and the CronJob run scan --all."""
        ex = os.path.join(SOURCE_ROOT, 'examples')
        with open(os.path.join(ex, 'cronjob.yaml')) as f:
            lines = f.read().splitlines()
        at = lines.index('  clusters: |')
        block = []
        for l in lines[at + 1:]:
            if l and not l.startswith('    '):
                break
            block.append(l[4:])
        configmap = self.fleet('\n'.join(block) + '\n', os.path.join(self.tmp, 'configmap-clusters'))
        with open(os.path.join(self.tmp, 'aws-config'), 'w') as f:
            f.write('[profile prod-readonly]\n[profile staging]\n')
        self.env['AWS_CONFIG_FILE'] = os.path.join(self.tmp, 'aws-config')
        self.env['AWS_ENDPOINT_URL'] = 'http://127.0.0.1:9'  # nothing listens: every call fails
        for path, names in ((os.path.join(ex, 'clusters'), ['prod', 'staging', 'payments']),
                            (configmap, ['prod', 'staging', 'payments'])):
            r = self.scan('--all', '--clusters', path, '--since', '1h', '--no-report')
            self.assertNotIn(path + ':', r.err)
            got = re.findall(r'(?m)^authlog-scan: scan: cluster (\S+) \(([a-z0-9-]+)\): failed: ', r.err)
            self.assertEqual([n for n, _ in got], names, r.err)
            self.assertEqual([g for _, g in got], ['eu-west-1', 'us-east-1', 'eu-central-1'], r.err)
        for name in ('crontab', 'authlog-scan.service'):
            with open(os.path.join(ex, name)) as f:
                self.assertRegex(f.read(), r'(?m)^[^#\n]*authlog-scan scan --all ')
        self.assertIn('                - scan\n                - --all\n', '\n'.join(lines))


if __name__ == '__main__':
    main()
