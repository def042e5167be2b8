"""Shared helpers for the credential-chain tests: a temp HOME with its own
~/.aws files, the project's fake AWS endpoint (tests/fake_aws.py) started
per test, and `authlog-scan whoami` runs whose every output byte is
checked for the secrets the test handed out.

$AUTHLOG_BIN and $AUTHLOG_SOURCE_ROOT come from tests/creds/meson.build.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get('AUTHLOG_SOURCE_ROOT') or os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get('AUTHLOG_BIN') or os.path.join(SOURCE_ROOT, 'build', 'authlog-scan')
FAKE_AWS = os.path.join(SOURCE_ROOT, 'tests', 'fake_aws.py')

EX_OK, EX_USAGE, EX_UNAVAILABLE, EX_NOPERM, EX_CONFIG = 0, 64, 69, 77, 78
SANITIZER_RE = re.compile(r'ERROR: (Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer|runtime error: ')

ACCOUNT = '111122223333'
ELLIPSIS = '\u2026'

# Variables of the caller's environment that would change what the chain sees.
_SCRUB = re.compile(r'^(AWS_|HTTPS?_PROXY$|ALL_PROXY$|NO_PROXY$|http_proxy$|https_proxy$|all_proxy$|no_proxy$|HOME$)')


def masked(akid):
    return akid[:4] + ELLIPSIS + akid[-4:]


def caller_identity(arn, user_id='AROAEXAMPLEEXAMPLE:session'):
    return {'GetCallerIdentityResponse': {
        'GetCallerIdentityResult': {'Arn': arn, 'Account': arn.split(':')[4], 'UserId': user_id},
        'ResponseMetadata': {'RequestId': '01234567-89ab-cdef-0123-456789abcdef'}}}


def sts_credentials(action, akid, secret, token, expiration='2099-01-01T00:00:00Z'):
    return {action + 'Response': {action + 'Result': {
        'Credentials': {'AccessKeyId': akid, 'SecretAccessKey': secret, 'SessionToken': token,
                        'Expiration': expiration},
        'AssumedRoleUser': {'Arn': 'arn:aws:sts::%s:assumed-role/x/y' % ACCOUNT, 'AssumedRoleId': 'AROAX:y'}},
        'ResponseMetadata': {'RequestId': 'r'}}}


def gci_rule(arn, user_id='AROAEXAMPLEEXAMPLE:session'):
    """GetCallerIdentity, only when signed (the fake checks the signature)."""
    return {'match': {'method': 'POST', 'action': 'GetCallerIdentity', 'signed': True},
            'responses': [{'json': caller_identity(arn, user_id)}]}


def free_port():
    """A loopback port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def form(body):
    from urllib.parse import parse_qs
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def header(entry, name):
    for n, v in entry['headers']:
        if n.lower() == name.lower():
            return v
    return None


class FakeAWS:
    """tests/fake_aws.py on 127.0.0.1:<random port> with a script and a log."""

    def __init__(self, tmp, rules, verify=()):
        self.dir = tempfile.mkdtemp(prefix='fake-', dir=tmp)
        self.port_file = os.path.join(self.dir, 'port')
        self.log_path = os.path.join(self.dir, 'log.jsonl')
        script = os.path.join(self.dir, 'script.json')
        with open(script, 'w') as f:
            json.dump(rules, f)
        args = [sys.executable, FAKE_AWS, '--port-file', self.port_file, '--script', script,
                '--log', self.log_path]
        for v in verify:
            args += ['--verify-sigv4', v]
        env = {k: v for k, v in os.environ.items() if not _SCRUB.match(k)}
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        deadline = time.time() + 15
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError('fake_aws.py exited: %s' % self.proc.stderr.read().decode())
            if time.time() > deadline:
                self.stop()
                raise RuntimeError('fake_aws.py did not start')
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
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

    def log(self):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path) as f:
            return [json.loads(l) for l in f if l.strip()]

    def requests(self, action=None, path=None):
        out = []
        for e in self.log():
            if action is not None and form(e['body']).get('Action') != action and \
                    (e['query_params'].get('Action') or [None])[0] != action:
                continue
            if path is not None and e['path'] != path:
                continue
            out.append(e)
        return out


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out_bytes, self.err_bytes = proc.stdout, proc.stderr
        self.out = proc.stdout.decode('utf-8', 'replace')
        self.err = proc.stderr.decode('utf-8', 'replace')

    def __repr__(self):
        return 'Result(rc=%r, stdout=%r, stderr=%r)' % (self.rc, self.out[:3000], self.err[:3000])

    def field(self, label):
        """The value of a whoami 'label   value' line (first match)."""
        for l in self.out.splitlines():
            if l[:12].rstrip() == label:
                return l[13:]
        return None


class CredsTestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='authlog-creds-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.home = os.path.join(self.tmp, 'home')
        os.makedirs(os.path.join(self.home, '.aws'))
        self.config = os.path.join(self.home, '.aws', 'config')
        self.credentials = os.path.join(self.home, '.aws', 'credentials')
        env = {k: v for k, v in os.environ.items() if not _SCRUB.match(k)}
        env.update(HOME=self.home, AWS_CONFIG_FILE=self.config, AWS_SHARED_CREDENTIALS_FILE=self.credentials,
                   AWS_EC2_METADATA_DISABLED='true', LC_ALL='C.UTF-8', NO_PROXY='*')
        self.env = env
        self.secrets = []  # every secret handed out: no output byte may hold one
        self.fakes = []

    def tearDown(self):
        for f in self.fakes:
            f.stop()

    def secret(self, *values):
        self.secrets.extend(values)
        return values[0] if len(values) == 1 else values

    def fake(self, rules, verify=()):
        f = FakeAWS(self.tmp, rules, verify)
        self.fakes.append(f)
        return f

    def write(self, path, text, mode=0o600):
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def files(self, config='', credentials=''):
        self.write(self.config, config)
        self.write(self.credentials, credentials)

    def whoami(self, *args, env=None, verbose=True, timeout=60):
        """Runs whoami (with -v by default) and checks that no secret and
        no sanitizer report shows up anywhere in what it printed."""
        argv = [BIN] + (['-vv'] if verbose else []) + ['whoami'] + list(args)
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=self.env if env is None else env, timeout=timeout, cwd=self.tmp)
        r = Result(proc)
        self.assertNotRegex(r.err, SANITIZER_RE, r)
        for s in self.secrets:
            for name, data in (('stdout', r.out_bytes), ('stderr', r.err_bytes)):
                self.assertNotIn(s.encode(), data, 'secret %r printed on %s: %r' % (s[:6] + '...', name, r))
        return r

    def assert_local_part(self, r, source, akid=None, region='eu-west-1'):
        self.assertEqual(r.field('credentials'), source, r)
        if akid:
            self.assertTrue((r.field('access key') or '').startswith(masked(akid)), r)
            self.assertNotIn(akid, r.out, r)
        self.assertTrue((r.field('region') or '').startswith(region + ' '), r)
        self.assertIsNotNone(r.field('logs'), r)
        self.assertIsNotNone(r.field('sts'), r)


def main():
    unittest.main(verbosity=2)
