#!/usr/bin/env python3
"""classify: every error class, from the classes/ fixtures and from inline samples."""
import json
import os
import unittest

from cliutil import (CLASSES, CLASS_SAMPLES, CliTestCase, denial, fixture, grant, main, role)

CLASS_DIR = fixture('classes')


class ClassFixtures(CliTestCase):
    def test_every_class_has_a_fixture_file(self):
        if not os.path.isdir(CLASS_DIR):
            self.skipTest('fixtures/classes/ not there yet')
        names = {n[:-4] for n in os.listdir(CLASS_DIR) if n.endswith('.log')}
        self.assertEqual(sorted(set(CLASSES) - names), [], 'classes without a fixture file')
        self.assertEqual(sorted(names - set(CLASSES)), [], 'fixture files that name no class')

    def test_each_fixture_line_gets_its_class(self):
        if not os.path.isdir(CLASS_DIR):
            self.skipTest('fixtures/classes/ not there yet')
        for cls in CLASSES:
            path = os.path.join(CLASS_DIR, cls + '.log')
            if not os.path.exists(path):
                continue  # reported by test_every_class_has_a_fixture_file
            with self.subTest(cls=cls):
                with open(path, encoding='utf-8') as f:
                    lines = [l for l in f.read().splitlines() if l.strip()]
                db = os.path.join(self.tmp, cls + '.db')
                counts = self.import_ok(path, extra=('--db', db))
                self.assertEqual(counts, (len(lines), 0, 0), 'every line of %s.log is a denial' % cls)
                rows = self.query('SELECT id, error_class, error, raw FROM denials ORDER BY id', db=db)
                self.assertEqual(len(rows), len(lines))
                wrong = ['got %s for error=%r' % (r['error_class'], r['error'] if r['error'] is not None else r['raw'])
                         for r in rows if r['error_class'] != cls]
                self.assertEqual(wrong, [], 'lines of classes/%s.log classified otherwise' % cls)


class InlineSamples(CliTestCase):
    def test_samples_cover_the_class_table(self):
        self.assertEqual(sorted(CLASS_SAMPLES), sorted(CLASSES))

    def test_import_classifies_every_sample(self):
        lines = [denial(CLASS_SAMPLES[c], arn=role('p-%s' % c.replace('_', '-')), port=41000 + i,
                        ts='2024-03-01T10:%02d:00Z' % i)
                 for i, c in enumerate(CLASSES)]
        self.assertEqual(self.import_ok(self.write_lines('all.log', lines)), (len(CLASSES), 0, 0))
        got = {r['principal_name'][2:].replace('-', '_'): r['error_class']
               for r in self.query('SELECT principal_name, error_class FROM denials')}
        self.assertEqual(got, {c: c for c in CLASSES})
        # granted lines never carry a class
        self.import_ok(self.write_lines('g.log', [grant(role('ok'), 'ok-user')]))
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE outcome = 'granted'"), 1)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE outcome = 'granted' "
                                     "AND error_class IS NOT NULL"), 0)

    def test_explain_classifies_every_sample(self):
        for cls in CLASSES:
            with self.subTest(cls=cls):
                r = self.ok('explain', '--json', CLASS_SAMPLES[cls])
                self.assertEqual(json.loads(r.out)['class'], cls, r)
                # and the same text inside a whole log line
                r = self.ok('explain', '--json', denial(CLASS_SAMPLES[cls], arn=role('x')))
                self.assertEqual(json.loads(r.out)['class'], cls, r)

    def test_sts_fields_are_extracted(self):
        lines = [denial(CLASS_SAMPLES['invalid_client_token'], port=1),
                 denial(CLASS_SAMPLES['sts_throttled'], port=2),
                 denial(CLASS_SAMPLES['sts_region_disabled'], port=3),
                 denial(CLASS_SAMPLES['sts_rejected'], port=4),
                 denial('ARN is not mapped: arn:aws:iam::111122223333:role/mapped-old', port=5)]
        self.import_ok(self.write_lines('sts.log', lines))
        rows = self.query('SELECT error_class, sts_code, http_status, sts_region, mapped_arn, principal_arn '
                          'FROM denials ORDER BY id')
        self.assertEqual((rows[0]['sts_code'], rows[0]['http_status']), ('InvalidClientTokenId', 403))
        self.assertEqual((rows[1]['error_class'], rows[1]['sts_code'], rows[1]['http_status']),
                         ('sts_throttled', 'Throttling', 429))
        self.assertEqual((rows[2]['sts_code'], rows[2]['sts_region']), ('RegionDisabledException', 'ap-east-1'))
        self.assertEqual((rows[3]['sts_code'], rows[3]['http_status']), (None, 403))
        self.assertEqual(rows[4]['mapped_arn'], 'arn:aws:iam::111122223333:role/mapped-old')
        self.assertEqual(rows[4]['principal_arn'], 'arn:aws:iam::111122223333:role/mapped-old')

    def test_fixes_are_fully_rendered(self):
        arn = role('team/dev-ops')
        for cls in CLASSES:
            with self.subTest(cls=cls):
                r = self.ok('explain', '--json', '--cluster', 'prod-eu', '--region', 'eu-west-1',
                            denial(CLASS_SAMPLES[cls], arn=arn))
                doc = json.loads(r.out)
                self.assertTrue(doc['cause'])
                self.assertIsInstance(doc['fix'], list)
                lines = doc['fix'] + doc['fix_notes']
                self.assertTrue(lines and all(isinstance(s, str) and s for s in lines), doc)
                self.assertIsInstance(doc['fix_notes'], list)
                text = '\n'.join(doc['fix'] + doc['fix_notes'])
                for placeholder in ('${', '<cluster>', '<region>'):
                    self.assertNotIn(placeholder, text)
                # aws-auth never matches a path; access entries need it
                self.assertNotIn('--arn ' + arn, text)
                self.assertNotIn('rolearn: ' + arn, text)
                if '--principal-arn' in text:
                    self.assertIn('--principal-arn %s' % arn, text)
                self.assertFalse([c for c in doc['fix'] if c.startswith('#')], doc['fix'])

    def test_report_fixes_after_import(self):
        lines = [denial(CLASS_SAMPLES[c], arn=role('p%d' % i), port=42000 + i) for i, c in enumerate(CLASSES)]
        self.ok('import', '--log-group', '/aws/eks/blue/cluster', '--region', 'us-east-2',
                self.write_lines('all.log', lines))
        findings = json.loads(self.ok('report', '--format', 'json', '--top', '100').out)['findings']
        self.assertEqual(sorted(f['class'] for f in findings), sorted(CLASSES))
        for f in findings:
            self.assertEqual(f['cluster'], 'blue')
            text = '\n'.join(f['fix'] + f['fix_notes'])
            self.assertNotIn('${', text)
            self.assertNotIn('<cluster>', text)
            self.assertNotIn('<region>', text)
        nm = [f for f in findings if f['class'] == 'not_mapped'][0]
        self.assertIn('--cluster blue --region us-east-2 --arn %s' % nm['principal'], '\n'.join(nm['fix']))
        # nothing rendered at import is kept to go stale (schema version 6)
        self.assertEqual(self.query("SELECT COUNT(*) AS n FROM sqlite_schema WHERE name = 'fixes'")[0]['n'], 0)

    def test_eks_internal_principals_are_expected_traffic(self):
        lines = [denial(CLASS_SAMPLES['sts_unreachable'], port=1,
                        arn='arn:aws:iam::444455556666:role/AWSWesleyClusterManagerLambda-NodeManagerRole-1K7ZQ2XB4M9TN'),
                 denial(CLASS_SAMPLES['sts_unreachable'], port=2,
                        arn='arn:aws:iam::444455556666:role/AWSWesleyClusterManagerLambda-Add-AddonManagerRole-1F8W3MZ'),
                 denial(CLASS_SAMPLES['not_mapped'], port=3, arn=role('human'))]
        self.import_ok(self.write_lines('eks.log', lines))
        rows = self.query('SELECT principal_name, expected FROM denials ORDER BY id')
        self.assertEqual([r['expected'] for r in rows], [1, 1, 0], rows)


if __name__ == '__main__':
    main()
