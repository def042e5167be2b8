#!/usr/bin/env python3
"""explain: one error text or one whole log line -> class, cause, fix."""
import json
import os
import re
import unittest

from cliutil import (ACCOUNT, CLASS_SAMPLES, SOURCE_ROOT, CliTestCase, EX_USAGE, denial, grant, log_line, main,
                     role)

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



# explain --json, schema_version 1: every key and its type(s) (README).
JSON_SCHEMA = {
    'schema_version': (int,), 'source': (str,), 'client': (dict, type(None)), 'class': (str,),
    'sts_code': (str, type(None)), 'http_status': (int, type(None)), 'principal': (str, type(None)),
    'principal_kind': (str,), 'cause': (str,), 'fix': (list,), 'fix_notes': (list,),
}
CLIENT_SCHEMA = {'message': (str,), 'caller_arn': (str, type(None)), 'role_arn': (str, type(None)),
                 'profile': (str, type(None)), 'executable': (str, type(None))}

UNAUTHORIZED = 'error: You must be logged in to the server (Unauthorized)'
CREDS_REQUIRED = 'error: You must be logged in to the server (the server has asked for the client to provide credentials)'
V1ALPHA1 = 'error: exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"'
NOT_FOUND = ('Unable to connect to the server: getting credentials: exec: executable aws not found\n\n'
             'It looks like you are trying to use a client-go credential plugin that is not installed.')
NOT_FOUND_OLD = ('Unable to connect to the server: getting credentials: exec: exec: "aws-iam-authenticator": '
                 'executable file not found in $PATH')
CALLER = 'arn:aws:sts::%s:assumed-role/dev/alice@example.com' % ACCOUNT
TARGET = 'arn:aws:iam::%s:role/eks-admin' % ACCOUNT
ASSUME_GO = ('could not get token: AccessDenied: User: %s is not authorized to perform: sts:AssumeRole on resource: '
             '%s\n\tstatus code: 403, request id: 3ff1757d-0989-4c91-b3f8-f778d67495d9' % (CALLER, TARGET))
ASSUME_CLI = ('An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::%s:user/bob '
              'is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::%s:role/ops/eks-admin.'
              % (ACCOUNT, ACCOUNT))
LOCATE = 'Unable to locate credentials. You can configure credentials by running "aws configure".'
NO_PROVIDERS = ('could not get token: NoCredentialProviders: no valid providers in chain. Deprecated.\n'
                '\tFor verbose messaging see aws.Config.CredentialsChainVerboseErrors')
SSO_CLI = 'Error when retrieving token from sso: Token has expired and refresh failed'
SSO_BOTO = ('The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO '
            'session run aws sso login with the corresponding profile.')
SSO_GO = 'could not get token: SSOProviderInvalidToken: the SSO session has expired or is invalid'
INCOMPLETE = ("could not get token: IncompleteSignature: Credential must have exactly 5 slash-delimited elements, "
              "e.g. keyid/date/region/service/term, got 'wJalrXUtnFEMI/K7MDENG/20210531/us-east-1/sts/aws4_request'"
              "\n\tstatus code: 400, request id: 3ff1757d")
SIG_MISMATCH = ('An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation: The request '
                'signature we calculated does not match the signature you provided. Check your AWS Secret Access Key '
                'and signing method. Consult the service documentation for details.')
SIG_EXPIRED = ('An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation: Signature '
               'expired: 20230613T100031Z is now earlier than 20230613T100140Z (20230613T100640Z - 5 min.)')
EXPIRED = ('An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token '
           'included in the request is expired')
INVALID_ID = ('An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security '
              'token included in the request is invalid.')

# (text, client message name, authenticator class, sts_code)
CLIENT_MESSAGES = [
    (UNAUTHORIZED, 'kubectl_unauthorized', 'unknown', None),
    (CREDS_REQUIRED, 'kubectl_credentials_required', 'unknown', None),
    (V1ALPHA1, 'exec_plugin_v1alpha1', 'unknown', None),
    ('Unable to connect to the server: getting credentials: exec plugin is configured to use API version '
     'client.authentication.k8s.io/v1beta1, plugin returned version client.authentication.k8s.io/v1alpha1',
     'exec_plugin_v1alpha1', 'unknown', None),
    (NOT_FOUND, 'exec_not_found', 'unknown', None),
    (NOT_FOUND_OLD, 'exec_not_found', 'unknown', None),
    (ASSUME_GO, 'assume_role_denied', 'unknown', 'AccessDenied'),
    (ASSUME_CLI, 'assume_role_denied', 'unknown', 'AccessDenied'),
    (LOCATE, 'unable_to_locate_credentials', 'unknown', None),
    (NO_PROVIDERS, 'no_credential_providers', 'unknown', None),
    (SSO_CLI, 'sso_session_expired', 'unknown', None),
    (SSO_BOTO, 'sso_session_expired', 'unknown', None),
    (SSO_GO, 'sso_session_expired', 'unknown', None),
    (INCOMPLETE, 'incomplete_signature', 'unknown', 'IncompleteSignature'),
    (SIG_MISMATCH, 'signature_does_not_match', 'signature_mismatch', 'SignatureDoesNotMatch'),
    (SIG_EXPIRED, 'signature_expired', 'clock_skew', 'SignatureDoesNotMatch'),
    (EXPIRED, 'expired_token', 'expired_credentials', 'ExpiredToken'),
    ('could not get token: ExpiredToken: The security token included in the request is expired\n'
     '\tstatus code: 403, request id: 1b2c', 'expired_token', 'expired_credentials', 'ExpiredToken'),
    (INVALID_ID, 'invalid_client_token_id', 'invalid_client_token', 'InvalidClientTokenId'),
]
COMMANDS = ('aws', 'kubectl', 'authlog-scan', 'command', 'date')

CURLY = {'"': ('\u201c', '\u201d')}


def curly(line):
    """line as a web page shows it: "..." as \u201c...\u201d, field gaps as no-break spaces."""
    out, opening = [], True
    for ch in line:
        if ch == '"':
            out.append(CURLY['"'][0 if opening else 1])
            opening = not opening
        else:
            out.append(ch)
    return ''.join(out).replace(' level=', '\u00a0level=')


class ClientMessages(CliTestCase):
    def explain_json(self, *args):
        r = self.ok('explain', '--json', *args)
        self.assertEqual(r.out.count('\n'), 1, 'one JSON document on one line')
        doc = json.loads(r.out)
        self.check_schema(doc)
        return doc

    def check_schema(self, doc):
        self.assertEqual(set(doc), set(JSON_SCHEMA))
        for key, types in JSON_SCHEMA.items():
            self.assertIsInstance(doc[key], types, key)
            # bool is an int to Python: the schema never uses one
            self.assertNotIsInstance(doc[key], bool, key)
        self.assertEqual(doc['schema_version'], 1)
        self.assertIn(doc['source'], ('authenticator', 'client'))
        self.assertEqual(doc['client'] is None, doc['source'] == 'authenticator')
        if doc['client'] is not None:
            self.assertEqual(set(doc['client']), set(CLIENT_SCHEMA))
            for key, types in CLIENT_SCHEMA.items():
                self.assertIsInstance(doc['client'][key], types, key)
        for lst in (doc['fix'], doc['fix_notes']):
            self.assertTrue(all(isinstance(s, str) and s and '\n' not in s for s in lst), lst)

    def test_every_client_message(self):
        for text, name, cls, code in CLIENT_MESSAGES:
            with self.subTest(name=name, text=text[:50]):
                doc = self.explain_json(text)
                self.assertEqual(doc['source'], 'client')
                self.assertEqual(doc['client']['message'], name)
                self.assertEqual(doc['class'], cls)
                self.assertEqual(doc['sts_code'], code)
                self.assertTrue(doc['cause'])
                self.assertTrue(doc['fix'])
                for cmd in doc['fix']:
                    self.assertIn(cmd.split()[0], COMMANDS, cmd)
                r = self.ok('explain', text)
                self.assertEqual(r.err, '')
                self.assertRegex(r.out, r'(?m)^source:\s+client$')
                self.assertRegex(r.out, r'(?m)^message:\s+%s$' % name)
                self.assertIn('cause:     ' + doc['cause'], r.out)
                out = r.out.split('\n')
                fix = out.index('fix:')
                self.assertEqual([l[2:] for l in out[fix + 1:] if l], doc['fix'])
                if doc['fix_notes']:
                    self.assertLess(out.index('notes:'), fix)
                    self.assertEqual([l[4:] for l in out[out.index('notes:') + 1:fix]], doc['fix_notes'])

    def test_authenticator_texts_stay_authenticator(self):
        # the authenticator logs the same STS codes, wrapped: classify's
        for cls in ('invalid_client_token', 'signature_mismatch', 'clock_skew', 'expired_credentials',
                    'not_mapped', 'unknown'):
            with self.subTest(cls=cls):
                doc = self.explain_json(CLASS_SAMPLES[cls])
                self.assertEqual(doc['source'], 'authenticator')
                self.assertIsNone(doc['client'])
                self.assertEqual(doc['class'], cls)
                line = self.explain_json(denial(CLASS_SAMPLES[cls], arn=role('x')))
                self.assertEqual((line['source'], line['class']), ('authenticator', cls))
        self.assertRegex(self.ok('explain', ICT).out, r'^source:\s+authenticator\n')

    def test_unauthorized_points_to_the_authenticator_log(self):
        for text in (UNAUTHORIZED, CREDS_REQUIRED):
            with self.subTest(text=text):
                doc = self.explain_json('--cluster', 'prod', '--region', 'eu-west-1', text)
                self.assertEqual(doc['fix'][0], 'aws sts get-caller-identity')
                self.assertIn("authlog-scan scan --cluster 'prod' --region 'eu-west-1' --since 1h", doc['fix'])
                # without a cluster: no command with a hole in it, a note instead
                bare = self.explain_json(text)
                self.assertIn('aws sts get-caller-identity', bare['fix'])
                self.assertFalse([c for c in bare['fix'] if c.startswith('authlog-scan')], bare['fix'])
                self.assertIn('--cluster', '\n'.join(bare['fix_notes']))
        # the command it names exists
        self.assertIn('--cluster', self.ok('scan', '--help').out)

    def test_v1alpha1_rewrites_the_kubeconfig(self):
        doc = self.explain_json('--cluster', 'prod', '--region', 'eu-west-1', V1ALPHA1)
        self.assertIn("aws eks update-kubeconfig --name 'prod' --region 'eu-west-1'", doc['fix'])
        self.assertIn('aws --version', doc['fix'])
        self.assertIn('v1beta1', '\n'.join(doc['fix_notes']))
        self.assertIn('v1beta1', doc['cause'])

    def test_exec_not_found_names_the_program(self):
        doc = self.explain_json('--cluster', 'prod', NOT_FOUND)
        self.assertEqual(doc['client']['executable'], 'aws')
        self.assertIn("command -v 'aws'", doc['fix'])
        self.assertIn("aws eks update-kubeconfig --name 'prod'", doc['fix'])
        old = self.explain_json(NOT_FOUND_OLD)
        self.assertEqual(old['client']['executable'], 'aws-iam-authenticator')
        self.assertIn("command -v 'aws-iam-authenticator'", old['fix'])
        self.assertIn('aws eks get-token', '\n'.join(old['fix_notes']))
        r = self.ok('explain', NOT_FOUND_OLD)
        self.assertRegex(r.out, r'(?m)^program:\s+aws-iam-authenticator$')

    def test_assume_role_denied_names_both_arns(self):
        doc = self.explain_json(ASSUME_GO)
        self.assertEqual(doc['client']['caller_arn'], CALLER)
        self.assertEqual(doc['client']['role_arn'], TARGET)
        self.assertEqual(doc['principal'], role('dev'))
        notes = '\n'.join(doc['fix_notes'])
        self.assertIn('trust policy of %s must allow %s' % (TARGET, role('dev')), notes)
        self.assertIn("aws iam get-role --role-name 'eks-admin' --query Role.AssumeRolePolicyDocument", doc['fix'])
        self.assertIn("aws iam simulate-principal-policy --policy-source-arn \"$(aws iam get-role --role-name 'dev' "
                      "--query Role.Arn --output text)\" --action-names sts:AssumeRole --resource-arns '%s'" % TARGET,
                      doc['fix'])
        # the AWS CLI's wording, a user, a role path and a sentence's full stop
        cli = self.explain_json(ASSUME_CLI)
        user, path_role = 'arn:aws:iam::%s:user/bob' % ACCOUNT, 'arn:aws:iam::%s:role/ops/eks-admin' % ACCOUNT
        self.assertEqual((cli['client']['caller_arn'], cli['client']['role_arn']), (user, path_role))
        self.assertIn("aws iam simulate-principal-policy --policy-source-arn '%s' --action-names sts:AssumeRole "
                      "--resource-arns '%s'" % (user, path_role), cli['fix'])
        r = self.ok('explain', ASSUME_CLI)
        self.assertRegex(r.out, r'(?m)^caller:\s+%s$' % user)
        self.assertRegex(r.out, r'(?m)^role:\s+%s$' % path_role)

    def test_malformed_values_give_no_command(self):
        hostile = 'arn:aws:iam::%s:role/x$(touch${IFS}pwned)' % ACCOUNT
        text = ('could not get token: AccessDenied: User: arn:aws:iam::%s:user/bob is not authorized to perform: '
                'sts:AssumeRole on resource: %s' % (ACCOUNT, hostile))
        doc = self.explain_json(text)
        self.assertEqual(doc['client']['role_arn'], hostile)  # JSON is exact
        everything = '\n'.join(doc['fix'] + doc['fix_notes'])
        self.assertNotIn('pwned', everything)
        self.assertIn('role ARN in the message is malformed', everything)
        self.assertFalse([c for c in doc['fix'] if 'get-role' in c or 'simulate' in c], doc['fix'])
        # a redacted account is no account
        redacted = self.explain_json(ASSUME_CLI.replace(':%s:user/bob' % ACCOUNT, ':XXXXXXXXXXXX:user/bob'))
        self.assertIn('caller ARN in the message is malformed', '\n'.join(redacted['fix_notes']))
        self.assertFalse([c for c in redacted['fix'] if 'simulate' in c], redacted['fix'])
        # options go through the same checks
        doc = self.explain_json('--profile', "dev'; rm -rf ~", '--cluster', 'prod;id', '--region', 'eu west', SSO_CLI)
        everything = '\n'.join(doc['fix'] + doc['fix_notes'])
        for bad in ('rm -rf', 'prod;id', 'eu west'):
            self.assertNotIn(bad, everything)
        for what in ('profile name', 'cluster name', 'region'):
            self.assertIn('The %s is malformed' % what, everything)
        # logging in to the default profile would not renew the named one
        self.assertFalse([c for c in doc['fix'] if c.startswith('aws sso login')], doc['fix'])

    def test_control_characters_are_escaped(self):
        text = ASSUME_CLI.replace('user/bob', 'user/\x1b[31mbob\x07')
        r = self.ok('explain', text)
        self.assertNotIn('\x1b', r.out)
        self.assertNotIn('\x07', r.out)
        self.assertIn('user/\\x1b[31mbob\\x07', r.out)
        self.assertIn('\x1b[31m', self.explain_json(text)['client']['caller_arn'])

    def test_credentials_not_found(self):
        for text in (LOCATE, NO_PROVIDERS):
            with self.subTest(text=text[:30]):
                doc = self.explain_json('--profile', 'dev', '--cluster', 'prod', '--region', 'eu-west-1', text)
                self.assertEqual(doc['client']['profile'], 'dev')
                self.assertIn("aws configure list --profile 'dev'", doc['fix'])
                self.assertIn("aws sts get-caller-identity --profile 'dev'", doc['fix'])
                self.assertIn("aws eks update-kubeconfig --name 'prod' --region 'eu-west-1' --profile 'dev'",
                              doc['fix'])
        self.assertIn('aws-iam-authenticator', '\n'.join(self.explain_json(NO_PROVIDERS)['fix_notes']))

    def test_sso_login_with_the_profile(self):
        doc = self.explain_json(SSO_CLI)
        self.assertIsNone(doc['client']['profile'])
        self.assertEqual(doc['fix'][0], 'aws sso login')
        self.assertIn('AWS_PROFILE', '\n'.join(doc['fix_notes']))
        # the profile the pasted session names, or --profile
        pasted = '$ AWS_PROFILE=team-admin kubectl get pods\n' + SSO_BOTO
        doc = self.explain_json(pasted)
        self.assertEqual(doc['client']['profile'], 'team-admin')
        self.assertEqual(doc['fix'][:2], ["aws sso login --profile 'team-admin'",
                                          "aws sts get-caller-identity --profile 'team-admin'"])
        self.assertEqual(self.explain_json('--profile', 'other', pasted)['fix'][0], "aws sso login --profile 'other'")
        r = self.ok('explain', pasted)
        self.assertRegex(r.out, r'(?m)^profile:\s+team-admin$')
        # "--profile" that a web page turned into an en dash
        doc = self.explain_json('$ aws eks get-token \u2013cluster-name prod \u2013profile sandbox\n' + SSO_GO)
        self.assertEqual(doc['client']['profile'], 'sandbox')
        self.assertEqual(doc['fix'][0], "aws sso login --profile 'sandbox'")

    def test_incomplete_signature_does_not_echo_the_key(self):
        r = self.ok('explain', INCOMPLETE)
        self.assertNotIn('wJalrXUtnFEMI', r.out)
        doc = self.explain_json(INCOMPLETE)
        self.assertNotIn('wJalrXUtnFEMI', json.dumps(doc))
        self.assertIn("'/'", doc['cause'])
        self.assertIn('rotate', '\n'.join(doc['fix_notes']))

    def test_clock_skew_and_keys(self):
        self.assertIn('date -u', self.explain_json(SIG_EXPIRED)['fix'])
        for text in (SIG_MISMATCH, EXPIRED, INVALID_ID):
            with self.subTest(text=text[:40]):
                self.assertEqual(self.explain_json(text)['fix'],
                                 ['aws configure list', 'aws sts get-caller-identity'])

    def test_curly_quoted_denial_explains_as_ascii(self):
        line = denial('ARN is not mapped', arn='arn:aws:iam::%s:role/eks-admin' % ACCOUNT,
                      stsendpoint='sts.eu-west-1.amazonaws.com')
        pasted = curly(line).replace('eks-admin', 'eks\u2013admin')
        self.assertNotEqual(pasted, line)
        self.assertNotIn('"', pasted)
        for args in (('--json',), (), ('--cluster', 'prod')):
            with self.subTest(args=args):
                ascii_ = self.ok('explain', *args, line)
                self.assertEqual(self.ok('explain', *args, pasted).out, ascii_.out)
        doc = self.explain_json(pasted)
        self.assertEqual((doc['source'], doc['class']), ('authenticator', 'not_mapped'))
        self.assertEqual(doc['principal'], role('eks-admin'))
        # an error text alone, single-quoted the same way
        text = CLASS_SAMPLES['reserved_username'].replace("'system:ci'", '\u2018system:ci\u2019')
        self.assertEqual(self.explain_json(text)['class'], 'reserved_username')

    def test_readme_documents_the_schema(self):
        with open(os.path.join(SOURCE_ROOT, 'README.md'), encoding='utf-8') as f:
            readme = f.read()
        table = readme[readme.index('`explain --json` prints'):]
        table = table[:table.index('\n\n', table.index('| key |'))]
        rows = re.findall(r'^\| `(\w+)` \| ([^|]+) \|', table, re.M)
        words = {'integer': int, 'string': str, 'object': dict, 'array of strings': list, 'null': type(None)}
        documented = {k: {words[w.strip()] for w in t.split(' or ')} for k, t in rows}
        self.assertEqual(documented, {k: set(v) for k, v in JSON_SCHEMA.items()})
        for name in CLIENT_SCHEMA:
            self.assertIn('`%s`' % name, table)
        # every client message is listed by name
        for _, name, _, _ in CLIENT_MESSAGES:
            self.assertIn('| `%s` |' % name, readme)

    def test_schema_version_everywhere(self):
        for args in ((ICT,), (denial('ARN is not mapped', arn=role('dev')),), (EXPIRED,), ('no such thing',)):
            with self.subTest(args=args[0][:30]):
                self.explain_json(*args)  # check_schema


if __name__ == '__main__':
    main()
