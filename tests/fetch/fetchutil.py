"""Helpers for the fetcher tests: the CLI test case of tests/cli plus a running
tests/fake_logs.py (the Logs Insights simulation) and an environment that points
authlog-scan at it with static keys. Nothing here reaches real AWS: every endpoint
is 127.0.0.1 and the instance metadata service is disabled.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'cli'))

from cliutil import (BIN, FIXTURES, SANITIZER_RE, SOURCE_ROOT, CliTestCase, Result,  # noqa: E402,F401
                     fixture, main)

FAKE_LOGS = os.path.join(SOURCE_ROOT, 'tests', 'fake_logs.py')
GROUP = '/aws/eks/demo/cluster'
AKID, SECRET = 'AKIDFETCHTEST', 'fetch/test+secret'
EX_UNAVAILABLE, EX_TEMPFAIL, EX_NOPERM, EX_CONFIG, EX_USAGE = 69, 75, 77, 78, 64

# The demo fixtures' day, and the records in them the scan query keeps
DEMO_SINCE, DEMO_UNTIL = '2022-12-28T00:00:00Z', '2022-12-29T00:00:00Z'


class FakeLogs:
    """tests/fake_logs.py in a subprocess; stop() or the test's cleanup ends it."""

    def __init__(self, tmp, *args, name='fake'):
        self.dir = tmp
        self.port_file = os.path.join(tmp, name + '.port')
        self.log = os.path.join(tmp, name + '.log')
        for p in (self.port_file, self.log):
            if os.path.exists(p):
                os.unlink(p)
        self.proc = subprocess.Popen(
            [sys.executable, FAKE_LOGS, '--port-file', self.port_file, '--log', self.log]
            + [str(a) for a in args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError('fake_logs.py exited: %s' % self.proc.stderr.read().decode())
            if time.time() > deadline:
                raise RuntimeError('fake_logs.py did not start')
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.url = 'http://127.0.0.1:%d' % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()

    def state(self):
        with urllib.request.urlopen(self.url + '/_fake/state', timeout=10) as r:
            return json.load(r)

    def add_events(self, events):
        req = urllib.request.Request(self.url + '/_fake/events', data=json.dumps(events).encode(),
                                     method='POST')
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()

    def entries(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding='utf-8') as f:
            return [json.loads(l) for l in f if l.strip()]

    def calls(self, op=None):
        return [e for e in self.entries() if op is None or e.get('op') == op]

    def call_unsigned(self, op, body):
        """One request to the fake without a signature (it accepts those unless
        --verify-sigv4 is given): for exporting what a query returns."""
        req = urllib.request.Request(self.url + '/', data=json.dumps(body).encode(), method='POST',
                                     headers={'X-Amz-Target': 'Logs_20140328.' + op,
                                              'Content-Type': 'application/x-amz-json-1.1'})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.load(r)


class FetchTestCase(CliTestCase):
    time_scale = '0.01'

    def setUp(self):
        super().setUp()
        os.makedirs(self.env['HOME'], exist_ok=True)
        for k in list(self.env):
            if k.startswith('AWS_') or 'proxy' in k.lower():
                del self.env[k]
        self.env['NO_PROXY'] = '127.0.0.1,localhost'
        self.env.update({
            'AWS_ACCESS_KEY_ID': AKID,
            'AWS_SECRET_ACCESS_KEY': SECRET,
            'AWS_REGION': 'eu-west-1',
            'AWS_EC2_METADATA_DISABLED': 'true',
            'AWS_CONFIG_FILE': os.path.join(self.tmp, 'no-aws-config'),
            'AWS_SHARED_CREDENTIALS_FILE': os.path.join(self.tmp, 'no-aws-credentials'),
            'AUTHLOG_SCAN_TIME_SCALE': self.time_scale,
            'ASAN_OPTIONS': os.environ.get('ASAN_OPTIONS', 'detect_leaks=1'),
        })
        self.fakes = []

    def tearDown(self):
        for f in self.fakes:
            f.stop()
        super().tearDown()

    def fake(self, *args, name='fake'):
        f = FakeLogs(self.tmp, *args, name=name)
        self.fakes.append(f)
        self.env['AWS_ENDPOINT_URL'] = f.url
        return f

    def scan(self, *args, timeout=180, **kw):
        return self.run_cli('scan', *args, timeout=timeout, **kw)

    def scan_ok(self, *args, **kw):
        r = self.scan(*args, **kw)
        self.assertEqual(r.rc, 0, r)
        return r

    def start_scan(self, *args):
        """scan in the background (for signals and lock contention)."""
        return subprocess.Popen([BIN, 'scan'] + [str(a) for a in args], env=self.env, cwd=self.tmp,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def finish(self, proc, timeout=120):
        out, err = proc.communicate(timeout=timeout)

        class P:
            pass
        p = P()
        p.returncode, p.stdout, p.stderr = proc.returncode, out, err
        r = Result(p)
        self.assertNotRegex(r.err, SANITIZER_RE, r)
        return r

    # -- what the database holds --
    def event_count(self, db=None):
        return self.scalar('SELECT COUNT(*) FROM events', db=db)

    def assert_exactly_once(self, expected, db=None):
        """expected rows, each @ptr once, nothing twice."""
        rows = self.query('SELECT COUNT(*) AS n, COUNT(DISTINCT ptr) AS ptrs, COUNT(DISTINCT dedupe_key) AS keys,'
                          ' SUM(ptr IS NULL) AS no_ptr FROM events', db=db)[0]
        self.assertEqual(rows['no_ptr'], 0, rows)
        self.assertEqual(rows['ptrs'], rows['n'], rows)
        self.assertEqual(rows['keys'], rows['n'], rows)
        self.assertEqual(rows['n'], expected, rows)

    def integrity(self, db=None):
        self.assertEqual(self.scalar('PRAGMA integrity_check', db=db), 'ok')

    def runs(self, db=None):
        return self.query('SELECT * FROM scan_runs ORDER BY id', db=db)

    def windows(self, db=None):
        return self.query('SELECT * FROM scan_windows ORDER BY start, id', db=db)


def demo_records():
    """The lines of fixtures/demo the scan query matches (what must be stored)."""
    import re
    pat = re.compile(r'msg="access (granted|denied)|msg="STS response"|Errors parsing|error parsing the config maps'
                     r'|msg="mapping IAM')
    n = 0
    d = os.path.join(FIXTURES, 'demo')
    for name in os.listdir(d):
        if name.endswith('.log'):
            with open(os.path.join(d, name), encoding='utf-8') as f:
                n += sum(1 for l in f if pat.search(l))
    return n
