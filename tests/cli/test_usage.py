#!/usr/bin/env python3
"""Usage contract: --help/--version, option errors, the fetcher's forms, --color."""
import os
import re
import unittest

from cliutil import CliTestCase, EX_USAGE, SOURCE_ROOT, main

COMMANDS = ['import', 'report', 'explain', 'creator', 'sql', 'queries', 'whoami', 'scan']


def project_version():
    with open(os.path.join(SOURCE_ROOT, 'meson.build'), encoding='utf-8') as f:
        m = re.search(r"version\s*:\s*'([^']+)'", f.read())
    return m.group(1)


class TopLevel(CliTestCase):
    def test_help_lists_every_command(self):
        for flag in ('--help', '-h'):
            r = self.ok(flag)
            self.assertTrue(r.out.startswith('usage: authlog-scan'), r)
            self.assertEqual(r.err, '')
            for cmd in COMMANDS:
                self.assertRegex(r.out, r'(?m)^\s+%s\s+\S' % cmd)
            for opt in ('--db', '--quiet', '--verbose', '--color'):
                self.assertIn(opt, r.out)

    def test_version(self):
        r = self.ok('--version')
        self.assertEqual(r.out, 'authlog-scan %s\n' % project_version())
        self.assertEqual(r.err, '')

    def test_no_command_is_usage_error(self):
        r = self.run_cli()
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertIn('usage: authlog-scan', r.err)
        self.assertEqual(r.out, '')

    def test_unknown_command(self):
        r = self.run_cli('frobnicate')
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertRegex(r.error_lines()[0], r"^authlog-scan: .*unknown command 'frobnicate'")
        self.assertFalse(os.path.exists(self.db), 'an unknown command must not create the database')

    def test_unknown_global_option(self):
        r = self.run_cli('--frobnicate', 'queries')
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('--frobnicate', r.error_lines()[0])

    def test_global_options_accepted_before_command(self):
        self.ok('-q', 'queries')
        self.ok('--quiet', '--verbose', 'queries')
        self.ok('--db', os.path.join(self.tmp, 'x.db'), 'queries')


class CommandHelp(CliTestCase):
    def test_every_command_has_help(self):
        for cmd in COMMANDS:
            with self.subTest(cmd=cmd):
                r = self.ok(cmd, '--help')
                self.assertTrue(r.out.startswith('usage: authlog-scan %s' % cmd), r)
                self.assertEqual(r.err, '')
                self.assertGreater(len(r.out.splitlines()), 2, r)

    def test_help_does_not_touch_the_database(self):
        for cmd in COMMANDS:
            self.ok(cmd, '--help')
        self.assertFalse(os.path.exists(self.db))

    def test_unknown_option_per_command(self):
        for cmd in COMMANDS:
            with self.subTest(cmd=cmd):
                r = self.run_cli(cmd, '--no-such-option', 'x')
                self.assertEqual(r.rc, EX_USAGE, r)
                lines = r.error_lines()
                self.assertEqual(len(lines), 1, r)
                self.assertTrue(lines[0].startswith('authlog-scan: %s: ' % cmd), r)
                self.assertIn('--no-such-option', lines[0])
                self.assertEqual(r.out, '')

    def test_single_value_option_given_twice(self):
        # `--profile a --profile b` once used b silently; every command that
        # talks to AWS refuses it before reading any config.
        for cmd in (['whoami'], ['doctor'], ['clusters', 'discover'], ['scan', '--cluster', 'x']):
            for opt in ('--profile', '--region'):
                with self.subTest(cmd=cmd, opt=opt):
                    r = self.run_cli(*cmd, opt, 'eu-west-1', opt, 'us-east-1')
                    self.assertEqual(r.rc, EX_USAGE, r)
                    lines = r.error_lines()
                    self.assertEqual(len(lines), 1, r)
                    self.assertTrue(lines[0].startswith("authlog-scan: %s: %s given twice ('eu-west-1', 'us-east-1')"
                                                        % (' '.join(cmd[:2] if cmd[0] == 'clusters' else cmd[:1]),
                                                           opt)), r)

    def test_unknown_short_option_per_command(self):
        for cmd in COMMANDS:
            with self.subTest(cmd=cmd):
                r = self.run_cli(cmd, '-Z')
                self.assertEqual(r.rc, EX_USAGE, r)
                lines = r.error_lines()
                self.assertEqual(len(lines), 1, r)
                self.assertRegex(lines[0], r"^authlog-scan: %s: .*-Z" % cmd)

    def test_missing_option_value(self):
        for args in (['report', '--since'], ['sql', '--format'], ['explain', '--cluster'],
                     ['import', '--log-group'], ['queries', '--show']):
            with self.subTest(args=args):
                r = self.run_cli(*args)
                self.assertEqual(r.rc, EX_USAGE, r)
                lines = r.error_lines()
                self.assertEqual(len(lines), 1, r)
                self.assertTrue(lines[0].startswith('authlog-scan: %s: ' % args[0]), r)
                self.assertIn(args[1], lines[0])

    def test_missing_operands(self):
        for args, what in ((['import'], 'import'), (['explain'], 'explain'), (['sql'], 'sql')):
            with self.subTest(args=args):
                r = self.run_cli(*args)
                self.assertEqual(r.rc, EX_USAGE, r)
                self.assertEqual(len(r.error_lines()), 1, r)
                self.assertTrue(r.error_lines()[0].startswith('authlog-scan: %s: ' % what), r)

    def test_unexpected_operands(self):
        for args in (['report', 'extra'], ['creator', 'extra'], ['sql', 'select 1', 'select 2']):
            with self.subTest(args=args):
                r = self.run_cli(*args)
                self.assertEqual(r.rc, EX_USAGE, r)
                self.assertEqual(len(r.error_lines()), 1, r)

    def test_bad_option_values(self):
        for args in (['report', '--format', 'xml'], ['report', '--top', '0'], ['report', '--top', 'ten'],
                     ['sql', '--format', 'yaml', 'select 1'], ['report', '--since', 'yesterday'],
                     ['report', '--until', '12 parsecs']):
            with self.subTest(args=args):
                r = self.run_cli(*args)
                self.assertEqual(r.rc, EX_USAGE, r)
                self.assertEqual(len(r.error_lines()), 1, r)
                self.assertIn(args[-1] if args[0] == 'report' else args[2], r.error_lines()[0])


class FetcherForms(CliTestCase):
    """`scan` and the top-level `--log-group`/`--cluster` form reach the fetcher
    (its behaviour is tested in tests/fetch against a fake endpoint); here only
    what needs no endpoint: usage errors, and no database before any fetch."""

    def setUp(self):
        super().setUp()
        for k in [k for k in self.env if k.startswith('AWS_')]:
            del self.env[k]
        self.env['AWS_EC2_METADATA_DISABLED'] = 'true'  # never ask an instance metadata service

    def assert_usage(self, r, needle):
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertEqual(r.out, '')
        lines = r.error_lines()
        self.assertEqual(len(lines), 1, r)
        self.assertTrue(lines[0].startswith('authlog-scan: scan: '), r)
        self.assertIn(needle, lines[0])

    def test_scan_needs_a_log_group(self):
        self.assert_usage(self.run_cli('scan'), '--log-group')
        self.assert_usage(self.run_cli('scan', '--since', '24h'), '--cluster')

    def test_short_forms_reach_the_fetcher(self):
        self.assert_usage(self.run_cli('--log-group', 'not a group!'), 'not a group!')
        self.assert_usage(self.run_cli('--log-group=/aws/eks/prod/cluster', '--since', 'yesterday'), 'yesterday')
        self.assert_usage(self.run_cli('--cluster', 'prod', '--concurrency', '0'), '--concurrency')

    def test_no_credentials_is_78_and_no_database(self):
        r = self.run_cli('scan', '--cluster', 'prod', '--region', 'eu-west-1')
        self.assertEqual(r.rc, 78, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.run_cli('scan', '--log-group', 'x')
        self.run_cli('--log-group', 'x')
        self.assertFalse(os.path.exists(self.db))


class Color(CliTestCase):
    def test_color_values(self):
        for v in ('auto', 'always', 'never'):
            with self.subTest(color=v):
                self.ok('--color=%s' % v, 'queries')
                self.ok('--color', v, 'queries')

    def test_bad_color_value(self):
        r = self.run_cli('--color=rainbow', 'queries')
        self.assertEqual(r.rc, EX_USAGE, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('rainbow', r.error_lines()[0])
        self.assertEqual(r.out, '')

    def test_color_needs_a_value(self):
        r = self.run_cli('--color')
        self.assertEqual(r.rc, EX_USAGE, r)


class ManPage(CliTestCase):
    def test_man_page_documents_commands_and_exit_codes(self):
        path = os.path.join(SOURCE_ROOT, 'man', 'authlog-scan.1')
        self.assertTrue(os.path.isfile(path), path)
        with open(path, encoding='utf-8') as f:
            text = f.read()
        self.assertRegex(text, r'(?m)^\.TH\s+"?AUTHLOG-SCAN"?\s+"?1')
        for cmd in COMMANDS:
            self.assertIn(cmd, text)
        for code in ('64', '65', '66', '70', '73', '75'):
            self.assertRegex(text, r'\b%s\b' % code)


if __name__ == '__main__':
    main()
