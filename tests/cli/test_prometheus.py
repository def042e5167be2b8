#!/usr/bin/env python3
"""report --format prometheus: parsed here by a strict reader of the text
exposition format (version 0.0.4: HELP/TYPE once per family and before its
samples, a family's samples together, names and label names by the
grammar, only the three label value escapes, one sample per label set,
the file ends with a newline), names by the Prometheus conventions, and
every value equal to what the database says. report --format lines and
examples/post-findings.sh posting it to a local webhook."""
import http.server
import json
import os
import re
import shlex
import sqlite3
import subprocess
import threading
import time

from cliutil import SOURCE_ROOT, BIN, CliTestCase, denial, fixture_files, main, role

METRIC_RE = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL_RE = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
VALUE_RE = re.compile(r'[+-]?(?:\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN)$')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


class ExpositionError(AssertionError):
    pass


def parse_exposition(text):
    """{family: {'type', 'help', 'samples': {labels-tuple: float}}}, or raises."""
    if not text.endswith('\n'):
        raise ExpositionError('does not end with a newline')
    families, done, current = {}, set(), None

    def family(name):
        fam = families.setdefault(name, {'type': None, 'help': None, 'samples': {}})
        return fam

    for n, line in enumerate(text[:-1].split('\n'), 1):
        where = 'line %d: %r' % (n, line)
        if line == '':
            raise ExpositionError('%s: empty line' % where)
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                name = parts[2]
                if not METRIC_RE.fullmatch(name):
                    raise ExpositionError('%s: bad metric name' % where)
                if name in done or (current and current != name and families.get(name, {}).get('samples')):
                    raise ExpositionError('%s: family %s not together' % (where, name))
                if current != name and current is not None:
                    done.add(current)
                current = name
                fam = family(name)
                key = parts[1].lower()
                if fam[key] is not None:
                    raise ExpositionError('%s: second %s' % (where, parts[1]))
                if parts[1] == 'TYPE':
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise ExpositionError('%s: bad type' % where)
                    if fam['samples']:
                        raise ExpositionError('%s: TYPE after samples' % where)
                    fam['type'] = parts[3]
                else:
                    help_text = parts[3] if len(parts) == 4 else ''
                    if re.search(r'\\[^\\n]', help_text):
                        raise ExpositionError('%s: bad escape in HELP' % where)
                    fam['help'] = help_text
            continue
        m = METRIC_RE.match(line)
        if not m:
            raise ExpositionError('%s: no metric name' % where)
        name, i = m.group(0), m.end()
        labels = []
        if i < len(line) and line[i] == '{':
            i += 1
            while line[i] != '}':
                lm = LABEL_RE.match(line, i)
                if not lm or line[lm.end():lm.end() + 2] != '="':
                    raise ExpositionError('%s: bad label at %d' % (where, i))
                lname = lm.group(0)
                if lname.startswith('__'):
                    raise ExpositionError('%s: reserved label name' % where)
                i = lm.end() + 2
                value = []
                while line[i] != '"':
                    if line[i] == '\\':
                        esc = line[i + 1]
                        if esc not in '\\"n':
                            raise ExpositionError('%s: bad escape \\%s' % (where, esc))
                        value.append('\n' if esc == 'n' else esc)
                        i += 2
                    else:
                        value.append(line[i])
                        i += 1
                i += 1
                if lname in dict(labels):
                    raise ExpositionError('%s: label %s twice' % (where, lname))
                labels.append((lname, ''.join(value)))
                if line[i] == ',':
                    i += 1
                elif line[i] != '}':
                    raise ExpositionError('%s: expected , or }' % where)
            i += 1
        if line[i:i + 1] != ' ':
            raise ExpositionError('%s: no space before the value' % where)
        fields = line[i + 1:].split(' ')
        if len(fields) not in (1, 2) or not VALUE_RE.match(fields[0]):
            raise ExpositionError('%s: bad value' % where)
        if len(fields) == 2 and not re.fullmatch(r'-?\d+', fields[1]):
            raise ExpositionError('%s: bad timestamp' % where)
        if name in done or (current != name):
            raise ExpositionError('%s: sample of %s outside its family (HELP/TYPE first, together)'
                                  % (where, name))
        fam = family(name)
        key = tuple(sorted(labels))
        if key in fam['samples']:
            raise ExpositionError('%s: same label set twice' % where)
        fam['samples'][key] = float(fields[0])
    return families


HOSTILE = 'we"ird\\name\nnext'


class Prometheus(CliTestCase):
    def setUp(self):
        super().setUp()
        self.import_ok('--cluster', 'lab', *fixture_files('classes'))
        self.import_ok('--log-group', '/aws/eks/prod/cluster', *fixture_files('demo', '.log'))
        con = sqlite3.connect(self.db)
        with con:
            for name, region, off in (('prod', 'eu-west-1', 0), ('lab', 'us-east-1', 1), (HOSTILE, 'ap-south-1', 1),
                                      ('unchecked', 'us-east-2', None)):
                con.execute("INSERT INTO clusters(name, region, log_group, logging_off, source, updated_at)"
                            " VALUES (?, ?, ?, ?, 'scan', '2026-01-01T00:00:00Z')",
                            (name, region, '/aws/eks/%s/cluster' % name, off))
            imp = con.execute('SELECT MAX(id) FROM imports').fetchone()[0]
            runs = (('/aws/eks/prod/cluster', '2026-01-01T00:00:00Z', 'complete', 1000.0),
                    ('/aws/eks/prod/cluster', '2026-01-02T00:00:00Z', 'complete', 2500.0),
                    ('/aws/eks/prod/cluster', '2026-01-03T00:00:00Z', 'failed', 7.0),
                    ('/aws/eks/lab/cluster', '2026-01-02T12:00:00Z', 'complete', 30.0))
            for group, fin, status, nbytes in runs:
                con.execute("INSERT INTO scan_runs(log_group, query, window_start, window_end, started, finished,"
                            " status, bytes_scanned, import_id) VALUES (?, 'scan', '2020-01-01T00:00:00Z', ?, ?, ?, ?,"
                            " ?, ?)", (group, fin, fin, fin, status, nbytes, imp))
        con.close()

    def metrics(self, *args):
        r = self.ok('report', '--format', 'prometheus', *args)
        fams = parse_exposition(r.out)
        for name, fam in fams.items():
            self.assertTrue(name.startswith('authlog_scan_'), name)
            self.assertIsNotNone(fam['type'], name)
            self.assertIsNotNone(fam['help'], name)
            self.assertEqual(name.endswith('_total'), fam['type'] == 'counter', name)
        return fams

    def test_parses_and_matches_the_database(self):
        fams = self.metrics()
        self.assertEqual(set(fams), {
            'authlog_scan_denials', 'authlog_scan_new_findings', 'authlog_scan_authenticator_logging_enabled',
            'authlog_scan_last_complete_scan_timestamp_seconds', 'authlog_scan_last_complete_scan_age_seconds',
            'authlog_scan_scanned_bytes'})
        want = {(('class', r['c']), ('cluster', r['k'])): float(r['n']) for r in self.query(
            "SELECT error_class AS c, IFNULL(cluster, '') AS k, COUNT(*) AS n FROM events"
            " WHERE outcome = 'denied' GROUP BY 1, 2")}
        self.assertEqual(fams['authlog_scan_denials']['samples'], want)
        self.assertEqual(fams['authlog_scan_authenticator_logging_enabled']['samples'], {
            (('cluster', 'lab'), ('region', 'us-east-1')): 0.0,
            (('cluster', 'prod'), ('region', 'eu-west-1')): 1.0,
            (('cluster', HOSTILE), ('region', 'ap-south-1')): 0.0})
        ts = fams['authlog_scan_last_complete_scan_timestamp_seconds']['samples']
        self.assertEqual(ts, {
            (('cluster', 'prod'), ('log_group', '/aws/eks/prod/cluster')): 1767312000.0,
            (('cluster', 'lab'), ('log_group', '/aws/eks/lab/cluster')): 1767355200.0})
        age = fams['authlog_scan_last_complete_scan_age_seconds']['samples']
        now = time.time()
        self.assertEqual(set(age), set(ts))
        for k in ts:
            self.assertLessEqual(abs(age[k] - (now - ts[k])), 30, k)
        self.assertEqual(fams['authlog_scan_scanned_bytes']['samples'], {
            (('cluster', 'prod'), ('log_group', '/aws/eks/prod/cluster')): 3507.0,
            (('cluster', 'lab'), ('log_group', '/aws/eks/lab/cluster')): 30.0})
        # news: what report --new lists, per cluster; every known cluster has a sample
        news = fams['authlog_scan_new_findings']['samples']
        self.assertEqual(set(dict(k)['cluster'] for k in news), {'lab', 'prod', HOSTILE, 'unchecked'})
        fresh = self.report_json('--new', '--top', '1000')['findings']
        for k, v in news.items():
            self.assertEqual(v, sum(1 for f in fresh if f['cluster'] == dict(k)['cluster']), k)
        self.assertGreater(sum(news.values()), 0)

    def test_window_and_cluster(self):
        fams = self.metrics('--cluster', 'prod', '--since', '2000-01-01T00:00:00Z', '--until', '2026-01-02T06:00:00Z')
        clusters = {dict(k)['cluster'] for f in fams.values() for k in f['samples']}
        self.assertEqual(clusters, {'prod'})
        # the scans whose window overlaps: the run ending 2026-01-03 started its window in 2020 too
        self.assertEqual(fams['authlog_scan_scanned_bytes']['samples'],
                         {(('cluster', 'prod'), ('log_group', '/aws/eks/prod/cluster')): 3507.0})

    def test_parser_refuses_what_the_format_forbids(self):
        ok = '# HELP a_b x\n# TYPE a_b gauge\na_b{l="v"} 1\n'
        parse_exposition(ok)
        for bad in (ok[:-1], ok + 'a_b{l="v"} 2\n', ok.replace('"v"', '"\\t"'), ok + '# TYPE a_b gauge\n',
                    ok.replace('a_b{', '1a{'), ok + '# HELP c x\n# TYPE c gauge\nc 1\na_b 3\n',
                    'a_b 1\n# TYPE a_b gauge\n', ok.replace('} 1', '} one')):
            with self.subTest(bad=bad):
                with self.assertRaises(ExpositionError):
                    parse_exposition(bad)


class Lines(CliTestCase):
    def setUp(self):
        super().setUp()
        self.import_ok('--cluster', 'lab', *fixture_files('classes'))
        self.import_ok('--cluster', 'prod', self.write_lines('new.log', [
            denial(error='ARN is not mapped: arn:aws:iam::111122223333:role/ci-deploy',
                   arn='arn:aws:iam::111122223333:role/ci-deploy', ts='2024-05-01T10:00:00Z'),
            denial(error='ARN is not mapped: arn:aws:iam::111122223333:role/ci-deploy',
                   arn='arn:aws:iam::111122223333:role/ci-deploy', ts='2024-05-01T10:00:05Z', port=40001),
        ]))

    def test_one_line_per_new_finding(self):
        r = self.ok('report', '--format', 'lines')
        fresh = self.report_json('--new', '--top', '1000')['findings']
        lines = r.out.splitlines()
        self.assertEqual(len(lines), len(fresh))
        self.assertEqual(len(lines), 1)
        for line, f in zip(lines, fresh):
            cluster, cls, principal, count, fix = line.split(' ', 4)
            self.assertEqual(shlex.split(cluster), [f['cluster'] or '-'])
            self.assertEqual((cls, principal), (f['class'], f['principal'] or '-'))
            self.assertEqual(int(count), f['denials'])
            self.assertEqual(fix, f['fix'][0])
            self.assertGreater(len(shlex.split(fix)), 1)
        self.assertEqual(lines[0].split(' ', 3)[:3],
                         ['prod', 'not_mapped', 'arn:aws:iam::111122223333:role/ci-deploy'])

    def test_hostile_cluster_names_stay_one_field(self):
        line = denial(error='ARN is not mapped: arn:aws:iam::111122223333:role/x',
                      arn='arn:aws:iam::111122223333:role/x', ts='2024-05-02T10:00:00Z')
        self.import_ok('--cluster', 'we ird$(x)', self.write_lines('a.log', [line]))
        out = self.ok('report', '--format', 'lines').out
        self.assertEqual(out.split(' ', 3)[:3], ["'we", "ird$(x)'", 'not_mapped'])
        self.assertEqual(shlex.split(out)[:3], ['we ird$(x)', 'not_mapped', 'arn:aws:iam::111122223333:role/x'])
        self.import_ok('--cluster', 'tab\tand space', self.write_lines('b.log', [line.replace('10:00', '11:00')]))
        out = self.ok('report', '--format', 'lines').out
        self.assertTrue(out.startswith('tab\\x09and\\x20space not_mapped '), out)
        self.assertEqual(out.count('\n'), 1)

    def test_webhook_example(self):
        got = []

        class Hook(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                got.append((self.headers['Content-Type'],
                            self.rfile.read(int(self.headers['Content-Length']))))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'ok')

            def log_message(self, *a):
                pass

        srv = http.server.HTTPServer(('127.0.0.1', 0), Hook)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        env = dict(self.env, AUTHLOG_WEBHOOK_URL='http://127.0.0.1:%d/hook' % srv.server_port, AUTHLOG_SCAN=BIN)
        script = os.path.join(SOURCE_ROOT, 'examples', 'post-findings.sh')
        p = subprocess.run(['sh', script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0][0], 'application/json')
        text = json.loads(got[0][1])['text']
        self.assertIn(self.ok('report', '--format', 'lines').out, text)
        # nothing new (a run that stored nothing): nothing posted
        self.import_ok(self.write_lines('empty.log', []))
        p = subprocess.run(['sh', script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(got), 1)


if __name__ == '__main__':
    main()
