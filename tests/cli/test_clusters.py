#!/usr/bin/env python3
"""One database, two clusters: report and creator filter by --cluster, news is
per (cluster, class, principal), each finding names its cluster, a report over
both has a summary line and a section per cluster, the stored region fills
each cluster's fixes; each summary line says the cluster's new findings, its
last complete scan and the bytes its scans billed, in every format."""
import json
import re
import sqlite3
import unittest

from cliutil import ACCOUNT, CliTestCase, denial, grant, main, role

PROD_CREATOR = 'arn:aws:iam::%s:user/prod-creator' % ACCOUNT
STAGING_CREATOR = 'arn:aws:iam::%s:user/staging-creator' % ACCOUNT

PROD = [
    grant(PROD_CREATOR, 'kubernetes-admin', groups='[system:masters]', ts='2023-06-12T08:00:00Z', port=1),
    denial('ARN is not mapped', arn=role('deploy'), ts='2023-06-12T09:00:00Z', port=2),
    denial('ARN is not mapped', arn=role('prod-only'), ts='2023-06-12T09:10:00Z', port=3),
]
STAGING = [
    grant(STAGING_CREATOR, 'kubernetes-admin', groups='[system:masters]', ts='2023-06-13T08:00:00Z', port=11),
    denial('ARN is not mapped', arn=role('staging-only'), ts='2023-06-13T09:00:00Z', port=12),
    denial('ARN is not mapped', arn=role('staging-only'), ts='2023-06-13T09:05:00Z', port=13),
]
# Later, on staging: a role prod has denied before (news for staging), and
# the same staging denial again (not news).
STAGING_LATER = [
    denial('ARN is not mapped', arn=role('deploy'), ts='2023-06-14T09:00:00Z', port=21),
    denial('ARN is not mapped', arn=role('staging-only'), ts='2023-06-14T09:01:00Z', port=22),
]


class TwoClusters(CliTestCase):
    def setUp(self):
        super().setUp()
        self.import_ok('--cluster', 'prod', '--region', 'us-east-1', self.write_lines('prod.log', PROD))
        self.import_ok('--cluster', 'staging', '--region', 'eu-west-1', self.write_lines('staging.log', STAGING))

    def fixes(self, doc, principal):
        return ['\n'.join(f['fix']) for f in doc['findings'] if f['principal'] == principal]

    def test_report_cluster_filters(self):
        doc = self.report_json('--cluster', 'staging')
        self.assertEqual({f['cluster'] for f in doc['findings']}, {'staging'})
        self.assertEqual({f['principal'] for f in doc['findings']}, {role('staging-only')})
        self.assertEqual((doc['totals']['denied'], doc['totals']['granted']), (2, 1))
        self.assertEqual([c['name'] for c in doc['clusters']], ['staging'])
        fix = self.fixes(doc, role('staging-only'))[0]
        self.assertIn('--cluster staging --region eu-west-1', fix)
        self.assertNotIn('prod', fix)
        prod = self.report_json('--cluster', 'prod')
        self.assertEqual({f['principal'] for f in prod['findings']}, {role('deploy'), role('prod-only')})
        self.assertIn('--cluster prod --region us-east-1', self.fixes(prod, role('deploy'))[0])
        text = self.ok('report', '--cluster', 'prod').out
        self.assertNotIn('staging', text)

    def test_every_cluster_gets_its_own_region(self):
        doc = self.report_json()
        self.assertEqual({f['cluster'] for f in doc['findings']}, {'prod', 'staging'})
        for f in doc['findings']:
            region = {'prod': 'us-east-1', 'staging': 'eu-west-1'}[f['cluster']]
            self.assertIn('--cluster %s --region %s' % (f['cluster'], region), '\n'.join(f['fix']), f)
        summary = {c['name']: c for c in doc['clusters']}
        self.assertEqual(summary['prod']['regions'], ['us-east-1'])
        self.assertEqual((summary['prod']['denied'], summary['staging']['denied']), (2, 2))
        self.assertIsNone(summary['prod']['authenticator_logging'])  # never checked by a scan

    def test_text_has_a_summary_line_and_a_section_per_cluster(self):
        out = self.ok('report').out
        lines = out.splitlines()
        summary = [l for l in lines if l.startswith('  prod (') or l.startswith('  staging (')]
        self.assertEqual(len(summary), 2, out)
        self.assertIn('us-east-1', summary[0])
        self.assertIn('2 denied', summary[0])
        prod_at, staging_at = lines.index('== cluster prod =='), lines.index('== cluster staging ==')
        self.assertLess(prod_at, staging_at)
        prod_section, staging_section = '\n'.join(lines[prod_at:staging_at]), '\n'.join(lines[staging_at:])
        self.assertIn(role('prod-only'), prod_section)
        self.assertNotIn(role('prod-only'), staging_section)
        self.assertIn('[not_mapped] %s on staging' % role('staging-only'), staging_section)
        self.assertIn(STAGING_CREATOR, staging_section)
        self.assertNotIn(PROD_CREATOR, staging_section)
        md = self.ok('report', '--format', 'markdown').out
        self.assertIn('\n## Cluster prod\n', md)
        self.assertIn('\n#### [not_mapped] %s on prod' % role('deploy'), md)

    def test_news_is_per_cluster(self):
        r = self.run_cli('import', '--cluster', 'staging', '--region', 'eu-west-1',
                         self.write_lines('later.log', STAGING_LATER))
        self.assertEqual(r.rc, 0, r)
        doc = self.report_json('--new')
        self.assertEqual([(f['cluster'], f['principal']) for f in doc['findings']], [('staging', role('deploy'))])
        # the same pair on prod would not have been news
        r = self.run_cli('import', '--cluster', 'prod', '--region', 'us-east-1', self.write_lines(
            'prod-again.log', [denial('ARN is not mapped', arn=role('deploy'), ts='2023-06-15T09:00:00Z', port=31)]))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.report_json('--new')['findings'], [])

    def test_creator_per_cluster(self):
        doc = json.loads(self.ok('creator', '--json').out)
        self.assertEqual({(c['cluster'], c['arn']) for c in doc},
                         {('prod', PROD_CREATOR), ('staging', STAGING_CREATOR)})
        only = json.loads(self.ok('creator', '--cluster', 'staging', '--json').out)
        self.assertEqual([c['arn'] for c in only], [STAGING_CREATOR])
        text = self.ok('creator').out
        self.assertIn('cluster prod\n%s' % PROD_CREATOR, text)
        self.assertIn('cluster staging\n%s' % STAGING_CREATOR, text)
        self.assertNotIn(PROD_CREATOR, self.ok('creator', '--cluster', 'staging').out)
        none = self.ok('creator', '--cluster', 'nosuch').out
        self.assertIn('No kubernetes-admin grant is stored', none)


PROD_GROUP, STAGING_GROUP = '/aws/eks/prod/cluster', '/aws/eks/staging/cluster'
RUN = ("INSERT INTO scan_runs(log_group, query, window_start, window_end, started, finished, status, rows, queries,"
       " bytes_scanned, records_scanned, records_matched) VALUES (?, 'scan', ?, ?, ?, ?, ?, 1, 1, ?, 1.0, 1.0)")


class FleetSummary(CliTestCase):
    """The summary line of each cluster: new findings (what the last import
    stored for the first time on it), the last complete scan of its log
    groups and the bytes their scans over the window billed."""

    def setUp(self):
        super().setUp()
        self.import_ok('--log-group', PROD_GROUP, '--region', 'us-east-1', self.write_lines('prod.log', PROD))
        self.import_ok('--log-group', STAGING_GROUP, '--region', 'eu-west-1',
                       self.write_lines('staging.log', STAGING))
        con = sqlite3.connect(self.db)
        try:
            con.executemany(RUN, [
                # prod: two complete runs and a later partial one (not a good scan, but billed)
                (PROD_GROUP, '2023-06-11T00:00:00Z', '2023-06-12T00:00:00Z', '2023-06-12T00:00:01Z',
                 '2023-06-12T00:00:07Z', 'complete', 1000.0),
                (PROD_GROUP, '2023-06-12T00:00:00Z', '2023-06-13T00:00:00Z', '2023-06-13T00:00:01Z',
                 '2023-06-13T00:00:09Z', 'complete', 2500.0),
                (PROD_GROUP, '2023-06-13T00:00:00Z', '2023-06-14T00:00:00Z', '2023-06-14T00:00:01Z',
                 '2023-06-14T00:30:00Z', 'partial', 40000.0),
                # staging: only a failed run; another group's runs are not prod's
                (STAGING_GROUP, '2023-06-13T00:00:00Z', '2023-06-14T00:00:00Z', '2023-06-14T00:00:01Z',
                 '2023-06-14T00:00:02Z', 'failed', 0.0),
                ('/aws/eks/other/cluster', '2023-06-12T00:00:00Z', '2023-06-13T00:00:00Z', '2023-06-13T00:00:01Z',
                 '2023-06-15T00:00:00Z', 'complete', 99.0),
            ])
            con.commit()
        finally:
            con.close()

    def summary(self, out):
        """The text summary lines, each unwrapped, by cluster."""
        lines = re.sub(r'\n {4}(?! )', ' ', out).splitlines()
        return {m.group(1): l for l in lines for m in [re.match(r'  (\w+) \(', l)] if m}

    def test_json(self):
        doc = self.report_json()
        c = {x['name']: x for x in doc['clusters']}
        # the last import was staging's: its pair is new, prod has none new
        self.assertEqual((c['staging']['new_findings'], c['prod']['new_findings']), (1, 0))
        self.assertEqual(c['prod']['last_good_scan'], '2023-06-13T00:00:09Z')
        self.assertIsNone(c['staging']['last_good_scan'])
        self.assertEqual((c['prod']['bytes_billed'], c['staging']['bytes_billed']), (43500, 0))
        self.assertNotIn('other', c)
        # the window picks the runs billed; the last good scan is whatever the window
        since = self.report_json('--since', '2023-06-13T00:00:00Z', '--until', '2023-06-13T12:00:00Z')
        c = {x['name']: x for x in since['clusters']}
        self.assertEqual(c['prod']['bytes_billed'], 42500)  # the runs whose window overlaps
        self.assertEqual(c['prod']['last_good_scan'], '2023-06-13T00:00:09Z')
        self.assertEqual(c['prod']['new_findings'], 0)

    def test_news_follow_the_last_run(self):
        self.import_ok('--log-group', STAGING_GROUP, '--region', 'eu-west-1',
                       self.write_lines('later.log', STAGING_LATER))
        c = {x['name']: x for x in self.report_json()['clusters']}
        self.assertEqual((c['staging']['new_findings'], c['prod']['new_findings']), (1, 0))  # deploy, new on staging
        self.import_ok('--log-group', PROD_GROUP, '--region', 'us-east-1', self.write_lines('prod2.log', [
            denial('ARN is not mapped', arn=role('deploy'), ts='2023-06-15T09:00:00Z', port=31),
            denial('ARN is not mapped', arn=role('fresh'), ts='2023-06-15T09:01:00Z', port=32),
            denial('ARN is not mapped', arn=role('fresh'), ts='2023-06-15T09:02:00Z', port=33)]))
        c = {x['name']: x for x in self.report_json()['clusters']}
        self.assertEqual((c['staging']['new_findings'], c['prod']['new_findings']), (0, 1))  # fresh only
        out = self.ok('report').out
        self.assertIn(', 1 new finding;', self.summary(out)['prod'])
        self.assertIn(', 0 new findings;', self.summary(out)['staging'])

    def test_text_and_markdown(self):
        out = self.ok('report').out
        lines = self.summary(out)
        self.assertRegex(lines['prod'], r'^  prod \(us-east-1, authentication mode unknown\): 2 denied \(2 outside '
                                        r'EKS-internal traffic\), 1 granted, 0 new findings; last good scan '
                                        r'2023-06-13T00:00:09Z, 43\.5 kB billed; authenticator log not checked$')
        self.assertIn(', 1 new finding; last good scan never, 0 B billed; ', lines['staging'])
        md = self.ok('report', '--format', 'markdown').out
        self.assertIn('- **prod** (us-east-1, authentication mode unknown): 2 denied', md)
        self.assertIn('0 new findings; last good scan 2023-06-13T00:00:09Z, 43.5 kB billed;', md)
        self.assertIn('1 new finding; last good scan never, 0 B billed;', md)

    def test_hostile_stored_time_is_escaped(self):
        # a hand-edited database: the stored value reaches the terminal escaped, JSON exact
        con = sqlite3.connect(self.db)
        try:
            con.execute(RUN, (STAGING_GROUP, '2023-06-13T00:00:00Z', '2023-06-14T00:00:00Z', '2023-06-14T00:00:01Z',
                              '2023-06-14T00:00:09Z\x1b[2J\u202e', 'complete', 1.0))
            con.commit()
        finally:
            con.close()
        r = self.run_cli('report', '--color=always')
        self.assertEqual(r.rc, 0, r)
        self.assertIn('last good scan 2023-06-14T00:00:09Z\\x1b[2J\\u{202E}, 1 B billed',
                      self.summary(r.out)['staging'])
        self.assertNotIn('\x1b[2J', r.out)
        self.assertNotIn('\u202e', r.out)
        md = self.ok('report', '--format', 'markdown').out
        self.assertNotIn('\x1b', md)
        c = {x['name']: x for x in self.report_json()['clusters']}
        self.assertEqual(c['staging']['last_good_scan'], '2023-06-14T00:00:09Z\x1b[2J\u202e')


class NoArn(CliTestCase):
    def test_not_mapped_without_arn_is_not_called_pre_sts(self):
        self.import_ok(self.write_lines('a.log', [denial('ARN is not mapped', arn='', port=1)]))
        out = self.ok('report').out
        self.assertIn('(no ARN in the log line)', out)
        self.assertNotIn('rejected before STS', out)


if __name__ == '__main__':
    main()
