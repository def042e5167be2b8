#!/usr/bin/env python3
"""explain: one error text or one whole log line -> class, cause, fix."""
import json
import os
import unittest

from cliutil import (ACCOUNT, CLASS_SAMPLES, CliTestCase, EX_USAGE, denial, grant, log_line, main, role)

SSO_PATH = 'arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd' % ACCOUNT
SSO_CANONICAL = 'arn:aws:iam::%s:role/AWSReservedSSO_Admin_0123abcd' % ACCOUNT
ICT = CLASS_SAMPLES['invalid_client_token']


class Explain(CliTestCase):
    def explain_json(self, *args, env=None):
        r = self.ok('explain', '--json', *args, env=env)
        self.assertEqual(r.out.count('\n'), 1, 'one JSON document on one line')
        return json.loads(r.out)

    def test_error_text(self):
        r = self.ok('explain', ICT)
        self.assertRegex(r.out, r'(?m)^class:\s+invalid_client_token$')
        self.assertIn('InvalidClientTokenId', r.out)
        self.assertRegex(r.out, r'(?m)^cause:\s+\S')
        self.assertRegex(r.out, r'(?m)^fix:')
        self.assertIn('aws sts get-caller-identity', r.out)
        self.assertEqual(r.err, '')

    def test_whole_log_line(self):
        line = denial(ICT, ts='2022-12-26T10:00:00Z')
        r = self.ok('explain', line)
        self.assertRegex(r.out, r'(?m)^class:\s+invalid_client_token$')
        # with a transport prefix too
        for prefixed in ('aws-iam-authenticator-8t2gb aws-iam-authenticator ' + line, '2022-12-26T10:00:00.1Z ' + line):
            with self.subTest(prefixed=prefixed[:40]):
                self.assertEqual(self.explain_json(prefixed)['class'], 'invalid_client_token')

    def test_arguments_are_joined(self):
        doc = self.explain_json('sts', 'getCallerIdentity', 'failed:', 'error', 'from', 'AWS', '(expected', '200,',
                                'got', '403)')
        self.assertEqual(doc['class'], 'sts_rejected')

    def test_json_keys(self):
        doc = self.explain_json(ICT)
        for key in ('class', 'sts_code', 'cause', 'fix'):
            self.assertIn(key, doc)
        self.assertEqual(doc['class'], 'invalid_client_token')
        self.assertEqual(doc['sts_code'], 'InvalidClientTokenId')
        self.assertIsInstance(doc['cause'], str)
        self.assertTrue(doc['cause'])
        self.assertIsInstance(doc['fix'], list)
        self.assertTrue(doc['fix'])
        self.assertTrue(all(isinstance(s, str) and '\n' not in s for s in doc['fix']))
        # no STS code -> null, not a string
        self.assertIsNone(self.explain_json('ARN is not mapped')['sts_code'])

    def test_cluster_and_region_fill_the_fix(self):
        line = denial('ARN is not mapped', arn=role('dev'))
        doc = self.explain_json('--cluster', 'prod-eu', '--region', 'eu-west-1', line)
        fix = '\n'.join(doc['fix'])
        self.assertIn('eksctl create iamidentitymapping --cluster prod-eu --region eu-west-1 --arn %s' % role('dev'),
                      fix)
        self.assertIn('aws eks create-access-entry --cluster-name prod-eu', fix)
        self.assertIn('associate-access-policy', fix)
        notes = '\n'.join(doc['fix_notes'])
        self.assertIn('kubectl edit configmap aws-auth -n kube-system', notes)
        self.assertIn('rolearn: %s' % role('dev'), notes)
        self.assertNotIn('kubectl edit', fix)
        self.assertNotIn('<cluster>', fix)
        self.assertNotIn('<region>', fix)
        # and in the text form
        r = self.ok('explain', '--cluster', 'prod-eu', '--region', 'eu-west-1', line)
        self.assertIn('--cluster prod-eu --region eu-west-1', r.out)

    def test_fix_without_cluster_has_no_template_variables(self):
        fix = '\n'.join(self.explain_json(denial('ARN is not mapped', arn=role('dev')))['fix'])
        self.assertNotIn('${', fix)
        self.assertIn(role('dev'), fix)

    def test_region_from_sts_endpoint_and_environment(self):
        line = denial('ARN is not mapped', arn=role('dev'), stsendpoint='sts.ap-southeast-2.amazonaws.com')
        self.assertIn('--region ap-southeast-2', '\n'.join(self.explain_json(line)['fix']))
        env = dict(self.env, AWS_REGION='ca-central-1')
        plain = denial('ARN is not mapped', arn=role('dev'))
        self.assertIn('--region ca-central-1', '\n'.join(self.explain_json(plain, env=env)['fix']))
        # --region wins over both
        self.assertIn('--region us-west-2',
                      '\n'.join(self.explain_json('--region', 'us-west-2', line, env=env)['fix']))

    def test_sso_arn_is_canonicalised(self):
        doc = self.explain_json('--cluster', 'x', '--region', 'eu-west-1',
                                denial('Identity is not mapped', arn=SSO_PATH))
        fix, notes = '\n'.join(doc['fix']), '\n'.join(doc['fix_notes'])
        self.assertIn('--arn %s ' % SSO_CANONICAL, fix)
        self.assertIn('rolearn: %s' % SSO_CANONICAL, notes)
        self.assertNotIn('--arn ' + SSO_PATH, fix)
        self.assertNotIn('rolearn: ' + SSO_PATH, notes)
        # create-access-entry refuses the path-less SSO role ARN
        self.assertIn('--principal-arn %s' % SSO_PATH, fix)
        self.assertNotIn('--principal-arn %s' % SSO_CANONICAL, fix)
        # the contract's example
        self.assertIn('eksctl create iamidentitymapping --cluster x --region eu-west-1 --arn %s' % SSO_CANONICAL, fix)

    def test_role_path_is_removed(self):
        doc = self.explain_json('ARN is not mapped: arn:aws:iam::%s:role/gitlab-ci/deployer' % ACCOUNT)
        fix = '\n'.join(doc['fix'])
        self.assertIn('--arn %s' % role('deployer'), fix)
        self.assertNotIn('--arn arn:aws:iam::%s:role/gitlab-ci/deployer' % ACCOUNT, fix)
        self.assertIn('--principal-arn arn:aws:iam::%s:role/gitlab-ci/deployer' % ACCOUNT, fix)

    def test_assumed_role_arn_becomes_role_arn(self):
        doc = self.explain_json(denial('ARN is not mapped',
                                       arn='arn:aws:sts::%s:assumed-role/ci-runner/session-42' % ACCOUNT))
        self.assertIn('--arn %s' % role('ci-runner'), '\n'.join(doc['fix']))

    def test_node_role_gets_a_node_mapping(self):
        line = denial('ARN is not mapped', arn='arn:aws:sts::%s:assumed-role/eks-prod-ng2-node-role/'
                      'i-0011e1ed5e4b10462' % ACCOUNT)
        doc = self.explain_json('--cluster', 'prod', '--region', 'eu-west-1', line)
        self.assertEqual(doc['principal_kind'], 'ec2_linux')
        fix, notes = '\n'.join(doc['fix']), '\n'.join(doc['fix_notes'])
        self.assertIn("eksctl create iamidentitymapping --cluster prod --region eu-west-1 --arn %s "
                      "--username 'system:node:{{EC2PrivateDNSName}}' --group system:bootstrappers "
                      "--group system:nodes" % role('eks-prod-ng2-node-role'), fix)
        self.assertIn('--type EC2_LINUX', fix)
        self.assertIn('EC2_WINDOWS', notes)
        for text in (fix, notes):
            self.assertNotIn('system:masters', text)
            self.assertNotIn('ClusterAdmin', text)
        # --grant is for people: a node's mapping does not change
        self.assertEqual(self.explain_json('--cluster', 'prod', '--region', 'eu-west-1', '--grant', 'view',
                                           line)['fix'], doc['fix'])

    def test_fargate_role_gets_a_fargate_mapping(self):
        line = denial('ARN is not mapped', arn=role('AmazonEKSFargatePodExecutionRole'))
        doc = self.explain_json('--cluster', 'prod', '--region', 'eu-west-1', line)
        self.assertEqual(doc['principal_kind'], 'fargate')
        fix = '\n'.join(doc['fix'])
        self.assertIn("--username 'system:node:{{SessionName}}' --group system:bootstrappers --group system:nodes "
                      "--group system:node-proxier", fix)
        self.assertIn('--type FARGATE_LINUX', fix)
        self.assertNotIn('system:masters', fix + '\n'.join(doc['fix_notes']))

    def test_grant_narrows(self):
        line = denial('ARN is not mapped', arn=role('dev'))
        admin = self.explain_json('--cluster', 'c', '--region', 'eu-west-1', line)
        self.assertIn('--group system:masters', '\n'.join(admin['fix']))
        self.assertRegex('\n'.join(admin['fix_notes']), 'Caution')
        for grant_, policy, group in (('edit', 'AmazonEKSEditPolicy', 'cluster-edit'),
                                      ('view', 'AmazonEKSViewPolicy', 'cluster-view')):
            doc = self.explain_json('--cluster', 'c', '--region', 'eu-west-1', '--grant', grant_, line)
            fix = '\n'.join(doc['fix'])
            self.assertIn('cluster-access-policy/%s --access-scope type=cluster' % policy, fix)
            self.assertIn('kubectl create clusterrolebinding %s --clusterrole=%s --group=%s' % (group, grant_, group),
                          fix)
            self.assertIn('--group %s' % group, fix)
            self.assertNotIn('system:masters', fix)
            self.assertNotIn('ClusterAdmin', fix)
        r = self.run_cli('explain', '--grant', 'root', line)
        self.assertEqual(r.rc, EX_USAGE, r)

    def test_notes_come_before_the_commands(self):
        r = self.ok('explain', '--cluster', 'c', '--region', 'eu-west-1', denial('ARN is not mapped', arn=role('dev')))
        out = r.out.split('\n')
        notes, fix = out.index('notes:'), out.index('fix:')
        self.assertLess(notes, fix)
        self.assertTrue(all(l.startswith('  - ') for l in out[notes + 1:fix]), out)
        commands = [l[2:] for l in out[fix + 1:] if l]
        self.assertTrue(commands[0].startswith('aws eks describe-cluster --name c --region eu-west-1 --query '
                                               'cluster.accessConfig.authenticationMode'), commands)
        self.assertTrue(all(c.split()[0] in ('aws', 'eksctl', 'kubectl') for c in commands), commands)

    def test_non_denial_line_is_refused(self):
        for line in (grant(role('ok'), 'ok'),
                     log_line('STS response', accountid=ACCOUNT, arn=role('x'), client='127.0.0.1:1'),
                     log_line('Errors parsing configmap: [yaml]', level='warning')):
            with self.subTest(line=line[:60]):
                r = self.run_cli('explain', line)
                self.assertNotEqual(r.rc, 0, r)
                self.assertEqual(r.out, '')
                self.assertEqual(len(r.error_lines()), 1, r)
                self.assertTrue(r.error_lines()[0].startswith('authlog-scan: explain: '), r)

    def test_explain_needs_no_database(self):
        env = dict(self.env, AUTHLOG_DB=os.path.join(self.tmp, 'never', 'created.db'))
        self.ok('explain', ICT, env=env)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, 'never')))

    def test_no_text_is_usage_error(self):
        r = self.run_cli('explain', '--json')
        self.assertEqual(r.rc, EX_USAGE, r)


if __name__ == '__main__':
    main()
