"""Shared helpers for the authlog-scan command-line tests.

Each test gets its own temporary directory, database ($AUTHLOG_DB), HOME
and XDG_DATA_HOME, so nothing outside the temp dir is read or written.
The binary and the source tree come from $AUTHLOG_BIN and
$AUTHLOG_SOURCE_ROOT (set by tests/cli/meson.build).
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get('AUTHLOG_SOURCE_ROOT') or os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get('AUTHLOG_BIN') or os.path.join(SOURCE_ROOT, 'build', 'authlog-scan')
FIXTURES = os.path.join(SOURCE_ROOT, 'fixtures')
QUERIES = os.path.join(SOURCE_ROOT, 'queries')

# The public class table (issue 3, README): a stable contract.
CLASSES = [
    'not_mapped', 'arn_userid_mismatch', 'template_no_instance_id', 'ec2_describe_denied',
    'ec2_instance_not_found', 'reserved_username', 'invalid_username', 'mapper_error',
    'invalid_client_token', 'signature_mismatch', 'clock_skew', 'expired_credentials',
    'sts_region_disabled', 'sts_throttled', 'sts_unreachable', 'sts_rejected', 'sts_bad_response',
    'token_expired', 'token_not_iam', 'token_malformed', 'token_wrong_host',
    'token_unsigned_cluster_id', 'token_bad_params', 'unknown',
]

EX_OK, EX_FINDINGS = 0, 1
SANITIZER_RE = re.compile(r'ERROR: (Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer|runtime error: ')
EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_SOFTWARE, EX_CANTCREAT, EX_TEMPFAIL = 64, 65, 66, 70, 73, 75

ACCOUNT = '111122223333'  # documentation account id
ESC = '\x1b['


# ---- authenticator log lines (logrus TextFormatter) ----

_BARE = re.compile(r'^[A-Za-z0-9\-._/@^+]*$')


def go_quote(s):
    """Go %q of a string, as logrus writes values that need quoting."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\t':
            out.append('\\t')
        elif ch == '\r':
            out.append('\\r')
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append('\\x%02x' % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def fmt_value(v):
    v = str(v)
    return v if _BARE.match(v) else go_quote(v)


def log_line(msg, ts='2023-06-13T10:00:00Z', level='info', **fields):
    """One authenticator line: time, level, msg, then fields sorted by name."""
    parts = ['time="%s"' % ts, 'level=%s' % level, 'msg=%s' % go_quote(msg)]
    for k in sorted(fields):
        if fields[k] is None:
            continue
        parts.append('%s=%s' % (k, fmt_value(fields[k])))
    return ' '.join(parts)


def denial(error=None, arn=None, ts='2023-06-13T10:00:00Z', port=40000, **extra):
    f = dict(client='127.0.0.1:%d' % port, method='POST', path='/authenticate')
    if error is not None:
        f['error'] = error
    if arn is not None:
        f['arn'] = arn
    f.update(extra)
    return log_line('access denied', ts=ts, level='warning', **f)


def grant(arn, username, groups='[]', ts='2023-06-13T10:00:00Z', port=50000, uid=None, **extra):
    acct = arn.split(':')[4] if arn else ACCOUNT
    f = dict(arn=arn, client='127.0.0.1:%d' % port, groups=groups, method='POST',
             path='/authenticate', uid=uid or 'aws-iam-authenticator:%s:AROAEXAMPLEEXAMPLE' % acct,
             username=username)
    f.update(extra)
    return log_line('access granted', ts=ts, level='info', **f)


def role(name, account=ACCOUNT):
    return 'arn:aws:iam::%s:role/%s' % (account, name)


def sts_body(code, message):
    return json.dumps({'Error': {'Code': code, 'Message': message, 'Type': 'Sender'},
                       'RequestId': '5e4a0c57-1a7e-4c3e-9d65-3c3f1c0d9a11'}, separators=(',', ':'))


STS_FAIL = 'sts getCallerIdentity failed: '
FORMAT = 'input token was not properly formatted: '

# One representative error text per class (catalog section 4); the
# classes/ fixtures carry more variants.
CLASS_SAMPLES = {
    'not_mapped': 'ARN is not mapped',
    'arn_userid_mismatch': 'mapper DynamicFile Map error: ARN does not match User ID',
    'template_no_instance_id': 'failed mapping username: SessionName did not contain an instance id',
    'ec2_describe_denied': 'mapper EKSConfigMap renderTemplates error: error rendering username template '
                           '"system:node:{{EC2PrivateDNSName}}": failed querying private DNS from EC2 API for '
                           'node i-0abc123def4567890: operation error EC2: DescribeInstances, https response '
                           'error StatusCode: 403, RequestID: 1b2c, api error UnauthorizedOperation: You are '
                           'not authorized to perform this operation. ',
    'ec2_instance_not_found': 'failed mapping username: failed querying private DNS from EC2 API for node '
                              'i-0abc123def4567890: InvalidInstanceID.NotFound: The instance ID '
                              "'i-0abc123def4567890' does not exist\n\tstatus code: 400, request id: 7c1d",
    'reserved_username': "mapper EKSConfigMap Map error: invalid username 'system:ci' for mapper EKSConfigMap: "
                         'username must not begin with with the following prefixes: [system:]',
    'invalid_username': 'failed mapping username: username or group is not a DNS-1123 hostname',
    'mapper_error': 'mapper CRD Map error: Index with name canonicalARN does not exist',
    'invalid_client_token': STS_FAIL + 'error from AWS (expected 200, got 403). Body: ' + sts_body(
        'InvalidClientTokenId', 'The security token included in the request is invalid.'),
    'signature_mismatch': STS_FAIL + 'error from AWS (expected 200, got 403). Body: ' + sts_body(
        'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'),
    'clock_skew': STS_FAIL + 'error from AWS (expected 200, got 403). Body: ' + sts_body(
        'SignatureDoesNotMatch', 'Signature expired: 20230613T100031Z is now earlier than 20230613T100140Z '
        '(20230613T100640Z - 5 min.)'),
    'expired_credentials': STS_FAIL + 'error from AWS (expected 200, got 403). Body: ' + sts_body(
        'ExpiredToken', 'The security token included in the request is expired'),
    'sts_region_disabled': STS_FAIL + 'error from AWS (expected 200, got 403) on ap-east-1 endpoint. Body: ' + sts_body(
        'RegionDisabledException', 'STS is not activated in this region for account:111122223333.'),
    'sts_throttled': 'sts getCallerIdentity was throttled: ' + sts_body('Throttling', 'Rate exceeded'),
    'sts_unreachable': STS_FAIL + 'error during GET: Get "https://sts.eu-west-1.amazonaws.com/?Action='
                       'GetCallerIdentity": dial tcp 10.0.0.1:443: i/o timeout on eu-west-1 endpoint',
    'sts_rejected': STS_FAIL + 'error from AWS (expected 200, got 403)',
    'sts_bad_response': STS_FAIL + "invalid character '<' looking for beginning of value",
    'token_expired': FORMAT + 'X-Amz-Date parameter is expired (15 minute expiration) 2021-11-18 07:11:46 +0000 UTC',
    'token_not_iam': FORMAT + 'token is missing expected "k8s-aws-v1." prefix',
    'token_malformed': FORMAT + 'illegal base64 data at input byte 52',
    'token_wrong_host': FORMAT + 'unexpected hostname "sts.cn-north-1.amazonaws.com.cn" in pre-signed URL',
    'token_unsigned_cluster_id': FORMAT + 'client did not sign the x-k8s-aws-id header in the pre-signed URL',
    'token_bad_params': FORMAT + 'non-whitelisted query parameter "x-id"',
    'unknown': 'the flux capacitor refused the request',
}


# ---- running the binary ----

class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out_bytes = proc.stdout
        self.err_bytes = proc.stderr
        self.out = proc.stdout.decode('utf-8', 'replace')
        self.err = proc.stderr.decode('utf-8', 'replace')

    def __repr__(self):
        return 'Result(rc=%r, stdout=%r, stderr=%r)' % (self.rc, self.out[:2000], self.err[:2000])

    def error_lines(self):
        """The stderr lines that are 'authlog-scan: …' messages."""
        return [l for l in self.err.splitlines() if l.startswith('authlog-scan:')]


class CliTestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='authlog-cli-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.db = os.path.join(self.tmp, 'authlog.db')
        env = {k: v for k, v in os.environ.items()
               if k not in ('NO_COLOR', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AUTHLOG_QUERIES_DIR',
                            'XDG_DATA_HOME', 'AUTHLOG_DB', 'HOME')}
        env['HOME'] = os.path.join(self.tmp, 'home')
        env['XDG_DATA_HOME'] = os.path.join(self.tmp, 'xdg')
        env['AUTHLOG_DB'] = self.db
        env['LC_ALL'] = 'C.UTF-8'
        self.env = env

    # -- process helpers --
    def run_cli(self, *args, input=None, env=None, timeout=60, cwd=None, umask=-1):
        if isinstance(input, str):
            input = input.encode('utf-8')
        proc = subprocess.run([BIN] + [str(a) for a in args], input=input,
                              stdin=None if input is not None else subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env if env is not None else self.env, timeout=timeout,
                              cwd=cwd or self.tmp, umask=umask)
        r = Result(proc)
        # A crash or a sanitizer report is a failure whatever the test expects.
        self.assertGreaterEqual(r.rc, 0, 'killed by signal %d: %r' % (-r.rc, r))
        self.assertNotRegex(r.err, SANITIZER_RE, r)
        return r

    def ok(self, *args, **kw):
        r = self.run_cli(*args, **kw)
        self.assertEqual(r.rc, 0, r)
        return r

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = 'wb' if isinstance(data, bytes) else 'w'
        with open(path, mode, **({} if mode == 'wb' else {'encoding': 'utf-8', 'newline': ''})) as f:
            f.write(data)
        return path

    def write_lines(self, name, lines, eol='\n'):
        return self.write(name, ''.join(l + eol for l in lines))

    def import_(self, *files, extra=(), **kw):
        """import FILE...; returns (result, (imported, duplicate, skipped))."""
        r = self.run_cli(*extra, 'import', *files, **kw)
        return r, self.counts(r)

    def import_ok(self, *files, extra=(), **kw):
        r, counts = self.import_(*files, extra=extra, **kw)
        self.assertEqual(r.rc, 0, r)
        return counts

    def counts(self, r):
        m = re.search(r'^imported (\d+), duplicate (\d+), skipped (\d+)(?: \(.*\))?$', r.err, re.M)
        return tuple(int(x) for x in m.groups()) if m else None

    # -- database helpers (independent of the binary) --
    def query(self, sql, params=(), db=None):
        con = sqlite3.connect('file:%s?mode=ro' % (db or self.db), uri=True)
        try:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute(sql, params)]
        finally:
            con.close()

    def scalar(self, sql, params=(), db=None):
        rows = self.query(sql, params, db)
        return list(rows[0].values())[0]

    def sql_json(self, sql, extra=()):
        r = self.ok(*extra, 'sql', '--format', 'json', sql)
        return json.loads(r.out)

    def report_json(self, *args):
        r = self.ok('report', '--format', 'json', *args)
        return json.loads(r.out)


def fixture(*parts):
    return os.path.join(FIXTURES, *parts)


def fixture_files(subdir, ext=None):
    d = fixture(subdir)
    if not os.path.isdir(d):
        return []
    names = sorted(n for n in os.listdir(d)
                   if os.path.isfile(os.path.join(d, n)) and not n.startswith('.')
                   and not n.endswith(('.py', '.md', '.txt', '.sh')))
    if ext:
        names = [n for n in names if n.endswith(ext)]
    return [os.path.join(d, n) for n in names]


def main():
    unittest.main(verbosity=2)
