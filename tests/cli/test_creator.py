#!/usr/bin/env python3
"""creator: the IAM identity behind username kubernetes-admin."""
import json
import os
import unittest

from cliutil import ACCOUNT, CliTestCase, EX_NOINPUT, EX_USAGE, denial, grant, main, role

CREATOR = 'arn:aws:iam::%s:user/cluster-creator' % ACCOUNT
LATER = role('platform-admin')


class Creator(CliTestCase):
    def test_none_stored_says_so(self):
        self.import_ok(self.write_lines('a.log', [
            denial('ARN is not mapped', arn=role('dev')),
            grant(role('dev'), 'developer', ts='2023-06-13T11:00:00Z'),
        ]))
        r = self.ok('creator')
        self.assertRegex(r.out, r'(?i)\bno\b.*kubernetes-admin')
        self.assertRegex(r.out, r'(?i)unknown|not (stored|found|known)')
        self.assertNotIn('arn:aws', r.out)
        self.assertEqual(self.ok('creator', '--json').out.strip(), '[]')

    def test_creator_with_first_and_last_seen(self):
        self.import_ok(self.write_lines('a.log', [
            grant(CREATOR, 'kubernetes-admin', groups='[system:masters]', ts='2023-01-02T03:04:05Z', port=1),
            grant(CREATOR, 'kubernetes-admin', groups='[system:masters]', ts='2023-06-13T10:00:00Z', port=2),
            grant(CREATOR, 'kubernetes-admin', groups='[system:masters]', ts='2023-03-01T00:00:00Z', port=3),
            grant(role('dev'), 'developer', ts='2022-12-31T00:00:00Z', port=4),
            denial('ARN is not mapped', arn=role('other'), ts='2022-12-30T00:00:00Z', port=5),
        ]))
        r = self.ok('creator')
        self.assertIn(CREATOR, r.out)
        self.assertIn('2023-01-02T03:04:05Z', r.out)
        self.assertIn('2023-06-13T10:00:00Z', r.out)
        self.assertRegex(r.out, r'\b3\b')
        self.assertNotIn(role('dev'), r.out)
        doc = json.loads(self.ok('creator', '--json').out)
        self.assertEqual(doc, [{'cluster': '', 'arn': CREATOR, 'first_seen': '2023-01-02T03:04:05Z',
                                'last_seen': '2023-06-13T10:00:00Z', 'grants': 3}])

    def test_several_identities_first_seen_first(self):
        self.import_ok(self.write_lines('a.log', [
            grant(LATER, 'kubernetes-admin', groups='[system:masters]', ts='2023-05-01T00:00:00Z', port=1),
            grant(CREATOR, 'kubernetes-admin', groups='[system:masters]', ts='2023-01-01T00:00:00Z', port=2),
        ]))
        r = self.ok('creator')
        self.assertLess(r.out.index(CREATOR), r.out.index(LATER))
        doc = json.loads(self.ok('creator', '--json').out)
        self.assertEqual([d['arn'] for d in doc], [CREATOR, LATER])

    def test_heptio_era_grant(self):
        line = grant('arn:aws:iam::%s:user/awscli' % ACCOUNT, 'kubernetes-admin', groups='[system:masters]',
                     ts='2021-08-11T10:09:43Z', sts='sts.eu-west-1.amazonaws.com',
                     uid='heptio-authenticator-aws:%s:ABCDEFGHIJKLMNOP' % ACCOUNT)
        self.import_ok(self.write_lines('a.log', [line]))
        self.assertIn('arn:aws:iam::%s:user/awscli' % ACCOUNT, self.ok('creator').out)

    def test_report_names_the_creator_too(self):
        self.import_ok(self.write_lines('a.log', [
            grant(CREATOR, 'kubernetes-admin', groups='[system:masters]', ts='2023-01-02T03:04:05Z')]))
        self.assertIn(CREATOR, self.ok('report').out)

    def test_no_database(self):
        r = self.run_cli('creator')
        self.assertEqual(r.rc, EX_NOINPUT, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('import', r.error_lines()[0])
        self.assertFalse(os.path.exists(self.db))

    def test_extra_argument(self):
        self.assertEqual(self.run_cli('creator', 'prod').rc, EX_USAGE)


if __name__ == '__main__':
    main()
