#!/usr/bin/env python3
"""import: every input shape, counts, dedupe, bad input, and the database file."""
import csv
import io
import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import unittest

from cliutil import (ACCOUNT, BIN, SOURCE_ROOT, CliTestCase, EX_CANTCREAT, EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL,
                     FIXTURES, denial, fixture_files, grant, log_line, main, role)

TS_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')

NOT_MAPPED = denial('ARN is not mapped', arn=role('dev'), ts='2023-01-23T14:06:32Z', port=33384)
GRANT_ADMIN = grant('arn:aws:iam::%s:user/alice' % ACCOUNT, 'kubernetes-admin', groups='[system:masters]',
                    ts='2022-05-26T18:55:30Z', port=57586,
                    uid='aws-iam-authenticator:%s:AIDAEXAMPLEALICE0001' % ACCOUNT)
STS_403 = denial('sts getCallerIdentity failed: error from AWS (expected 200, got 403)',
                 ts='2021-08-08T20:04:44Z', port=52856)


def insights_row(fields):
    """One get-query-results row: a list of {field, value}."""
    return [{'field': k, 'value': v} for k, v in fields]


class Shapes(CliTestCase):
    """Every input shape the contract lists, detected without flags."""

    def test_bare_lines_of_every_era(self):
        lines = [
            # heptio v0.1: the denial is the msg, no error field
            log_line('access denied because ARN is not mapped', ts='2018-01-10T09:00:00Z', level='warning',
                     arn=role('old-admin'), client='127.0.0.1:1000', method='POST', path='/authenticate'),
            # 2021 EKS fork: sts= field, heptio uid prefix
            grant(role('eks-developer'), 'eks-developer', ts='2021-09-13T16:29:14Z', sts='sts.us-east-1.amazonaws.com',
                  uid='heptio-authenticator-aws:%s:AROAQIFUWO66PDOXKSLMQ' % ACCOUNT),
            # 2022: ARN is not mapped: <arn>
            denial('ARN is not mapped: arn:aws:iam::%s:role/ci' % ACCOUNT, ts='2022-01-05T10:00:00Z',
                   sts='sts.ap-northeast-1.amazonaws.com'),
            # 2023: STS body
            denial('sts getCallerIdentity failed: error from AWS (expected 200, got 403). Body: '
                   '{"Error":{"Code":"InvalidClientTokenId","Message":"The security token included in the '
                   'request is invalid.","Type":"Sender"},"RequestId":"x"}', ts='2023-01-01T00:00:00Z'),
            # 2025: stsendpoint=, STS response with empty session value
            log_line('STS response', ts='2025-12-24T19:52:38Z', accesskeyid='AKIAIOSFODNN7EXAMPLE',
                     accountid=ACCOUNT, arn='arn:aws:iam::%s:user/bob' % ACCOUNT, client='127.0.0.1:38940',
                     method='POST', path='/authenticate', session='', stsendpoint='sts.eu-west-1.amazonaws.com',
                     userid='AIDAEXAMPLEBOB000001'),
            grant(role('eks-admin'), 'admin', ts='2025-12-24T19:52:38Z', port=38940,
                  stsendpoint='sts.eu-west-1.amazonaws.com'),
            # aws-auth config lines that explain denials
            log_line('Errors parsing configmap: [yaml: line 13: did not find expected key]',
                     ts='2023-06-13T09:35:43Z', level='warning'),
            log_line('mapping IAM role', ts='2023-06-13T09:35:40Z', groups='[system:masters]',
                     role=role('k8s-admin'), username='kubernetes-admin'),
        ]
        path = self.write_lines('eras.log', lines)
        self.assertEqual(self.import_ok(path), (8, 0, 0))
        rows = self.query('SELECT * FROM events ORDER BY id')
        self.assertEqual(len(rows), 8)
        for r in rows:
            self.assertRegex(r['ts'], TS_RE)
            self.assertEqual(r['raw'], lines[r['id'] - 1])
        v01, fork, ci, ict, sts, adm, cfg, mapping = rows
        self.assertEqual((v01['outcome'], v01['error_class'], v01['principal_arn']),
                         ('denied', 'not_mapped', role('old-admin')))
        self.assertEqual(fork['outcome'], 'granted')
        self.assertIsNone(fork['error_class'])
        self.assertEqual(fork['sts_endpoint'], 'sts.us-east-1.amazonaws.com')
        self.assertEqual(fork['uid'], 'heptio-authenticator-aws:%s:AROAQIFUWO66PDOXKSLMQ' % ACCOUNT)
        self.assertEqual(fork['account_id'], ACCOUNT)
        self.assertEqual(json.loads(fork['groups']), [])
        self.assertEqual((ci['error_class'], ci['principal_arn'], ci['principal_type']),
                         ('not_mapped', role('ci'), 'role'))
        self.assertEqual((ict['error_class'], ict['sts_code'], ict['http_status']),
                         ('invalid_client_token', 'InvalidClientTokenId', 403))
        self.assertIsNone(sts['outcome'])
        self.assertEqual(sts['access_key_id'], 'AKIAIOSFODNN7EXAMPLE')
        self.assertEqual(sts['sts_endpoint'], 'sts.eu-west-1.amazonaws.com')
        self.assertFalse(sts['session'])
        self.assertEqual((sts['principal_type'], sts['principal_name']), ('user', 'bob'))
        self.assertEqual((adm['username'], adm['principal_arn']), ('admin', role('eks-admin')))
        self.assertIsNone(cfg['outcome'])
        self.assertIn('Errors parsing configmap', cfg['msg'])
        self.assertIsNone(mapping['outcome'])

    def test_go_quoted_values_are_unquoted(self):
        err = 'failed mapping username: x "quoted" back\\slash\n\tstatus code: 403, caf\u00e9'
        line = denial(err, arn=role('q'))
        self.assertIn('\\"quoted\\"', line)
        self.assertEqual(self.import_ok(self.write_lines('q.log', [line])), (1, 0, 0))
        self.assertEqual(self.scalar('SELECT error FROM events'), err)

    def test_stern_and_kubectl_prefixes(self):
        lines = ['aws-iam-authenticator-8t2gb aws-iam-authenticator ' + NOT_MAPPED,
                 '[pod/aws-iam-authenticator-r6mvh/aws-iam-authenticator] ' + STS_403]
        self.assertEqual(self.import_ok(self.write_lines('stern.log', lines)), (2, 0, 0))
        rows = self.query('SELECT log_stream, raw, error_class FROM events ORDER BY id')
        self.assertEqual(rows[0], {'log_stream': 'aws-iam-authenticator-8t2gb', 'raw': NOT_MAPPED,
                                   'error_class': 'not_mapped'})
        self.assertEqual(rows[1], {'log_stream': 'aws-iam-authenticator-r6mvh', 'raw': STS_403,
                                   'error_class': 'sts_rejected'})

    def test_s3_export_prefix(self):
        no_time = NOT_MAPPED.replace('time="2023-01-23T14:06:32Z" ', '').replace('role/dev', 'role/notime')
        lines = ['2023-01-23T14:06:32.508Z ' + NOT_MAPPED, '2024-02-01T10:00:00.5Z ' + no_time]
        self.assertEqual(self.import_ok(self.write_lines('s3.log', lines)), (2, 0, 0))
        rows = self.query('SELECT ts, raw, principal_name FROM events ORDER BY id')
        self.assertEqual(rows[0], {'ts': '2023-01-23T14:06:32Z', 'raw': NOT_MAPPED, 'principal_name': 'dev'})
        # without the authenticator's own time the export's timestamp is used
        self.assertEqual(rows[1], {'ts': '2024-02-01T10:00:00Z', 'raw': no_time, 'principal_name': 'notime'})

    def test_docker_json_file(self):
        no_time = STS_403.replace('time="2021-08-08T20:04:44Z" ', '')
        recs = [{'log': NOT_MAPPED + '\n', 'stream': 'stderr', 'time': '2023-01-23T14:06:32.762503190Z'},
                {'log': no_time + '\n', 'stream': 'stderr', 'time': '2021-08-08T20:05:00.1Z'}]
        path = self.write_lines('docker.log', [json.dumps(r) for r in recs])
        self.assertEqual(self.import_ok(path), (2, 0, 0))
        rows = self.query('SELECT ts, raw, error_class FROM events ORDER BY id')
        self.assertEqual(rows[0], {'ts': '2023-01-23T14:06:32Z', 'raw': NOT_MAPPED, 'error_class': 'not_mapped'})
        self.assertEqual(rows[1], {'ts': '2021-08-08T20:05:00Z', 'raw': no_time, 'error_class': 'sts_rejected'})

    def test_crlf_line_endings(self):
        path = self.write_lines('crlf.log', [NOT_MAPPED, STS_403, GRANT_ADMIN], eol='\r\n')
        self.assertEqual(self.import_ok(path), (3, 0, 0))
        rows = self.query('SELECT raw, error, username FROM events ORDER BY id')
        self.assertEqual([r['raw'] for r in rows], [NOT_MAPPED, STS_403, GRANT_ADMIN])
        self.assertEqual(rows[0]['error'], 'ARN is not mapped')
        self.assertEqual(rows[2]['username'], 'kubernetes-admin')
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE instr(raw || COALESCE(error, '')"
                                     " || COALESCE(username, ''), char(13)) > 0"), 0)

    def csv_text(self, header, rows):
        out = io.StringIO()
        w = csv.writer(out, lineterminator='\r\n', quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)
        return out.getvalue()

    def test_insights_csv_timestamp_message(self):
        quoted_err = denial('failed mapping username: bad "template", see docs', arn=role('csvq'),
                            ts='2023-01-23T14:06:40Z')
        text = self.csv_text(['@timestamp', '@message'], [
            ['2023-01-23 14:06:32.000', NOT_MAPPED + '\n'],  # embedded (trailing) newline
            ['2023-01-23 14:06:33.000', 'panic: runtime error\n[signal SIGSEGV]\ngoroutine 1 [running]:'],
            ['2023-01-23 14:06:40.000', quoted_err],
            ['2022-05-26 18:55:30.000', GRANT_ADMIN],
        ])
        self.assertIn('""', text)  # doubled quotes
        self.assertEqual(self.import_ok(self.write('export.csv', text)), (3, 0, 1))
        rows = self.query('SELECT raw, error FROM events ORDER BY id')
        self.assertEqual([r['raw'] for r in rows], [NOT_MAPPED, quoted_err, GRANT_ADMIN])
        self.assertEqual(rows[1]['error'], 'failed mapping username: bad "template", see docs')

    def test_insights_csv_with_log_stream(self):
        text = self.csv_text(['@logStream', '@timestamp', '@message'], [
            ['authenticator-71976ca11bea5d3083393f7d32dab75b', '2023-01-23 14:06:32.000', NOT_MAPPED],
            ['authenticator-8c0c570ea5676c62c44d98da6189a02b', '2021-08-08 20:04:44.000', STS_403 + '\n'],
        ])
        self.assertEqual(self.import_ok(self.write('export2.csv', text)), (2, 0, 0))
        rows = self.query('SELECT log_stream, raw FROM events ORDER BY id')
        self.assertEqual(rows, [
            {'log_stream': 'authenticator-71976ca11bea5d3083393f7d32dab75b', 'raw': NOT_MAPPED},
            {'log_stream': 'authenticator-8c0c570ea5676c62c44d98da6189a02b', 'raw': STS_403},
        ])

    def test_get_query_results_json(self):
        doc = {'results': [
            insights_row([('@timestamp', '2023-01-23 14:06:32.000'),
                          ('@logStream', 'authenticator-71976ca11bea5d3083393f7d32dab75b'),
                          ('@log', '%s:/aws/eks/prod-eu/cluster' % ACCOUNT),
                          ('@message', NOT_MAPPED), ('@ptr', 'CmAKJwojMTExMTIyMjIzMzMzOi9hd3MvZWtzEAEaNg')]),
            # "value" before "field" is valid JSON too
            [{'value': STS_403, 'field': '@message'}, {'value': 'ptr-two', 'field': '@ptr'},
             {'value': 'authenticator-8c0c570ea5676c62c44d98da6189a02b', 'field': '@logStream'},
             {'value': '%s:/aws/eks/prod-eu/cluster' % ACCOUNT, 'field': '@log'}],
        ], 'statistics': {'recordsMatched': 2.0, 'recordsScanned': 100.0, 'bytesScanned': 2048.0},
            'status': 'Complete'}
        path = self.write('gqr.json', json.dumps(doc, indent=4))
        self.assertEqual(self.import_ok(path), (2, 0, 0))
        rows = self.query('SELECT log_group, log_stream, ptr, cluster, raw FROM events ORDER BY id')
        self.assertEqual(rows, [
            {'log_group': '/aws/eks/prod-eu/cluster', 'log_stream': 'authenticator-71976ca11bea5d3083393f7d32dab75b',
             'ptr': 'CmAKJwojMTExMTIyMjIzMzMzOi9hd3MvZWtzEAEaNg', 'cluster': 'prod-eu', 'raw': NOT_MAPPED},
            {'log_group': '/aws/eks/prod-eu/cluster', 'log_stream': 'authenticator-8c0c570ea5676c62c44d98da6189a02b',
             'ptr': 'ptr-two', 'cluster': 'prod-eu', 'raw': STS_403},
        ])

    def test_filter_log_events_json(self):
        doc = {'events': [
            {'logStreamName': 'authenticator-71976ca11bea5d3083393f7d32dab75b', 'timestamp': 1674482792000,
             'message': NOT_MAPPED, 'ingestionTime': 1674482793000, 'eventId': '37364849384000000001'},
            {'logStreamName': 'authenticator-8c0c570ea5676c62c44d98da6189a02b', 'timestamp': 1628453084000,
             'message': STS_403 + '\n', 'ingestionTime': 1628453085000, 'eventId': '37364849384000000002'},
        ], 'searchedLogStreams': [], 'nextToken': 'abc'}
        path = self.write('fle.json', json.dumps(doc))
        self.assertEqual(self.import_ok(path), (2, 0, 0))
        rows = self.query('SELECT log_stream, ptr, raw FROM events ORDER BY id')
        self.assertEqual(rows, [
            {'log_stream': 'authenticator-71976ca11bea5d3083393f7d32dab75b', 'ptr': '37364849384000000001',
             'raw': NOT_MAPPED},
            {'log_stream': 'authenticator-8c0c570ea5676c62c44d98da6189a02b', 'ptr': '37364849384000000002',
             'raw': STS_403},
        ])

    def test_stdin_dash(self):
        r, counts = self.import_('-', input='\n'.join([NOT_MAPPED, STS_403, GRANT_ADMIN]) + '\n')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(counts, (3, 0, 0))
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events'), 3)
        # JSON on stdin is detected too
        doc = {'events': [{'logStreamName': 'authenticator-s', 'timestamp': 1,
                           'message': NOT_MAPPED.replace('dev', 'stdin'), 'eventId': 'e1'}]}
        r, counts = self.import_('-', input=json.dumps(doc))
        self.assertEqual((r.rc, counts), (0, (1, 0, 0)), r)
        self.assertEqual(self.scalar("SELECT ptr FROM events WHERE principal_name = 'stdin'"), 'e1')

    def test_log_group_stream_and_cluster_options(self):
        path = self.write_lines('plain.log', [NOT_MAPPED])
        self.assertEqual(self.import_ok('--log-group', '/aws/eks/blue/cluster', '--log-stream',
                                        'authenticator-abc', path), (1, 0, 0))
        row = self.query('SELECT log_group, log_stream, cluster FROM events')[0]
        self.assertEqual(row, {'log_group': '/aws/eks/blue/cluster', 'log_stream': 'authenticator-abc',
                               'cluster': 'blue'})
        other = self.write_lines('other.log', [STS_403])
        self.import_ok('--log-group', '/aws/eks/blue/cluster', '--cluster', 'green', other)
        self.assertEqual(self.scalar("SELECT cluster FROM events WHERE error_class = 'sts_rejected'"), 'green')


class Counting(CliTestCase):
    def test_summary_line_and_quiet(self):
        path = self.write_lines('mix.log', [NOT_MAPPED, 'garbage', STS_403, '', 'more garbage'])
        r, counts = self.import_(path)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, 'imported 2, duplicate 0, skipped 2\n')
        self.assertEqual(r.out, '')
        r = self.run_cli('-q', 'import', path)
        self.assertEqual((r.rc, r.out, r.err), (0, '', ''))
        r = self.run_cli('--quiet', 'import', path)
        self.assertEqual((r.rc, r.out, r.err), (0, '', ''))

    def test_quiet_still_reports_errors(self):
        r = self.run_cli('-q', 'import', os.path.join(self.tmp, 'missing.log'))
        self.assertEqual(r.rc, EX_NOINPUT, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertNotIn('imported', r.err)

    def test_reimport_is_all_duplicates(self):
        lines = [NOT_MAPPED, STS_403, GRANT_ADMIN, 'noise']
        path = self.write_lines('a.log', lines)
        self.assertEqual(self.import_ok(path), (3, 0, 1))
        before = self.query('SELECT * FROM events ORDER BY id')
        self.assertEqual(self.import_ok(path), (0, 3, 1))
        self.assertEqual(self.import_ok(path, path), (0, 6, 2))
        self.assertEqual(self.query('SELECT * FROM events ORDER BY id'), before)
        # the same lines again through stdin and CRLF are still the same records
        r, counts = self.import_('-', input='\r\n'.join(lines) + '\r\n')
        self.assertEqual(counts, (0, 3, 1), r)
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events'), 3)

    def test_overlapping_import_stores_what_a_fresh_one_does(self):
        """Import reads on a thread of its own, which counts the lines its read-only connection
        finds stored without parsing them, and parses the rest for the storing thread: the
        rows of an import that overlaps what is stored must be those a fresh import stores."""
        gen = os.path.join(SOURCE_ROOT, 'bench', 'gen.py')
        out = subprocess.run([sys.executable, gen, '--lines', '6000', '--seed', '5'], check=True,
                             capture_output=True, text=True).stdout
        lines = out.splitlines(keepends=True)
        head = self.write('head.log', ''.join(lines[:4000]))
        whole = self.write('whole.log', out)
        first = self.import_ok(head)
        again = self.import_ok(whole)
        self.assertEqual(again[1], first[0], again)  # the head's rows, each found stored
        fresh = os.path.join(self.tmp, 'fresh.db')
        self.assertEqual(self.import_ok(whole, extra=('--db', fresh))[0], first[0] + again[0])
        cols = ('ts, log_group, log_stream, cluster, kind, level, msg, outcome, arn, client, error, error_class,'
                ' username, groups, uid, principal_arn, access_key_id, session, sts_endpoint, raw, dedupe_key')
        sql = 'SELECT %s FROM events ORDER BY ts, dedupe_key' % cols
        self.assertEqual(self.query(sql), self.query(sql, db=fresh))
        templates = 'SELECT template FROM shapes ORDER BY template'
        self.assertEqual(self.query(templates), self.query(templates, db=fresh))

    def test_reimport_json_deduplicates_on_ptr(self):
        doc = {'results': [insights_row([('@message', NOT_MAPPED), ('@ptr', 'p1'), ('@logStream', 'authenticator-s1'),
                                         ('@log', '%s:/aws/eks/c/cluster' % ACCOUNT)]),
                           insights_row([('@message', STS_403), ('@ptr', 'p2'), ('@logStream', 'authenticator-s1'),
                                         ('@log', '%s:/aws/eks/c/cluster' % ACCOUNT)])]}
        path = self.write('q.json', json.dumps(doc))
        self.assertEqual(self.import_ok(path), (2, 0, 0))
        # an overlapping fetch: one old row, one new one
        doc['results'] = [doc['results'][1], insights_row([('@message', GRANT_ADMIN), ('@ptr', 'p3'),
                                                            ('@logStream', 'authenticator-s1'),
                                                            ('@log', '%s:/aws/eks/c/cluster' % ACCOUNT)])]
        path2 = self.write('q2.json', json.dumps(doc))
        self.assertEqual(self.import_ok(path2), (1, 1, 0))
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events'), 3)

    def test_imports_table_records_runs(self):
        path = self.write_lines('a.log', [NOT_MAPPED, 'x'])
        self.import_ok(path)
        self.import_ok(path)
        rows = self.query('SELECT source, imported, duplicates, skipped, finished FROM imports ORDER BY id')
        self.assertEqual([(r['imported'], r['duplicates'], r['skipped']) for r in rows], [(1, 0, 1), (0, 1, 1)])
        self.assertTrue(all(r['source'].endswith('a.log') and r['finished'] for r in rows), rows)


class BadInput(CliTestCase):
    def test_garbage_is_skipped_never_fatal(self):
        data = b''.join([
            b'hello world\n',
            b'\xff\xfe\x80 invalid utf-8 \xc3\x28 level=\xc3\n',
            b'I0301 00:00:00.000000       1 authentication.go:63] "Unable to authenticate the request" '
            b'err="[invalid bearer token, Token has been invalidated]"\n',
            b'E0301 00:00:01.000000      10 webhook.go:154] Failed to make webhook authenticator request: '
            b'Post "https://127.0.0.1:21362/authenticate": dial tcp 127.0.0.1:21362: connect: connection refused\n',
            NOT_MAPPED.encode() + b'\n',
            b'\x00\x01\x02\x03 binary \x00\n',
            b'x' * (1 << 20) + b'\n',
            b'level=warning msg=\n',
            b'time="not a time" level=warning msg="access denied" error="ARN is not mapped"\n',
            b'{"log": 12, "stream": "stderr"}\n',
            b'{"log":"unterminated\n',
            STS_403.encode() + b'\n',
        ])
        r, counts = self.import_(self.write('garbage.log', data))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(counts, (2, 0, 10))
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events'), 2)
        self.assertEqual(self.scalar('PRAGMA integrity_check'), 'ok')

    def test_multi_megabyte_line_is_skipped_and_the_rest_imported(self):
        big = denial('sts getCallerIdentity failed: ' + 'B' * (2 << 20), ts='2023-03-01T00:00:03Z')
        path = self.write_lines('big.log', [NOT_MAPPED, big, STS_403])
        r, counts = self.import_(path)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(counts, (2, 0, 1))
        self.assertEqual(self.scalar('SELECT MAX(length(raw)) FROM events'), max(len(NOT_MAPPED), len(STS_403)))

    def test_line_just_over_one_mebibyte_is_skipped(self):
        # reader.h: READER_MAX_LINE (1 MiB) — "longer lines are skipped, not stored";
        # the contract: 1 MB lines are counted as skipped.
        pad = (1 << 20) + 100 - len(denial('sts getCallerIdentity failed: ', ts='2023-03-01T00:00:01Z'))
        big = denial('sts getCallerIdentity failed: ' + 'A' * pad, ts='2023-03-01T00:00:01Z')
        self.assertGreater(len(big), 1 << 20)
        path = self.write_lines('big.log', [NOT_MAPPED, big, STS_403])
        r, counts = self.import_(path)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(counts, (2, 0, 1), 'a line of %d bytes (> 1 MiB) was stored' % len(big))
        self.assertLess(self.scalar('SELECT MAX(length(raw)) FROM events'), 1 << 20)

    def test_missing_file_is_66_and_other_files_still_imported(self):
        a = self.write_lines('a.log', [NOT_MAPPED])
        b = self.write_lines('b.log', [STS_403])
        missing = os.path.join(self.tmp, 'no-such-file.log')
        r, counts = self.import_(a, missing, b)
        self.assertEqual(r.rc, EX_NOINPUT, r)
        self.assertEqual(counts, (2, 0, 0))
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('no-such-file.log', r.error_lines()[0])
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events'), 2)

    def truncated_json(self):
        rows = [insights_row([('@timestamp', '2023-01-23 14:06:3%d.000' % i),
                              ('@message', denial('ARN is not mapped', arn=role('t%d' % i),
                                                  ts='2023-01-23T14:06:3%dZ' % i)),
                              ('@ptr', 'ptr%d' % i)]) for i in range(3)]
        text = json.dumps({'results': rows, 'status': 'Complete'}, indent=2)
        cut = text[:text.index('"ptr2"')]
        return cut, cut.count('\n') + 1

    def test_truncated_json_is_65_and_keeps_earlier_rows(self):
        cut, last_line = self.truncated_json()
        path = self.write('trunc.json', cut)
        r, counts = self.import_('trunc.json')
        self.assertEqual(r.rc, EX_DATAERR, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('trunc.json', r.error_lines()[0])
        self.assertRegex(r.error_lines()[0], r'\b%d\b' % last_line)
        self.assertEqual(counts[0], 2, r)
        self.assertEqual([x['ptr'] for x in self.query('SELECT ptr FROM events ORDER BY id')], ['ptr0', 'ptr1'])
        self.assertTrue(os.path.exists(path))

    def test_unterminated_csv_quote_is_65_and_keeps_earlier_rows(self):
        text = ('@timestamp,@message\n'
                '2023-01-23 14:06:32.000,"%s"\n'
                '2021-08-08 20:04:44.000,"%s"\n'
                '2023-01-23 14:07:00.000,"time=""2023-01-23T14:07:00Z"" level=warning msg=""access denied\n'
                'and it never ends\n') % (NOT_MAPPED.replace('"', '""'), STS_403.replace('"', '""'))
        self.write('unterminated.csv', text)
        r, counts = self.import_('unterminated.csv')
        self.assertEqual(r.rc, EX_DATAERR, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('unterminated.csv', r.error_lines()[0])
        self.assertRegex(r.error_lines()[0], r'\b4\b')  # the record whose quote never closes
        self.assertEqual(counts[0], 2, r)
        self.assertEqual([x['raw'] for x in self.query('SELECT raw FROM events ORDER BY id')], [NOT_MAPPED, STS_403])

    def test_data_errors_say_file_colon_line(self):
        """The one-line error names the place as FILE:LINE (like the CSV-header error, 'FILE:1: …')."""
        cut, last_line = self.truncated_json()
        self.write('trunc.json', cut)
        r, _ = self.import_('trunc.json')
        self.assertEqual(r.rc, EX_DATAERR, r)
        self.assertRegex(r.error_lines()[0], r'^authlog-scan: import: trunc\.json:%d: ' % last_line)
        self.write('bad.csv', '@timestamp,@message\n2023-01-01,"open\n')
        r, _ = self.import_('bad.csv')
        self.assertEqual(r.rc, EX_DATAERR, r)
        self.assertRegex(r.error_lines()[0], r'^authlog-scan: import: bad\.csv:2: ')

    def test_bad_file_does_not_stop_later_files(self):
        cut, _ = self.truncated_json()
        t = self.write('trunc.json', cut)
        b = self.write_lines('b.log', [STS_403])
        r, counts = self.import_(t, b)
        self.assertEqual(r.rc, EX_DATAERR, r)
        self.assertEqual(counts, (3, 0, 0))
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE error_class = 'sts_rejected'"), 1)

    def test_empty_input(self):
        self.assertEqual(self.import_ok(self.write('empty.log', '')), (0, 0, 0))
        r, counts = self.import_('-', input=b'')
        self.assertEqual((r.rc, counts), (0, (0, 0, 0)), r)


class DatabaseFile(CliTestCase):
    def test_principal_index_is_built_after_a_bulk_load(self):
        # A first import drops the per-principal index and builds it at the end;
        # a write open rebuilds it if an import was killed in between.
        index = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'event_rows_identity'"
        path = self.write_lines('a.log', [NOT_MAPPED, STS_403, GRANT_ADMIN])
        self.assertEqual(self.import_ok(path), (3, 0, 0))
        self.assertEqual(self.scalar(index), 1)
        plan = ' '.join(r['detail'] for r in self.query(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM events WHERE principal_arn = 'x'"))
        self.assertIn('event_rows_identity', plan)
        con = sqlite3.connect(self.db)
        con.execute('DROP INDEX event_rows_identity')
        con.commit()
        con.close()
        self.assertEqual(self.scalar(index), 0)
        self.assertEqual(self.import_ok(self.write('empty.log', '')), (0, 0, 0))
        self.assertEqual(self.scalar(index), 1)
        self.assertEqual(self.scalar('PRAGMA integrity_check'), 'ok')

    def test_mode_0600_and_parent_directories(self):
        for umask in (0o000, 0o022):
            with self.subTest(umask=oct(umask)):
                db = os.path.join(self.tmp, 'u%o' % umask, 'deep', 'er', 'authlog.db')
                path = self.write_lines('a.log', [NOT_MAPPED])
                r = self.run_cli('--db', db, 'import', path, umask=umask)
                self.assertEqual(r.rc, 0, r)
                self.assertTrue(os.path.isfile(db))
                self.assertEqual(stat.S_IMODE(os.stat(db).st_mode), 0o600)
                for side in (db + '-wal', db + '-shm'):
                    if os.path.exists(side):
                        self.assertEqual(stat.S_IMODE(os.stat(side).st_mode) & 0o077, 0, side)
                self.assertEqual(self.scalar('SELECT COUNT(*) FROM events', db=db), 1)

    def test_default_path_precedence(self):
        path = self.write_lines('a.log', [NOT_MAPPED])
        env = dict(self.env)
        # --db beats $AUTHLOG_DB
        flag_db = os.path.join(self.tmp, 'flag.db')
        self.ok('--db', flag_db, 'import', path)
        self.assertTrue(os.path.exists(flag_db))
        self.assertFalse(os.path.exists(self.db))
        # $AUTHLOG_DB
        self.ok('import', path)
        self.assertTrue(os.path.exists(self.db))
        # $XDG_DATA_HOME/authlog-scan/authlog.db
        del env['AUTHLOG_DB']
        xdg_db = os.path.join(env['XDG_DATA_HOME'], 'authlog-scan', 'authlog.db')
        self.ok('import', path, env=env)
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events', db=xdg_db), 1)
        # ~/.local/share/authlog-scan/authlog.db
        del env['XDG_DATA_HOME']
        home_db = os.path.join(env['HOME'], '.local', 'share', 'authlog-scan', 'authlog.db')
        self.ok('import', path, env=env)
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events', db=home_db), 1)
        self.assertEqual(stat.S_IMODE(os.stat(home_db).st_mode), 0o600)
        # the readers use the same default
        r = self.ok('sql', '--format', 'csv', 'SELECT COUNT(*) AS n FROM events', env=env)
        self.assertEqual(r.out, 'n\r\n1\r\n')

    def test_newer_schema_is_refused(self):
        con = sqlite3.connect(self.db)
        con.execute('CREATE TABLE future(x)')
        con.execute('PRAGMA user_version = 99')
        con.execute('PRAGMA application_id = 1096109139')  # ours (without it, another program's: test_faults.py)
        con.commit()
        con.close()
        with open(self.db, 'rb') as f:
            before = f.read()
        path = self.write_lines('a.log', [NOT_MAPPED])
        r, _ = self.import_(path)
        self.assertEqual(r.rc, EX_DATAERR, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn('99', r.error_lines()[0])
        with open(self.db, 'rb') as f:
            self.assertEqual(f.read(), before, 'a refused database must stay untouched')
        for args in (['sql', 'SELECT 1'], ['report'], ['creator']):
            with self.subTest(args=args):
                r = self.run_cli(*args)
                self.assertEqual(r.rc, EX_DATAERR, r)
                self.assertIn('99', r.err)

    def test_not_an_sqlite_file(self):
        junk = b'this is not a database, just a text file\n' * 200
        self.write('authlog.db', junk)
        path = self.write_lines('a.log', [NOT_MAPPED])
        r, _ = self.import_(path)
        self.assertNotEqual(r.rc, 0, r)
        self.assertEqual(len(r.error_lines()), 1, r)
        self.assertIn(self.db, r.error_lines()[0])
        with open(self.db, 'rb') as f:
            self.assertEqual(f.read(), junk)
        r = self.run_cli('sql', 'SELECT 1')
        self.assertNotEqual(r.rc, 0, r)

    def test_cannot_create_database_is_73(self):
        blocker = self.write('blocker', 'a file where a directory should be')
        path = self.write_lines('a.log', [NOT_MAPPED])
        r, _ = self.import_(path, extra=('--db', os.path.join(blocker, 'sub', 'authlog.db')))
        self.assertEqual(r.rc, EX_CANTCREAT, r)
        self.assertEqual(len(r.error_lines()), 1, r)

    def test_readers_without_database_say_so(self):
        for args in (['sql', 'SELECT 1'], ['report']):
            with self.subTest(args=args):
                r = self.run_cli(*args)
                self.assertEqual(r.rc, EX_NOINPUT, r)
                self.assertIn('import', r.err)
                self.assertFalse(os.path.exists(self.db), 'readers must not create the database')

    def test_locked_database_is_75(self):
        path = self.write_lines('a.log', [NOT_MAPPED])
        self.import_ok(path)
        other = self.write_lines('b.log', [STS_403, GRANT_ADMIN])
        holder = sqlite3.connect(self.db, isolation_level=None, timeout=0)
        try:
            holder.execute('BEGIN EXCLUSIVE')
            t0 = time.monotonic()
            r, _ = self.import_(other, timeout=60)
            elapsed = time.monotonic() - t0
            self.assertEqual(r.rc, EX_TEMPFAIL, r)
            self.assertLess(elapsed, 30, 'gave up only after %.1f s' % elapsed)
            self.assertIn('locked', r.err)
        finally:
            holder.execute('ROLLBACK')
            holder.close()
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events'), 1)
        self.assertEqual(self.import_ok(other), (2, 0, 0))

    def test_kill_9_mid_import_keeps_whole_batches(self):
        n = 120000
        lines = [denial('ARN is not mapped', arn=role('r%d' % (i % 7)),
                        ts='2023-06-13T%02d:%02d:%02dZ' % ((i // 3600) % 24, (i // 60) % 60, i % 60),
                        port=i) for i in range(n)]
        data = ('\n'.join(lines) + '\n').encode()
        proc = subprocess.Popen([BIN, 'import', '-'], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self.env)

        def feed():
            try:
                proc.stdin.write(data)
                proc.stdin.flush()  # and keep stdin open: the import is still "mid-way"
            except (BrokenPipeError, ValueError, OSError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        committed = 0
        deadline = time.monotonic() + 90
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
                if not os.path.exists(self.db):
                    continue
                try:
                    committed = self.scalar('SELECT COUNT(*) FROM events')
                except sqlite3.OperationalError:
                    continue
                if committed:
                    break
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            try:
                proc.stdin.close()
            except OSError:
                pass
            writer.join(5)
        self.assertGreater(committed, 0, 'nothing was committed while the input was still streaming: '
                                         'a kill -9 would lose the whole import')
        self.assertEqual(self.scalar('PRAGMA integrity_check'), 'ok')
        k = self.scalar('SELECT COUNT(*) FROM events')
        if os.environ.get('CLI_DEBUG'):
            print('kill -9: committed %d before the kill, %d after' % (committed, k))
        self.assertGreaterEqual(k, committed)
        stored = sorted(int(r['client'].split(':')[1]) for r in self.query('SELECT client FROM events'))
        self.assertEqual(stored, list(range(k)), 'the rows kept must be exactly the first %d lines' % k)
        path = self.write('all.log', data)
        self.assertEqual(self.import_ok(path, timeout=120), (n - k, k, 0))


class Fixtures(CliTestCase):
    """Every bundled fixture imports cleanly and stores each access record."""
    ACCESS_RE = re.compile(r'msg=(""|\\"|")access (granted|denied)')

    def test_every_fixture_stores_every_access_record(self):
        files = []
        for sub in ('eras', 'wrappers', 'classes', 'noise', 'demo', 'real'):
            files += fixture_files(sub)
        if not files:
            self.skipTest('no fixtures under %s' % FIXTURES)
        for path in files:
            with self.subTest(fixture=os.path.relpath(path, FIXTURES)):
                db = os.path.join(self.tmp, os.path.basename(path) + '.db')
                r, counts = self.import_(path, extra=('--db', db))
                self.assertEqual(r.rc, 0, r)
                self.assertIsNotNone(counts, r)
                with open(path, encoding='utf-8', errors='replace') as f:
                    expected = len(self.ACCESS_RE.findall(f.read()))
                self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE kind = 'access'", db=db), expected)
                self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE ts NOT GLOB "
                                             "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:"
                                             "[0-9][0-9]:[0-9][0-9]Z'", db=db), 0)

    def test_wrapper_fixtures_keep_provenance(self):
        checks = {'get-query-results.json': 'ptr IS NULL OR log_stream = \'\'',
                  'filter-log-events.json': 'ptr IS NULL OR log_stream = \'\'',
                  'insights-export-stream.csv': 'log_stream = \'\'',
                  'stern-prefix.log': 'log_stream = \'\''}
        found = 0
        for name, bad in checks.items():
            path = os.path.join(FIXTURES, 'wrappers', name)
            if not os.path.exists(path):
                continue
            found += 1
            with self.subTest(fixture=name):
                db = os.path.join(self.tmp, name + '.db')
                self.import_ok(path, extra=('--db', db))
                self.assertGreater(self.scalar('SELECT COUNT(*) FROM events', db=db), 0)
                self.assertEqual(self.scalar('SELECT COUNT(*) FROM events WHERE ' + bad, db=db), 0)
        if not found:
            self.skipTest('no wrapper fixtures yet')


if __name__ == '__main__':
    main()
