"""End to end against moto_server (exit 77, skipped, when it is not installed):
create /aws/eks/e2e/cluster with the demo fixture's authenticator streams (and a
kube-apiserver stream), put the events, run `authlog-scan --log-group ...` with
AWS_ENDPOINT_URL and static keys, and check the stored rows and the report.

moto differs from the service (logs-insights-api.md section 7): it ignores
`filter` (everything in the window comes back, kube-apiserver lines included, and
the client must skip what is not an authenticator record), sends @timestamp as
epoch ms, has no statistics, runs queries synchronously and answers StopQuery
with an HTML 500. It also refuses events older than 14 days or more than 2 h
ahead, and (like the service) a window that ends before the group was created,
so the fixture is re-timed into the next hour. Its FilterLogEvents honours
logStreamNamePrefix (test_method_filter_against_moto).
"""
import calendar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

from fetchutil import FetchTestCase, fixture, main

MOTO = shutil.which('moto_server') or ('/root/.pyenv/shims/moto_server'
                                       if os.path.exists('/root/.pyenv/shims/moto_server') else None)
GROUP = '/aws/eks/e2e/cluster'
TIME_RE = re.compile(r'time="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"')


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def retimed_demo(start_s, span_s):
    """fixtures/demo moved into [start_s, start_s + span_s], order and streams kept,
    time="..." rewritten: {stream: [(ts_ms, line)]}."""
    lines = []
    d = fixture('demo')
    for name in sorted(os.listdir(d)):
        if name.endswith('.log'):
            with open(os.path.join(d, name), encoding='utf-8') as f:
                for l in f:
                    t = TIME_RE.search(l)
                    lines.append((t.group(1), name[:-4], l.rstrip('\n')))
    lines.sort(key=lambda x: x[0])
    first = calendar.timegm(time.strptime(lines[0][0], '%Y-%m-%dT%H:%M:%SZ'))
    last = calendar.timegm(time.strptime(lines[-1][0], '%Y-%m-%dT%H:%M:%SZ'))
    out = {}
    for i, (t, stream, line) in enumerate(lines):
        s = calendar.timegm(time.strptime(t, '%Y-%m-%dT%H:%M:%SZ'))
        new = int(start_s + (s - first) * span_s / (last - first))
        iso = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(new))
        out.setdefault(stream, []).append((new * 1000 + i % 1000, TIME_RE.sub('time="%s"' % iso, line, count=1)))
    for evs in out.values():
        evs.sort()
    return out


class Moto(FetchTestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.url = 'http://127.0.0.1:%d' % cls.port
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_') and 'proxy' not in k.lower()}
        cls.logf = open(os.devnull, 'wb')
        cls.proc = subprocess.Popen([MOTO, '-H', '127.0.0.1', '-p', str(cls.port)], stdout=cls.logf,
                                    stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection(('127.0.0.1', cls.port), timeout=0.5):
                    break
            except OSError:
                if cls.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError('moto_server did not start')
                time.sleep(0.1)
        import botocore.session
        c = botocore.session.get_session().create_client(
            'logs', region_name='us-east-1', endpoint_url=cls.url, aws_access_key_id='AKIDMOTO',
            aws_secret_access_key='moto-secret')
        c.create_log_group(logGroupName=GROUP)
        now = int(time.time())
        cls.start = now + 60
        cls.data = retimed_demo(cls.start, 3000)
        cls.data['kube-apiserver-0123456789abcdef'] = [
            ((cls.start + 10 * i) * 1000, 'I1124 00:00:00.000000 1 httplog.go:132] "HTTP" verb="GET" '
             'URI="/healthz" resp=200 n=%d' % i) for i in range(50)]
        for stream, evs in cls.data.items():
            c.create_log_stream(logGroupName=GROUP, logStreamName=stream)
            for i in range(0, len(evs), 500):
                c.put_log_events(logGroupName=GROUP, logStreamName=stream,
                                 logEvents=[{'timestamp': ts, 'message': m} for ts, m in evs[i:i + 500]])
        cls.since = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now - 60))
        cls.until = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(cls.start + 3600))

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.terminate()
            try:
                cls.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()
        cls.logf.close()

    def setUp(self):
        super().setUp()
        self.env.update({'AWS_ENDPOINT_URL': self.url, 'AWS_ACCESS_KEY_ID': 'AKIDMOTO',
                         'AWS_SECRET_ACCESS_KEY': 'moto-secret', 'AWS_REGION': 'us-east-1'})

    def expected(self):
        """What `import` stores from the same events (as get-query-results JSON, each
        with its own @ptr, so that identical lines stay apart as they do in the
        service): the rows the fetch must store."""
        results = []
        for stream, evs in self.data.items():
            for i, (_, m) in enumerate(evs):
                results.append([{'field': '@message', 'value': m}, {'field': '@logStream', 'value': stream},
                                {'field': '@ptr', 'value': '%s/%d' % (stream, i)}])
        path = self.write('same.json', json.dumps({'results': results, 'status': 'Complete'}))
        other = os.path.join(self.tmp, 'imported.db')
        r = self.run_cli('import', '--log-group', GROUP, path, env=dict(self.env, AUTHLOG_DB=other))
        self.assertEqual(r.rc, 0, r)
        cols = 'ts, log_group, log_stream, cluster, kind, outcome, arn, error_class, principal_arn, raw'
        return self.query('SELECT %s FROM events ORDER BY raw, log_stream' % cols, db=other), cols

    def test_scan_against_moto(self):
        r = self.run_cli('--log-group', GROUP, '--since', self.since, '--until', self.until, '--format', 'json',
                         timeout=180)
        self.assertEqual(r.rc, 0, r)
        report = json.loads(r.out)
        want, cols = self.expected()
        got = self.query('SELECT %s FROM events ORDER BY raw, log_stream' % cols)
        self.assertEqual(len(got), len(want))
        self.assertEqual(got, want)
        self.assertEqual(self.scalar('SELECT COUNT(DISTINCT ptr) FROM events'), len(want))
        # moto ignores the filters: the kube-apiserver lines came back and were skipped
        run = self.runs()[0]
        self.assertEqual(run['status'], 'complete')
        self.assertGreaterEqual(run['skipped'], 50)
        self.assertEqual(run['bytes_scanned'], 0)  # no statistics from moto
        self.assertEqual(report['totals']['denied'], 94)
        self.assertEqual(report['scans'][0]['rows'], len(want))
        self.assertIn('not_mapped', [c['class'] for c in report['denials_by_class']])
        self.assertEqual({f['cluster'] for f in report['findings']}, {'e2e'})
        # again: everything is already stored
        r = self.run_cli('scan', '--log-group', GROUP, '--since-last-run', '--until', self.until, '-q',
                         timeout=180)
        self.assertEqual((r.rc, r.out, r.err), (0, '', ''))
        self.assertEqual(self.event_count(), len(want))

    def test_method_filter_against_moto(self):
        # FilterLogEvents with logStreamNamePrefix=authenticator (moto honours the prefix):
        # the same rows as the query, none of the kube-apiserver lines asked for
        db = os.path.join(self.tmp, 'filter.db')
        r = self.run_cli('scan', '--log-group', GROUP, '--since', self.since, '--until', self.until, '--no-report',
                         '--method', 'filter', '--db', db, timeout=180)
        self.assertEqual(r.rc, 0, r)
        want, cols = self.expected()
        got = self.query('SELECT %s FROM events ORDER BY raw, log_stream' % cols, db=db)
        self.assertEqual(got, want)
        self.assertFalse(any('kube-apiserver' in row['log_stream'] for row in got))
        self.assertEqual(self.query('SELECT status, queries, bytes_scanned FROM scan_runs', db=db),
                         [{'status': 'complete', 'queries': 0, 'bytes_scanned': 0}])
        # then Logs Insights over the same window: every row is already stored
        r = self.run_cli('scan', '--log-group', GROUP, '--since', self.since, '--until', self.until, '--no-report',
                         '--method', 'insights', '--db', db, timeout=180)
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.err, r': 0 new rows, ')
        self.assertEqual(self.event_count(db=db), len(want))


if __name__ == '__main__':
    if not MOTO:
        print('SKIP: moto_server is not installed')
        sys.exit(77)
    try:
        import botocore.session  # noqa: F401
    except ImportError:
        print('SKIP: botocore is not importable (needed to seed moto)')
        sys.exit(77)
    main()
