#!/usr/bin/env python3
"""queries: the bundled CloudWatch Logs Insights queries."""
import os
import unittest

from cliutil import CliTestCase, EX_NOINPUT, QUERIES, main

BUNDLED = ['authenticator-recent', 'cluster-creator', 'denials', 'scan', 'stsendpoint']


class Queries(CliTestCase):
    def listing(self, env=None):
        r = self.ok('queries', env=env)
        return {l.split()[0]: l.split(None, 1)[1] if len(l.split()) > 1 else ''
                for l in r.out.splitlines() if l.strip()}

    def test_lists_the_bundled_queries(self):
        names = self.listing()
        for q in BUNDLED:
            self.assertIn(q, names)
            self.assertTrue(names[q], 'no summary for %s' % q)

    def test_source_directory_listing(self):
        env = dict(self.env, AUTHLOG_QUERIES_DIR=QUERIES)
        names = self.listing(env)
        self.assertEqual(sorted(names), sorted(n[:-len('.insights')] for n in os.listdir(QUERIES)
                                               if n.endswith('.insights')))
        self.assertIn('kubernetes-admin', names['cluster-creator'])

    def test_show_prints_the_query_text(self):
        env = dict(self.env, AUTHLOG_QUERIES_DIR=QUERIES)
        for q in BUNDLED:
            with self.subTest(query=q):
                r = self.ok('queries', '--show', q, env=env)
                with open(os.path.join(QUERIES, q + '.insights'), encoding='utf-8') as f:
                    self.assertEqual(r.out, f.read())
                self.assertRegex(r.out, r'(?m)^fields ')
                self.assertIn('authenticator', r.out)

    def test_show_default_directory(self):
        r = self.ok('queries', '--show', 'cluster-creator')
        self.assertIn('kubernetes-admin', r.out)
        self.assertRegex(r.out, r'(?m)^\| ?filter ')
        r = self.ok('queries', '--show', 'stsendpoint')
        self.assertIn('stsendpoint', r.out)

    def test_dir_option_and_override(self):
        r = self.ok('queries', '--dir')
        self.assertTrue(os.path.isdir(r.out.strip()), r)
        custom = os.path.join(self.tmp, 'q')
        os.makedirs(custom)
        with open(os.path.join(custom, 'mine.insights'), 'w') as f:
            f.write('# mine: my own query\nfields @timestamp, @message\n| limit 5\n')
        env = dict(self.env, AUTHLOG_QUERIES_DIR=custom)
        self.assertEqual(self.ok('queries', '--dir', env=env).out.strip(), custom)
        self.assertEqual(self.listing(env), {'mine': 'my own query'})
        self.assertEqual(self.ok('queries', '--show', 'mine', env=env).out,
                         '# mine: my own query\nfields @timestamp, @message\n| limit 5\n')

    def test_unknown_query(self):
        r = self.run_cli('queries', '--show', 'no-such-query')
        self.assertEqual(r.rc, EX_NOINPUT, r)
        self.assertEqual(r.out, '')
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('no-such-query', r.error_lines()[0])

    def test_show_refuses_paths(self):
        secret = os.path.join(self.tmp, 'secret.insights')
        with open(secret, 'w') as f:
            f.write('top secret\n')
        r = self.run_cli('queries', '--show', '../' * 12 + secret.lstrip('/')[:-len('.insights')])
        self.assertNotIn('top secret', r.out)
        self.assertNotEqual(r.rc, 0, r)

    def test_queries_need_no_database(self):
        self.ok('queries')
        self.ok('queries', '--show', 'scan')
        self.assertFalse(os.path.exists(self.db))


if __name__ == '__main__':
    main()
