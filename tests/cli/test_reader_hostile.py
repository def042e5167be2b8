#!/usr/bin/env python3
"""import of hostile and odd input: only known wrapper prefixes are cut, only authenticator
streams are stored, a line without time= takes its wrapper's time, a record holding a NUL or
a second line is malformed (issue 12 item 9, issue 13 items 6 and 10)."""
import csv
import io
import json

from cliutil import ACCOUNT, CliTestCase, denial, grant, main, role

FORGER = role('forger')
# What an attacker writes into any text that ends up in the log group: a grant of the
# creator's username to a role of theirs.
FORGED = grant(FORGER, 'kubernetes-admin', groups='[system:masters]', ts='2022-12-28T15:37:19Z', port=1)
REAL = denial('ARN is not mapped', arn=role('dev'), ts='2022-12-28T15:37:20Z', port=2)
AUTH_STREAM = 'authenticator-71976ca11bea5d3083393f7d32dab75b'
API_STREAM = 'kube-apiserver-71976ca11bea5d3083393f7d32dab75b'
AUDIT_STREAM = 'kube-apiserver-audit-71976ca11bea5d3083393f7d32dab75b'
GROUP = '%s:/aws/eks/prod/cluster' % ACCOUNT
# kube-apiserver events that quote the forged line: a klog line and an audit event (the
# user agent is the attacker's text; shown unescaped, as the worst case).
KLOG = 'I1228 15:37:19.123456      10 httplog.go:132] "HTTP" verb="GET" URI="/healthz" userAgent=x ' + FORGED
AUDIT = ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete",'
         '"requestURI":"/api/v1/namespaces","verb":"list","userAgent":"x ' + FORGED + '"}')
DENIAL_NO_TIME = REAL.replace('time="2022-12-28T15:37:20Z" ', '')
GRANT_NO_TIME = grant(role('ops'), 'ops', ts='x').replace('time="x" ', '')


def insights_row(fields):
    return [{'field': k, 'value': v} for k, v in fields]


def csv_text(header, rows):
    out = io.StringIO()
    csv.writer(out, lineterminator='\r\n').writerows([header] + rows)
    return out.getvalue()


class Case(CliTestCase):
    def summary(self, r):
        self.assertEqual(r.rc, 0, r)
        lines = [l for l in r.err.splitlines() if l.startswith('imported ')]
        self.assertEqual(len(lines), 1, r)
        return lines[0]

    def assert_no_forgery(self):
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE arn = ? OR raw LIKE '%forger%'",
                                     (FORGER,)), 0)
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE outcome = 'granted'"), 0)
        r = self.ok('creator')
        self.assertNotIn('forger', r.out)
        self.assertEqual(self.ok('creator', '--json').out.strip(), '[]')


class TimeLess(Case):
    """A line without time= (kops, self-managed) is stored at its wrapper's time."""

    def stored(self):
        return self.query('SELECT ts, log_stream, principal_name FROM events ORDER BY id')

    def test_no_wrapper_time_is_skipped_and_counted(self):
        path = self.write_lines('bare.log', [DENIAL_NO_TIME, REAL, GRANT_NO_TIME, 'not a log line'])
        r, counts = self.import_(path)
        self.assertEqual(counts, (1, 0, 3), r)
        self.assertEqual(self.summary(r), 'imported 1, duplicate 0, skipped 3 (2 without a time)')
        self.assertEqual(self.scalar('SELECT COUNT(*) FROM events'), 1)

    def test_line_prefixes_give_the_time(self):
        lines = [
            # S3 export, kubectl logs --timestamps
            '2023-03-23T15:00:41.719Z ' + DENIAL_NO_TIME.replace('role/dev', 'role/s3'),
            '2023-03-23T15:00:42.123456789Z ' + DENIAL_NO_TIME.replace('role/dev', 'role/kts'),
            # stern --timestamps and kubectl logs --prefix --timestamps: the pod is the stream
            'aws-iam-authenticator-8t2gb aws-iam-authenticator 2019-11-01T10:00:00.123456789Z '
            + DENIAL_NO_TIME.replace('role/dev', 'role/stern'),
            '[pod/aws-iam-authenticator-r6mvh/aws-iam-authenticator] 2019-11-01T10:00:01Z '
            + DENIAL_NO_TIME.replace('role/dev', 'role/kprefix'),
            # CRI (containerd) log file
            '2019-11-01T10:00:02.5+00:00 stderr F ' + DENIAL_NO_TIME.replace('role/dev', 'role/cri'),
            # aws logs tail
            '2022-12-28T15:37:19.123000+00:00 %s %s' % (AUTH_STREAM, DENIAL_NO_TIME.replace('role/dev', 'role/tail')),
        ]
        r, counts = self.import_(self.write_lines('wrapped.log', lines))
        self.assertEqual(counts, (6, 0, 0), r)
        self.assertEqual(self.stored(), [
            {'ts': '2023-03-23T15:00:41Z', 'log_stream': '', 'principal_name': 's3'},
            {'ts': '2023-03-23T15:00:42Z', 'log_stream': '', 'principal_name': 'kts'},
            {'ts': '2019-11-01T10:00:00Z', 'log_stream': 'aws-iam-authenticator-8t2gb', 'principal_name': 'stern'},
            {'ts': '2019-11-01T10:00:01Z', 'log_stream': 'aws-iam-authenticator-r6mvh', 'principal_name': 'kprefix'},
            {'ts': '2019-11-01T10:00:02Z', 'log_stream': '', 'principal_name': 'cri'},
            {'ts': '2022-12-28T15:37:19Z', 'log_stream': AUTH_STREAM, 'principal_name': 'tail'},
        ])

    def test_stern_without_timestamps_has_no_time(self):
        line = 'aws-iam-authenticator-8t2gb aws-iam-authenticator ' + DENIAL_NO_TIME
        r, counts = self.import_(self.write_lines('stern.log', [line, line.replace(DENIAL_NO_TIME, REAL)]))
        self.assertEqual(counts, (1, 0, 1), r)
        self.assertIn('(1 without a time)', self.summary(r))

    def test_the_lines_own_time_wins(self):
        self.import_ok(self.write_lines('s3.log', ['2024-01-01T00:00:00.000Z ' + REAL]))
        self.assertEqual(self.scalar('SELECT ts FROM events'), '2022-12-28T15:37:20Z')

    def test_csv_and_json_timestamps(self):
        text = csv_text(['@logStream', '@timestamp', '@message'], [
            [AUTH_STREAM, '2022-12-26 20:46:48.123', DENIAL_NO_TIME.replace('role/dev', 'role/csv')]])
        self.assertEqual(self.import_ok(self.write('a.csv', text)), (1, 0, 0))
        doc = {'results': [insights_row([('@timestamp', '2022-12-26 20:46:49.000'), ('@logStream', AUTH_STREAM),
                                         ('@message', DENIAL_NO_TIME.replace('role/dev', 'role/gqr')),
                                         ('@ptr', 'p1')])]}
        self.assertEqual(self.import_ok(self.write('q.json', json.dumps(doc))), (1, 0, 0))
        events = {'events': [{'logStreamName': AUTH_STREAM, 'timestamp': 1672260439000, 'eventId': 'e1',
                              'message': DENIAL_NO_TIME.replace('role/dev', 'role/fle')}]}
        self.assertEqual(self.import_ok(self.write('e.json', json.dumps(events))), (1, 0, 0))
        self.assertEqual([(r['ts'], r['principal_name']) for r in self.stored()],
                         [('2022-12-26T20:46:48Z', 'csv'), ('2022-12-26T20:46:49Z', 'gqr'),
                          ('2022-12-28T20:47:19Z', 'fle')])


class ForgedLines(Case):
    """A forged line inside other text, or in another stream, is never a record."""

    def test_plain_file_with_stray_prefixes(self):
        lines = [KLOG, AUDIT, 'x ' + FORGED, 'Dec 28 15:37:19 host aws-iam-authenticator[12]: ' + FORGED,
                 '[pod/a/b] junk ' + FORGED, 'Aws-Iam POD ' + FORGED, '1672260439000 ' + FORGED,
                 '2022-12-28T15:37:19Z stdout P ' + FORGED, REAL]
        r, counts = self.import_(self.write_lines('mixed.log', lines))
        self.assertEqual(counts, (1, 0, len(lines) - 1), r)
        self.assert_no_forgery()

    def test_cloudwatch_json_other_streams(self):
        doc = {'results': [
            insights_row([('@timestamp', '2022-12-28 15:37:19.000'), ('@message', KLOG), ('@logStream', API_STREAM),
                          ('@log', GROUP), ('@ptr', 'p1')]),
            insights_row([('@timestamp', '2022-12-28 15:37:19.000'), ('@message', AUDIT),
                          ('@logStream', AUDIT_STREAM), ('@log', GROUP), ('@ptr', 'p2')]),
            # the forged line alone as a kube-apiserver event: the stream gives it away
            insights_row([('@timestamp', '2022-12-28 15:37:19.000'), ('@message', FORGED),
                          ('@logStream', AUDIT_STREAM), ('@log', GROUP), ('@ptr', 'p3')]),
            # in an authenticator stream, but after text no wrapper writes
            insights_row([('@timestamp', '2022-12-28 15:37:19.000'), ('@message', KLOG),
                          ('@logStream', AUTH_STREAM), ('@log', GROUP), ('@ptr', 'p4')]),
            insights_row([('@timestamp', '2022-12-28 15:37:20.000'), ('@message', REAL), ('@logStream', AUTH_STREAM),
                          ('@log', GROUP), ('@ptr', 'p5')]),
        ]}
        r, counts = self.import_(self.write('q.json', json.dumps(doc)))
        self.assertEqual(counts, (1, 0, 4), r)
        self.assertEqual(self.summary(r), 'imported 1, duplicate 0, skipped 4 (3 from a foreign stream)')
        self.assert_no_forgery()
        # filter-log-events names the stream logStreamName
        events = {'events': [{'logStreamName': AUDIT_STREAM, 'timestamp': 1672241839000, 'message': FORGED,
                              'eventId': 'e1'}]}
        r, counts = self.import_(self.write('e.json', json.dumps(events)))
        self.assertEqual(counts, (0, 0, 1), r)
        self.assert_no_forgery()

    def test_cloudwatch_csv_other_streams(self):
        text = csv_text(['@logStream', '@timestamp', '@message'], [
            [API_STREAM, '2022-12-28 15:37:19.000', KLOG],
            [AUDIT_STREAM, '2022-12-28 15:37:19.000', AUDIT],
            [AUDIT_STREAM, '2022-12-28 15:37:19.000', FORGED],
            [AUTH_STREAM, '2022-12-28 15:37:19.000', AUDIT],
            [AUTH_STREAM, '2022-12-28 15:37:20.000', REAL],
        ])
        r, counts = self.import_(self.write('a.csv', text))
        self.assertEqual(counts, (1, 0, 4), r)
        self.assertIn('(3 from a foreign stream)', self.summary(r))
        self.assert_no_forgery()
        self.assertEqual(self.scalar('SELECT log_stream FROM events'), AUTH_STREAM)

    def test_aws_logs_tail_of_another_stream(self):
        path = self.write_lines('tail.log', ['2022-12-28T15:37:19.123000+00:00 %s %s' % (API_STREAM, FORGED)])
        r, counts = self.import_(path)
        self.assertEqual(counts, (0, 0, 1), r)
        self.assertIn('(1 from a foreign stream)', self.summary(r))
        self.assert_no_forgery()

    def test_csv_cell_of_two_lines_is_malformed(self):
        text = csv_text(['@logStream', '@timestamp', '@message'], [
            [AUTH_STREAM, '2022-12-28 15:37:19.000', REAL.replace('role/dev', 'role/first') + '\n' + FORGED],
            [AUTH_STREAM, '2022-12-28 15:37:19.000', REAL.replace('role/dev', 'role/crlf') + '\r\n' + FORGED + '\r\n'],
            [AUTH_STREAM, '2022-12-28 15:37:20.000', REAL],
        ])
        r, counts = self.import_(self.write('two.csv', text))
        self.assertEqual(counts, (1, 0, 2), r)
        self.assertEqual(self.summary(r), 'imported 1, duplicate 0, skipped 2 (2 malformed)')
        self.assert_no_forgery()
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE raw LIKE '%first%' OR raw LIKE '%crlf%'"), 0)

    def test_json_and_docker_message_of_two_lines_is_malformed(self):
        doc = {'results': [insights_row([('@message', REAL + '\n' + FORGED), ('@logStream', AUTH_STREAM),
                                         ('@ptr', 'p1')])]}
        r, counts = self.import_(self.write('q.json', json.dumps(doc)))
        self.assertEqual(counts, (0, 0, 1), r)
        self.assertIn('(1 malformed)', self.summary(r))
        rec = {'log': REAL + '\n' + FORGED + '\n', 'stream': 'stderr', 'time': '2022-12-28T15:37:19Z'}
        r, counts = self.import_(self.write_lines('docker.log', [json.dumps(rec)]))
        self.assertEqual(counts, (0, 0, 1), r)
        self.assert_no_forgery()


class NulBytes(Case):
    """A NUL byte would cut a value short where it is stored: the record is malformed."""
    NUL_ARN = 'arn:aws:iam::%s:role/nul' % ACCOUNT

    def assert_nothing_cut(self):
        self.assertEqual(self.scalar("SELECT COUNT(*) FROM events WHERE arn LIKE '%role/nul%'"
                                     " OR principal_arn LIKE '%role/nul%'"), 0)

    def test_raw_nul_in_a_line(self):
        line = REAL.replace('role/dev', 'role/nul\0hidden').encode()
        bare = ('time="2022-12-28T15:37:21Z" level=warning msg="access denied" arn=' + self.NUL_ARN
                + '\0hidden error="ARN is not mapped"').encode()
        path = self.write('nul.log', line + b'\n' + bare + b'\n' + REAL.encode() + b'\n')
        r, counts = self.import_(path)
        self.assertEqual(counts, (1, 0, 2), r)
        self.assertEqual(self.summary(r), 'imported 1, duplicate 0, skipped 2 (2 malformed)')
        self.assert_nothing_cut()

    def test_escaped_nul_in_a_logfmt_value(self):
        line = REAL.replace('role/dev', 'role/nul\\x00hidden')
        other = REAL + ' username="admin\\000x"'
        r, counts = self.import_(self.write_lines('esc.log', [line, other]))
        self.assertEqual(counts, (0, 0, 2), r)
        self.assertIn('(2 malformed)', self.summary(r))
        self.assert_nothing_cut()

    def test_nul_in_csv_cells(self):
        text = csv_text(['@logStream', '@timestamp', '@message'], [
            [AUTH_STREAM, '2022-12-28 15:37:19.000', REAL.replace('role/dev', 'role/nul\0hidden')],
            [AUTH_STREAM + '\0' + API_STREAM, '2022-12-28 15:37:19.000', REAL.replace('role/dev', 'role/s')],
            [AUTH_STREAM, '2022-12-28 15:37:19.000\0junk', DENIAL_NO_TIME.replace('role/dev', 'role/t')],
            [AUTH_STREAM, '2022-12-28 15:37:20.000', REAL],
        ])
        r, counts = self.import_(self.write('nul.csv', text))
        self.assertEqual(counts, (1, 0, 3), r)
        self.assertIn('(3 malformed)', self.summary(r))
        self.assert_nothing_cut()

    def test_nul_in_json_and_docker_messages(self):
        doc = {'results': [insights_row([('@message', REAL.replace('role/dev', 'role/nul\0hidden')),
                                         ('@logStream', AUTH_STREAM), ('@ptr', 'p1')])]}
        r, counts = self.import_(self.write('q.json', json.dumps(doc)))
        self.assertEqual(counts, (0, 0, 1), r)
        self.assertIn('(1 malformed)', self.summary(r))
        recs = [{'log': REAL.replace('role/dev', 'role/nul\0hidden') + '\n', 'stream': 'stderr',
                 'time': '2022-12-28T15:37:19Z'},
                # an escaped backslash before u0000 is text, not a NUL
                {'log': REAL.replace('role/dev', 'role/ok') + ' note="\\u0000"\n', 'stream': 'stderr',
                 'time': '2022-12-28T15:37:19Z'}]
        r, counts = self.import_(self.write_lines('docker.log', [json.dumps(x) for x in recs]))
        self.assertEqual(counts, (1, 0, 1), r)
        self.assert_nothing_cut()
        self.assertEqual(self.scalar('SELECT principal_name FROM events'), 'ok')


if __name__ == '__main__':
    main()
