#!/usr/bin/env python3
"""report: formats, windows, --exit-code, colour, fixes, broken aws-auth ConfigMap."""
import fcntl
import json
import os
import pty
import select
import sqlite3
import struct
import subprocess
import termios
import time
import unittest
from datetime import datetime, timedelta, timezone

from cliutil import (ACCOUNT, BIN, CLASS_SAMPLES, CliTestCase, ESC, EX_FINDINGS, EX_NOINPUT, EX_USAGE,
                     denial, grant, log_line, main, role)

CLUSTER = 'payments-prod'
GROUP = '/aws/eks/%s/cluster' % CLUSTER
CREATOR = 'arn:aws:iam::%s:user/cluster-creator' % ACCOUNT
SSO = 'arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd' % ACCOUNT
SSO_CANONICAL = 'arn:aws:iam::%s:role/AWSReservedSSO_Admin_0123abcd' % ACCOUNT

LINES = [
    grant(CREATOR, 'kubernetes-admin', groups='[system:masters]', ts='2023-06-12T08:00:00Z', port=1),
    denial('ARN is not mapped', arn=role('dev'), ts='2023-06-12T09:00:00Z', port=2),
    denial('ARN is not mapped', arn=role('dev'), ts='2023-06-12T09:30:00Z', port=3),
    denial('Identity is not mapped', arn=SSO_CANONICAL, ts='2023-06-13T10:00:00Z', port=4,
           stsendpoint='sts.eu-west-1.amazonaws.com'),
    denial(CLASS_SAMPLES['invalid_client_token'], ts='2023-06-14T11:00:00Z', port=5),
    grant(CREATOR, 'kubernetes-admin', groups='[system:masters]', ts='2023-06-14T12:00:00Z', port=6),
]


def iso(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


class ReportBase(CliTestCase):
    def setUp(self):
        super().setUp()
        self.import_ok('--log-group', GROUP, self.write_lines('a.log', LINES))


class Formats(ReportBase):
    def test_json(self):
        doc = self.report_json()
        self.assertEqual(doc['totals']['granted'], 2)
        self.assertEqual(doc['totals']['denied'], 4)
        by_class = {d['class']: d['denials'] for d in doc['denials_by_class']}
        self.assertEqual(by_class, {'not_mapped': 3, 'invalid_client_token': 1})
        self.assertIsInstance(doc['findings'], list)
        nm = [f for f in doc['findings'] if f['class'] == 'not_mapped' and f['principal'] == role('dev')]
        self.assertEqual(len(nm), 1, doc['findings'])
        nm = nm[0]
        self.assertEqual(nm['denials'], 2)
        self.assertEqual((nm['first_seen'], nm['last_seen']), ('2023-06-12T09:00:00Z', '2023-06-12T09:30:00Z'))
        self.assertIsInstance(nm['fix'], list)
        self.assertTrue(all(isinstance(s, str) for s in nm['fix']))
        fix = '\n'.join(nm['fix'])
        self.assertIn('--arn %s' % role('dev'), fix)
        self.assertIn('--cluster %s' % CLUSTER, fix)
        self.assertIn('create-access-entry --cluster-name %s' % CLUSTER, fix)
        self.assertIn('system:masters', fix)
        self.assertRegex('\n'.join(nm['fix_notes']), r'(?i)caution|careful|least privilege|only what')
        self.assertNotRegex(fix, r'(?i)caution')
        # the region comes from the STS endpoint of the SSO denial
        sso = [f for f in doc['findings'] if f['principal'] == SSO_CANONICAL][0]
        self.assertIn('--cluster %s --region eu-west-1' % CLUSTER, '\n'.join(sso['fix']))
        # cluster creator
        self.assertEqual(doc['cluster_creator'][0]['arn'], CREATOR)

    def test_text(self):
        r = self.ok('report')
        self.assertNotIn(ESC, r.out)  # not a terminal
        for needle in ('2 granted', '4 denied', 'not_mapped', 'invalid_client_token', role('dev'), CREATOR,
                       'eksctl create iamidentitymapping --cluster %s' % CLUSTER):
            self.assertIn(needle, r.out)
        self.assertEqual(r.out, self.ok('report', '--format', 'text').out)

    def test_markdown(self):
        r = self.ok('report', '--format', 'markdown')
        self.assertTrue(r.out.startswith('# '), r.out[:200])
        self.assertRegex(r.out, r'(?m)^## ')
        self.assertRegex(r.out, r'(?m)^\|.*\|$')
        self.assertIn('```', r.out)
        self.assertIn(role('dev'), r.out)
        self.assertNotIn(ESC, r.out)

    def test_top_limits_rankings(self):
        doc = self.report_json('--top', '1')
        self.assertEqual(len(doc['denials_by_principal']), 1)
        self.assertEqual(len(doc['findings']), 1)
        self.assertEqual(doc['totals']['denied'], 4)  # totals are not truncated

    def test_cluster_filters_and_region_fills(self):
        doc = self.report_json('--cluster', CLUSTER, '--region', 'ap-south-1')
        fix = '\n'.join(f for x in doc['findings'] for f in x['fix'])
        self.assertIn('--cluster %s --region ap-south-1' % CLUSTER, fix)
        self.assertTrue(doc['findings'])
        other = self.report_json('--cluster', 'other')
        self.assertEqual((other['findings'], other['totals']['denied'], other['clusters']), ([], 0, []))

    def test_aws_region_fallback(self):
        env = dict(self.env, AWS_REGION='sa-east-1')
        r = self.ok('report', '--format', 'json', env=env)
        dev = [f for f in json.loads(r.out)['findings'] if f['principal'] == role('dev')][0]
        self.assertIn('--region sa-east-1', '\n'.join(dev['fix']))

    def test_no_database(self):
        r = self.run_cli('--db', os.path.join(self.tmp, 'none.db'), 'report')
        self.assertEqual(r.rc, EX_NOINPUT, r)
        self.assertEqual(len(r.error_lines()), 1, r)


class Windows(ReportBase):
    def test_since_until_absolute(self):
        doc = self.report_json('--since', '2023-06-13T00:00:00Z')
        self.assertEqual((doc['totals']['granted'], doc['totals']['denied']), (1, 2))
        doc = self.report_json('--until', '2023-06-13T00:00:00Z')
        self.assertEqual((doc['totals']['granted'], doc['totals']['denied']), (1, 2))
        doc = self.report_json('--since', '2023-06-13T00:00:00Z', '--until', '2023-06-14T00:00:00Z')
        self.assertEqual((doc['totals']['granted'], doc['totals']['denied']), (0, 1))
        self.assertEqual([d['class'] for d in doc['denials_by_class']], ['not_mapped'])
        self.assertEqual([f['principal'] for f in doc['findings']], [SSO_CANONICAL])

    def test_since_relative(self):
        now = datetime.now(timezone.utc)
        recent = [denial('ARN is not mapped', arn=role('recent'), ts=iso(now - timedelta(hours=2)), port=7),
                  denial('ARN is not mapped', arn=role('lastweek'), ts=iso(now - timedelta(days=3)), port=8)]
        self.import_ok(self.write_lines('recent.log', recent))
        self.assertEqual(self.report_json('--since', '24h')['totals']['denied'], 1)
        self.assertEqual(self.report_json('--since', '7d')['totals']['denied'], 2)
        self.assertEqual(self.report_json('--since', '30m')['totals']['denied'], 0)
        self.assertEqual(self.report_json('--until', '1h')['totals']['denied'], 6)

    def test_bad_since_is_64(self):
        for bad in ('yesterday', '24x', '', '2023-13-45T99:00:00Z', '-5h'):
            with self.subTest(since=bad):
                r = self.run_cli('report', '--since', bad)
                self.assertEqual(r.rc, EX_USAGE, r)
                self.assertEqual(len(r.error_lines()), 1, r)
                self.assertTrue(r.error_lines()[0].startswith('authlog-scan: report: '), r)
                self.assertEqual(r.out, '')

    def test_exit_code(self):
        r = self.run_cli('report', '--exit-code')
        self.assertEqual(r.rc, EX_FINDINGS, r)
        self.assertIn('denied', r.out)  # the report is still printed
        r = self.run_cli('report', '--exit-code', '--format', 'json')
        self.assertEqual(r.rc, EX_FINDINGS, r)
        json.loads(r.out)
        # a window without denials
        r = self.run_cli('report', '--exit-code', '--since', '2023-06-14T11:30:00Z')
        self.assertEqual(r.rc, 0, r)
        # without --exit-code denials do not change the status
        self.assertEqual(self.run_cli('report').rc, 0)

    def test_exit_code_without_denials(self):
        db = os.path.join(self.tmp, 'grants.db')
        self.import_ok(self.write_lines('g.log', [LINES[0], LINES[5]]), extra=('--db', db))
        r = self.run_cli('--db', db, 'report', '--exit-code')
        self.assertEqual(r.rc, 0, r)


class Colour(ReportBase):
    def run_on_tty(self, *args, env=None, columns=None):
        """Runs the binary with stdout on a pseudo-terminal (of `columns`
        columns when given); returns (rc, output)."""
        try:
            master, slave = pty.openpty()
        except OSError as e:
            self.skipTest('no pseudo-terminal: %s' % e)
        if columns:
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 50, columns, 0, 0))
        proc = subprocess.Popen([BIN] + list(args), stdin=subprocess.DEVNULL, stdout=slave,
                                stderr=subprocess.PIPE, env=env or self.env)
        os.close(slave)
        chunks = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        os.close(master)
        proc.wait(30)
        proc.stderr.close()
        return proc.returncode, b''.join(chunks).decode('utf-8', 'replace')

    def test_colour_on_a_terminal(self):
        rc, out = self.run_on_tty('report')
        self.assertEqual(rc, 0)
        self.assertIn(ESC, out)

    def test_prose_wraps_at_the_terminal_width(self):
        for columns in (60, 120):
            rc, out = self.run_on_tty('--color=never', 'report', columns=columns)
            self.assertEqual(rc, 0)
            lines = out.replace('\r\n', '\n').split('\n')
            cause = [i for i, l in enumerate(lines) if l.startswith('    cause: ')][0]
            self.assertLessEqual(len(lines[cause]), columns)
            # the cause's next word did not fit: the line is nearly full
            self.assertGreater(len(lines[cause]) + len(lines[cause + 1].split()[0]) + 1, columns, lines[cause:cause + 2])

    def test_no_color_env_on_a_terminal(self):
        rc, out = self.run_on_tty('report', env=dict(self.env, NO_COLOR='1'))
        self.assertEqual(rc, 0)
        self.assertIn('denied', out)
        self.assertNotIn(ESC, out)

    def test_color_never_on_a_terminal(self):
        rc, out = self.run_on_tty('--color=never', 'report')
        self.assertEqual(rc, 0)
        self.assertNotIn(ESC, out)

    def test_color_always_and_never_on_a_pipe(self):
        self.assertIn(ESC, self.ok('--color=always', 'report').out)
        self.assertNotIn(ESC, self.ok('--color=never', 'report').out)
        self.assertNotIn(ESC, self.ok('report', env=dict(self.env, NO_COLOR='1')).out)

    def test_json_and_markdown_never_coloured(self):
        r = self.ok('--color=always', 'report', '--format', 'json')
        self.assertNotIn(ESC, r.out)
        json.loads(r.out)
        self.assertNotIn(ESC, self.ok('--color=always', 'report', '--format', 'markdown').out)


NODE_ROLE = role('eks-prod-ng2-node-role')
NODE_SESSION = 'i-0011e1ed5e4b10462'
FARGATE_ROLE = role('AmazonEKSFargatePodExecutionRole')
COMMANDS = ('aws ', 'eksctl ', 'kubectl ', 'date ', 'sudo ', 'export ')


def sts_response(role_name, session, ts, port):
    return log_line('STS response', ts=ts, accesskeyid='ASIAEXAMPLEEXAMPLE', accountid=ACCOUNT,
                    arn='arn:aws:sts::%s:assumed-role/%s/%s' % (ACCOUNT, role_name, session),
                    client='127.0.0.1:%d' % port, method='POST', path='/authenticate', session=session,
                    userid='AROAEXAMPLEEXAMPLE:%s' % session)


class KindsAndGrants(CliTestCase):
    """The mapping a finding's fix gives follows what its principal is."""

    def setUp(self):
        super().setUp()
        lines = []
        for i in range(3):
            ts = '2023-06-13T10:%02d:00Z' % i
            lines += [sts_response('eks-prod-ng2-node-role', NODE_SESSION, ts, 100 + i),
                      denial('ARN is not mapped', arn=NODE_ROLE, ts=ts, port=100 + i)]
        lines += [sts_response('AmazonEKSFargatePodExecutionRole',
                               'fargate-ip-10-0-1-2.eu-west-1.compute.internal', '2023-06-13T11:00:00Z', 200),
                  denial('ARN is not mapped', arn=FARGATE_ROLE, ts='2023-06-13T11:00:00Z', port=200),
                  sts_response('dev', 'alice', '2023-06-13T12:00:00Z', 300),
                  denial('ARN is not mapped', arn=role('dev'), ts='2023-06-13T12:00:00Z', port=300),
                  sts_response('gitlab-runner-deploy', 'GitLabRunner-1234567', '2023-06-13T12:30:00Z', 400),
                  denial('ARN is not mapped', arn=role('gitlab-runner-deploy'), ts='2023-06-13T12:30:00Z', port=400)]
        self.import_ok('--log-group', GROUP, '--region', 'eu-west-1', self.write_lines('k.log', lines))

    def finding(self, doc, principal):
        return [f for f in doc['findings'] if f['principal'] == principal][0]

    def test_node_and_fargate_never_admin(self):
        for grant_ in ((), ('--grant', 'view')):
            doc = self.report_json(*grant_)
            node = self.finding(doc, NODE_ROLE)
            fix, notes = '\n'.join(node['fix']), '\n'.join(node['fix_notes'])
            self.assertIn("--arn %s --username 'system:node:{{EC2PrivateDNSName}}' --group system:bootstrappers "
                          "--group system:nodes" % NODE_ROLE, fix)
            self.assertIn('--type EC2_LINUX', fix)
            self.assertIn('EC2_WINDOWS', notes)
            fg = self.finding(doc, FARGATE_ROLE)
            self.assertIn("--username 'system:node:{{SessionName}}'", '\n'.join(fg['fix']))
            self.assertIn('--type FARGATE_LINUX', '\n'.join(fg['fix']))
            for f in (node, fg):
                for text in f['fix'] + f['fix_notes']:
                    self.assertNotIn('system:masters', text)
                    self.assertNotIn('ClusterAdmin', text)

    def test_grant_narrows_for_people(self):
        dev = self.finding(self.report_json(), role('dev'))
        self.assertIn('--group system:masters', '\n'.join(dev['fix']))
        self.assertRegex('\n'.join(dev['fix_notes']), 'Caution')
        dev = self.finding(self.report_json('--grant', 'edit'), role('dev'))
        fix = '\n'.join(dev['fix'])
        self.assertIn('cluster-access-policy/AmazonEKSEditPolicy', fix)
        self.assertIn('kubectl create clusterrolebinding cluster-edit --clusterrole=edit --group=cluster-edit', fix)
        self.assertNotIn('system:masters', fix)
        r = self.run_cli('report', '--grant', 'everything')
        self.assertEqual(r.rc, EX_USAGE, r)

    def set_mode(self, mode, region='eu-west-1'):
        """What a scan's DescribeCluster stores (tests/fetch checks that
        part); written here directly so the report side is tested alone."""
        con = sqlite3.connect(self.db)
        with con:
            n = con.execute('UPDATE clusters SET auth_mode = ? WHERE name = ? AND region = ?',
                            (mode, CLUSTER, region)).rowcount
        con.close()
        self.assertEqual(n, 1, 'import --region recorded the cluster')

    def test_stored_mode_picks_the_form(self):
        # a person, a CI job's role, a node role and a Fargate role, in each mode
        for mode in ('CONFIG_MAP', 'API', 'API_AND_CONFIG_MAP'):
            self.set_mode(mode)
            doc = self.report_json()
            for principal in (role('dev'), role('gitlab-runner-deploy'), NODE_ROLE, FARGATE_ROLE):
                f = self.finding(doc, principal)
                fix, notes = '\n'.join(f['fix']), '\n'.join(f['fix_notes'])
                self.assertNotIn('authenticationMode', fix, (mode, principal))
                self.assertNotIn('If it prints', notes, (mode, principal))
                self.assertIn('--region eu-west-1', fix)
                has_cm, has_ae = 'eksctl create iamidentitymapping' in fix, 'create-access-entry' in fix
                self.assertEqual((has_cm, has_ae), {'CONFIG_MAP': (True, False), 'API': (False, True),
                                                    'API_AND_CONFIG_MAP': (True, True)}[mode], (mode, fix))
                if mode == 'API_AND_CONFIG_MAP':
                    self.assertLess(fix.index('create-access-entry'), fix.index('eksctl'), fix)
                # the kind picks the mapping, whatever the mode
                node_like = principal in (NODE_ROLE, FARGATE_ROLE)
                self.assertEqual('system:masters' in fix or 'AmazonEKSClusterAdminPolicy' in fix, not node_like,
                                 (mode, principal, fix))
                if principal == NODE_ROLE:
                    self.assertIn('--type EC2_LINUX' if has_ae else 'system:node:{{EC2PrivateDNSName}}', fix)
                if principal == FARGATE_ROLE:
                    self.assertIn('--type FARGATE_LINUX' if has_ae else 'system:node:{{SessionName}}', fix)

    def test_stored_region_beats_the_environment(self):
        env = dict(self.env, AWS_REGION='us-east-1')
        r = self.run_cli('report', '--format', 'json', env=env)
        self.assertEqual(r.rc, 0, r)
        dev = self.finding(json.loads(r.out), role('dev'))
        self.assertIn('--region eu-west-1', '\n'.join(dev['fix']))
        self.assertNotIn('us-east-1', '\n'.join(dev['fix']))

    def test_access_entry_arn_and_mode(self):
        dev = self.finding(self.report_json('--region', 'eu-west-1'), role('dev'))
        fix = dev['fix']
        self.assertTrue(fix[0].startswith('aws eks describe-cluster --name %s --region eu-west-1 --query '
                                          'cluster.accessConfig.authenticationMode --output text' % CLUSTER), fix)
        self.assertIn('--principal-arn "$(aws iam get-role --role-name dev --query Role.Arn --output text)"',
                      '\n'.join(fix))
        self.assertIn('--arn %s ' % role('dev'), '\n'.join(fix))

    def test_text_notes_above_commands(self):
        out = self.ok('report').out.split('\n')
        fixes = [i for i, l in enumerate(out) if l == '    fix:']
        self.assertTrue(fixes)
        for i in fixes:
            # a note, a cause, or the wrapped rest of one
            self.assertTrue(out[i - 1].startswith(('      - ', '    cause: ', '        ')), out[i - 3:i + 1])
            for line in out[i + 1:]:
                if not line.startswith('      '):
                    break
                self.assertTrue(line[6:].startswith(COMMANDS), line)

    def test_prose_wraps_at_80_columns_and_commands_do_not(self):
        out = self.ok('report', '--top', '50').out.split('\n')
        in_fix = False
        commands = 0
        for line in out:
            if line == '    fix:':
                in_fix = True
                continue
            if in_fix and line.startswith('      '):
                commands += 1  # a command is one line, however long
                self.assertTrue(line[6:].startswith(COMMANDS), line)
                continue
            in_fix = False
            # longer only when one word is: an ARN or a path that cannot break
            if len(line) > 80:
                self.assertNotIn(' ', line.strip(), line)
        self.assertTrue(commands)
        self.assertTrue(any(len(l) > 80 for l in out), 'no long command to keep whole')
        # on a wider terminal (COLUMNS is not read; the width is the tty's) a
        # text report is still wrapped at 80 when it is not a terminal
        self.assertEqual(self.ok('report', '--top', '50', env=dict(self.env, COLUMNS='200')).out, '\n'.join(out))

    def test_markdown_blocks_hold_commands_only(self):
        out = self.ok('report', '--format', 'markdown').out
        blocks = out.split('```sh\n')[1:]
        self.assertTrue(blocks)
        for b in blocks:
            for line in b.split('```')[0].splitlines():
                self.assertTrue(line.startswith(COMMANDS), line)
        self.assertIn('- eks-prod-ng2-node-role is an EC2 node role', out)


class BrokenConfigMap(CliTestCase):
    def burst(self, config_line):
        lines = [config_line]
        lines += [denial('ARN is not mapped', arn=role('node-%d' % i), ts='2023-06-13T09:%02d:00Z' % (36 + i),
                         port=100 + i) for i in range(5)]
        return lines

    def test_configmap_error_before_not_mapped_burst(self):
        cfg = log_line('Errors parsing configmap: [yaml: line 13: did not find expected key]',
                       ts='2023-06-13T09:35:43Z', level='warning')
        self.import_ok('--log-group', GROUP, self.write_lines('b.log', self.burst(cfg)))
        r = self.ok('report')
        self.assertIn('aws-auth ConfigMap is broken', r.out)
        self.assertIn('yaml: line 13', r.out)
        self.assertIn('aws-auth ConfigMap is broken', self.ok('report', '--format', 'markdown').out)
        doc = self.report_json()
        self.assertEqual(len(doc['aws_auth_broken']), 1)
        brk = doc['aws_auth_broken'][0]
        self.assertIn('Errors parsing configmap', json.dumps(brk))
        counts = [v for k, v in brk.items() if k.startswith('not_mapped')]
        self.assertEqual(counts, [5], brk)
        # one problem, not five mapping problems
        self.assertEqual([f for f in doc['findings'] if f['class'] == 'not_mapped'], [])

    def test_error_parsing_the_config_maps_variant(self):
        cfg = log_line('There was an error parsing the config maps.  Only saving data that was good, '
                       'error parsing config map: [yaml: invalid map key]', ts='2023-06-13T09:35:43Z', level='error')
        self.import_ok('--log-group', GROUP, self.write_lines('b.log', self.burst(cfg)))
        self.assertIn('aws-auth ConfigMap is broken', self.ok('report').out)

    def test_no_configmap_error_no_broken_verdict(self):
        lines = self.burst(log_line('Received aws-auth watch event', ts='2023-06-13T09:35:43Z'))
        self.import_ok('--log-group', GROUP, self.write_lines('b.log', lines))
        r = self.ok('report')
        self.assertNotIn('ConfigMap is broken', r.out)
        doc = self.report_json()
        self.assertEqual(doc['aws_auth_broken'], [])
        self.assertEqual(len([f for f in doc['findings'] if f['class'] == 'not_mapped']), 5)

    def test_empty_database_report(self):
        self.import_ok(self.write_lines('noise.log', ['nothing to see']))
        r = self.ok('report')
        self.assertIn('No events', r.out)
        doc = self.report_json()
        self.assertEqual(doc['totals']['denied'], 0)
        self.assertEqual(doc['findings'], [])
        self.assertEqual(self.run_cli('report', '--exit-code').rc, 0)


if __name__ == '__main__':
    main()
