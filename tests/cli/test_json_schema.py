#!/usr/bin/env python3
"""report --format json and creator --json against the schema the README
documents ("JSON output"): every key printed is documented with the type it
has, every documented key is printed, schema_version is 1."""
import json
import os
import re
import sqlite3

from cliutil import ACCOUNT, SOURCE_ROOT, CliTestCase, denial, grant, log_line, main, role

TYPES = {'integer': int, 'string': str, 'boolean': bool, 'object': dict, 'null': type(None),
         'array of objects': list, 'array of strings': list, 'array of integers': list}
ELEMENT = {'array of strings': str, 'array of integers': int}
CREATOR = 'arn:aws:iam::%s:user/creator' % ACCOUNT
ENABLE = "aws eks update-cluster-config --name quiet --region eu-west-1 --logging '{}'"


def documented():
    """{path: (set of types, element type or None)} from the README table."""
    with open(os.path.join(SOURCE_ROOT, 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    section = readme[readme.index('### JSON output'):]
    section = section[:section.index('\n\n', section.index('| key |'))]
    schema = {}
    for keys, types in re.findall(r'^\| ((?:`[\w.\[\]]+`(?:, )?)+) \| ([^|]+) \|', section, re.M):
        words = [w.strip() for w in types.split(' or ')]
        for key in re.findall(r'`([\w.\[\]]+)`', keys):
            schema[key] = ({TYPES[w] for w in words}, next((ELEMENT[w] for w in words if w in ELEMENT), None))
    return schema


def walk(value, path, out):
    """(path, value) of every key below value; arrays as path[]."""
    if isinstance(value, dict):
        for k, v in value.items():
            p = '%s.%s' % (path, k) if path else k
            out.append((p, v))
            walk(v, p, out)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, (dict, list)):
                walk(v, path + '[]', out)
    return out


class Schema(CliTestCase):
    def setUp(self):
        super().setUp()
        prod = [
            grant(CREATOR, 'kubernetes-admin', groups='[system:masters]', ts='2023-06-12T08:00:00Z', port=1),
            grant(role('dev'), 'dev', ts='2023-06-12T08:30:00Z', port=2),
            denial('ARN is not mapped', arn=role('ci'), ts='2023-06-12T09:00:00Z', port=3),
            log_line('Errors parsing configmap: [yaml: line 3: did not find expected key]', level='warning',
                     ts='2023-06-12T09:10:00Z'),
            denial('ARN is not mapped', arn=role('ops'), ts='2023-06-12T09:20:00Z', port=4),
            denial(None, ts='2023-06-12T09:30:00Z', port=5),
        ]
        self.import_ok('--cluster', 'prod', '--region', 'us-east-1', self.write_lines('prod.log', prod))
        self.import_ok('--cluster', 'staging', '--region', 'eu-west-1', self.write_lines('staging.log', [
            denial('ARN is not mapped', arn=role('ci'), ts='2023-06-13T09:00:00Z', port=11)]))
        con = sqlite3.connect(self.db)
        try:
            con.execute("INSERT INTO scan_runs(log_group, query, window_start, window_end, started, finished,"
                        " status, rows, queries, bytes_scanned, records_scanned, records_matched)"
                        " VALUES ('/aws/eks/prod/cluster', 'scan', '2023-06-12T00:00:00Z', '2023-06-13T00:00:00Z',"
                        " '2023-06-13T00:00:01Z', '2023-06-13T00:00:09Z', 'complete', 6, 1, 1234.0, 10.0, 6.0)")
            con.execute("INSERT INTO clusters(name, region, auth_mode, logging_off, logging_off_reason,"
                        " enable_logging, source, updated_at) VALUES ('quiet', 'eu-west-1', 'API', 1, 'no_streams',"
                        " ?, 'scan', '2023-06-13T00:00:00Z')", (ENABLE,))
            con.commit()
        finally:
            con.close()
        self.schema = documented()

    def check(self, doc, seen):
        for path, value in walk(doc, '', []):
            self.assertIn(path, self.schema, 'undocumented key %s' % path)
            types, element = self.schema[path]
            self.assertIn(type(value), types, '%s: %r is not %s' % (path, value, types))
            if element is not None:
                self.assertTrue(all(type(v) is element for v in value), '%s: %r' % (path, value))
            seen.add(path)

    def test_report_follows_the_documented_schema(self):
        seen = set()
        for args in ((), ('--new',), ('--cluster', 'prod'), ('--since', '2023-06-12T09:00:00Z'),
                     ('--cluster', 'quiet')):
            with self.subTest(args=args):
                doc = self.report_json(*args)
                self.assertEqual(doc['schema_version'], 1)
                self.check(doc, seen)
        creators = json.loads(self.ok('creator', '--json').out)
        self.assertTrue(creators)
        self.check({'cluster_creator': creators}, seen)
        self.assertEqual(set(self.schema) - seen, set(), 'documented but never printed')

    def test_types_that_used_to_differ(self):
        doc = self.report_json()
        p = [x for x in doc['denials_by_principal'] if x['principal'] == role('ci')][0]
        self.assertEqual((p['classes'], p['expected']), (['not_mapped'], False))
        self.assertIs(doc['findings'][0]['expected'], False)
        quiet = [c for c in doc['clusters'] if c['name'] == 'quiet'][0]
        self.assertEqual((quiet['authenticator_logging'], quiet['enable_logging'], quiet['auth_mode']),
                         (False, ENABLE, 'API'))


if __name__ == '__main__':
    main()
