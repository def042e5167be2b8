#!/usr/bin/env python3
"""Deterministic generator of realistic EKS authenticator traffic for the
ingest benchmark.

    bench/gen.py --lines N [--seed S] [--format plain|stern|s3] [--nodes K] > FILE

One busy cluster ("bench", us-east-1, account 111122223333) over 24 hours
(--hours), spread over several authenticator-<32hex> log streams
(--streams). Each stream is given a different authenticator era, so one
file holds every field shape the parser must know: 2025 (stsendpoint=),
2023 (no STS field), 2021 (sts=, heptio uid). The mix, by request:

  * worker nodes (--nodes instances, 360 by default, on three node roles, session
    i-0…, username system:node:ip-…): STS response + access granted,
    now and then with "Calling ec2:DescribeInstances" between them;
  * eks:node-manager / eks:addon-manager (AWSWesleyClusterManagerLambda
    roles in the EKS account, session EKSAuthTokenSession);
  * humans: IAM Identity Center roles (session = e-mail), IAM users
    (empty session, AKIA key) and the cluster creator;
  * CI roles (GitHub Actions, GitLab, Argo CD, Terraform);
  * about 3 % denials across every error class: the lines of
    fixtures/classes/*.log used as templates, with other principals,
    request ids, instance ids, times and ports; mapping denials are
    preceded by their STS response line; some carry long STS / EC2
    error bodies (encoded authorization messages, XML bodies);
  * about 3 % noise: TLS handshake errors (http=error), listening /
    restart bursts with mapping lines, aws-auth watch events and config
    errors, kube-apiserver klog lines (not logrus: skipped by import).

Time increases monotonically over the window; client ports are random
ephemeral ports, so lines do not repeat. --format stern prefixes each
line with "<stream> aws-iam-authenticator " (the stream is then stored),
--format s3 with the S3-export RFC 3339 timestamp.

The same --lines/--seed/--format always produce the same bytes.
Speed: lines come from a precomputed pool of templates and are filled in
with str.format in batches (about 1M lines/s in CPython).
"""
import argparse
import base64
import hashlib
import os
import random
import re
import sys
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), 'fixtures')

ACCT = '111122223333'
EKS_ACCT = '444455556666'
REGION = 'us-east-1'
OTHER_ACCTS = ['111122223333', '123456789012', '210987654321', '555566667777']

# --------------------------------------------------------------------------
# logrus TextFormatter (see the catalog, section 2)
SAFE = set('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/@^+')
ESC = {'"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t'}


def val(v):
    if isinstance(v, list):
        v = '[' + ' '.join(v) + ']'
    if v and all(c in SAFE for c in v):
        return v
    if v == '':
        return ''
    return '"' + ''.join(ESC.get(c, c) for c in v) + '"'


# Slots filled per event: {0} logrus time, {1} access key id, {2} client
# port, {3} klog time. Literal braces are doubled by lit().
T, AK, PORT, KT = '\x00T\x00', '\x00AK\x00', '\x00P\x00', '\x00KT\x00'


def lit(s):
    s = s.replace('{', '{{').replace('}', '}}')
    return s.replace(T, '{0}').replace(AK, '{1}').replace(PORT, '{2}').replace(KT, '{3}')


def line(level, msg, **fields):
    parts = ['time="' + T + '"', 'level=' + level, 'msg=' + val(msg)]
    for k in sorted(fields):
        v = fields[k]
        if v is None:
            continue
        if k == 'client':
            parts.append('client="127.0.0.1:' + PORT + '"')
        elif k == 'accesskeyid' and v == AK:
            parts.append('accesskeyid=' + AK)
        else:
            parts.append('%s=%s' % (k, val(v)))
    return ' '.join(parts)


# --------------------------------------------------------------------------
# identifiers, stable per name
def b32(seed, n):
    return base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()[:n]


def hexid(seed, n):
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


class Principal:
    def __init__(self, kind, account, name, username, groups, sessions=('',)):
        self.kind, self.account, self.name = kind, account, name
        self.username, self.groups, self.sessions = username, list(groups), list(sessions)
        self.userid = ('AROA' if kind == 'role' else 'AIDA') + b32(kind + account + name, 17)

    @property
    def arn(self):
        return 'arn:aws:iam::%s:%s/%s' % (self.account, self.kind, self.name)

    def sts_arn(self, session):
        if self.kind == 'user':
            return self.arn
        return 'arn:aws:sts::%s:assumed-role/%s/%s' % (self.account, self.name, session)


ERAS = {
    # uid prefix, STS response endpoint field, access granted endpoint field
    2025: ('aws-iam-authenticator', 'stsendpoint', 'stsendpoint'),
    2023: ('aws-iam-authenticator', None, None),
    2021: ('heptio-authenticator-aws', None, 'sts'),
}
STS_HOST = 'sts.%s.amazonaws.com' % REGION


def sts_response(era, p, session):
    _, sts_field, _ = ERAS[era]
    f = dict(accesskeyid=AK, accountid=p.account, arn=p.sts_arn(session), client=1,
             method='POST', path='/authenticate', session=session, userid=p.userid)
    if sts_field:
        f[sts_field] = STS_HOST
    return line('info', 'STS response', **f)


def granted(era, p, session):
    prefix, _, gfield = ERAS[era]
    username = p.username.replace('{{SessionName}}', session)
    f = dict(arn=p.arn, client=1, groups=p.groups, method='POST', path='/authenticate',
             uid='%s:%s:%s' % (prefix, p.account, p.userid), username=username)
    if gfield:
        f[gfield] = STS_HOST
    return line('info', 'access granted', **f)


# --------------------------------------------------------------------------
def build(rng, n_streams, n_nodes=360):
    """Returns (eras per stream, entries, weights). An entry is a list per
    era of line templates (one request / noise burst)."""
    eras_cycle = [2025, 2023, 2021, 2025]
    stream_eras = [eras_cycle[i % len(eras_cycle)] for i in range(n_streams)]
    era_list = sorted(set(stream_eras))
    entries, weights = [], []

    def add(weight, make):
        entries.append({e: [lit(s) for s in make(e)] for e in era_list})
        weights.append(weight)

    # ---- worker nodes ------------------------------------------------------
    node_roles = [
        Principal('role', ACCT, 'eksctl-bench-nodegroup-ng-1-NodeInstanceRole-1QX7C2M4KD8ZB',
                  '', ['system:bootstrappers', 'system:nodes']),
        Principal('role', ACCT, 'KarpenterNodeRole-bench', '', ['system:bootstrappers', 'system:nodes']),
        Principal('role', ACCT, 'eks-bench-spot-node-role', '', ['system:bootstrappers', 'system:nodes']),
    ]
    for i in range(n_nodes):
        role = node_roles[i % 3]
        iid = 'i-0' + hexid('node%d' % i, 16)
        ip = '10.0.%d.%d' % (rng.randrange(0, 64), rng.randrange(2, 255))
        node = Principal('role', ACCT, role.name, 'system:node:ip-%s.ec2.internal' % ip.replace('.', '-'),
                         role.groups)
        node.userid = role.userid
        add(60.0 / n_nodes, lambda e, n=node, s=iid: [sts_response(e, n, s), granted(e, n, s)])
        # cache miss on the private-DNS cache: a side line inside the request
        add(0.6 / n_nodes, lambda e, n=node, s=iid: [
            sts_response(e, n, s),
            line('info', 'Calling ec2:DescribeInstances for the InstanceId = %s ' % s),
            granted(e, n, s)])

    # ---- EKS-internal principals -------------------------------------------
    node_mgr = Principal('role', EKS_ACCT, 'AWSWesleyClusterManagerLambda-NodeManagerRole-1K7ZQ2XB4M9TN',
                         'eks:node-manager', [])
    addon_mgr = Principal('role', EKS_ACCT, 'AWSWesleyClusterManagerLambda-Add-AddonManagerRole-1F8W3MZQ6HJ2R',
                          'eks:addon-manager', [])
    for p, w in [(node_mgr, 12.0), (addon_mgr, 6.0)]:
        add(w, lambda e, p=p: [sts_response(e, p, 'EKSAuthTokenSession'),
                               granted(e, p, 'EKSAuthTokenSession')])

    # ---- humans --------------------------------------------------------------
    people = ['alice', 'bob', 'carol', 'dmitri', 'eve', 'farah', 'gkan', 'hiro', 'ines', 'jane.doe',
              'kenji', 'lena', 'miguel', 'nora', 'oscar', 'priya', 'quentin', 'rosa', 'sam', 'tariq']
    sso = [
        Principal('role', ACCT, 'AWSReservedSSO_AdministratorAccess_0123abcd4567ef89',
                  'sso-admin:{{SessionName}}', ['system:masters']),
        Principal('role', ACCT, 'AWSReservedSSO_PowerUserAccess_9f8e7d6c5b4a3210',
                  'sso-dev:{{SessionName}}', ['developers']),
        Principal('role', ACCT, 'AWSReservedSSO_ReadOnlyAccess_5a6b7c8d9e0f1a2b',
                  'sso-view:{{SessionName}}', ['viewers']),
    ]
    for i, who in enumerate(people):
        role = sso[i % 3]
        add(8.0 / len(people), lambda e, p=role, s=who + '@example.com': [sts_response(e, p, s), granted(e, p, s)])
    users = [Principal('user', ACCT, 'awscli', 'kubernetes-admin', ['system:masters']),
             Principal('user', ACCT, 'ops-carol', 'ops-carol', ['system:masters']),
             Principal('user', ACCT, 'release-bot', 'release-bot', ['deployers'])]
    for p in users:
        add(2.0 / len(users), lambda e, p=p: [sts_response(e, p, ''), granted(e, p, '')])
    admin = Principal('role', ACCT, 'eks-platform-admin', 'platform-admin:{{SessionName}}', ['system:masters'])
    for who in people[:6]:
        add(1.0 / 6, lambda e, s=who: [sts_response(e, admin, s), granted(e, admin, s)])

    # ---- CI ----------------------------------------------------------------
    ci = [(Principal('role', ACCT, 'github-actions-deploy', 'ci:github-actions', ['deployers']),
           ['GitHubActions']),
          (Principal('role', ACCT, 'gitlab-runner-deploy', 'ci:gitlab', ['deployers']),
           ['gitlab-ci-%d' % (3100000000 + 7919 * k) for k in range(12)]),
          (Principal('role', ACCT, 'argocd-manager', 'argocd', ['system:masters']),
           ['%d' % (1766600000000000000 + 104729 * k) for k in range(8)]),
          (Principal('role', ACCT, 'terraform-ci', 'terraform', ['system:masters']),
           ['terraform-run-%d' % k for k in range(6)])]
    for p, sessions in ci:
        for s in sessions:
            add(7.0 / len(ci) / len(sessions), lambda e, p=p, s=s: [sts_response(e, p, s), granted(e, p, s)])

    # ---- denials from fixtures/classes --------------------------------------
    add_denials(rng, add, era_list)

    # ---- noise ---------------------------------------------------------------
    for _ in range(8):
        add(1.2 / 8, lambda e: [line('info', 'http: TLS handshake error from 127.0.0.1:%s: %s' % (
            PORT, rng.choice(['EOF', 'remote error: tls: bad certificate',
                              'read tcp 127.0.0.1:21362->127.0.0.1:%d: read: connection reset by peer'
                              % rng.randrange(32768, 61000)])), http='error')])
    mappings = [line('info', 'mapping IAM role', groups=[], role=node_mgr.arn, username='eks:node-manager'),
                line('info', 'mapping IAM role', groups=[], role=addon_mgr.arn, username='eks:addon-manager')]
    mappings += [line('info', 'mapping IAM role', groups=r.groups, role=r.arn,
                      username='system:node:{{EC2PrivateDNSName}}') for r in node_roles]
    add(0.01, lambda e: [line('info', 'listening on https://127.0.0.1:21362/authenticate')] + mappings
        + [line('info', 'Received aws-auth watch event')])
    add(0.05, lambda e: [line('info', 'Received aws-auth watch event')])
    yaml_err = "[yaml: line 13: did not find expected key]"
    add(0.02, lambda e: [line('info', 'Received aws-auth watch event'),
                         line('warning', 'Errors parsing configmap: ' + yaml_err),
                         line('error', 'There was an error parsing the config maps.  Only saving data '
                              'that was good, error parsing config map: ' + yaml_err)])
    add(0.05, lambda e: [line('info', 'additional arn comparison for IAM arn. arn from STS response is %s, '
                                      'arn in mapper is %s' % (node_roles[0].arn, node_roles[0].arn))])
    klog = os.path.join(FIXTURES, 'noise', 'kube-apiserver.log')
    kl = []
    if os.path.exists(klog):
        with open(klog, encoding='utf-8') as f:
            for s in f.read().splitlines():
                m = re.match(r'^([IWE])\d{4} \d\d:\d\d:\d\d\.\d{6}(.*)$', s)
                if m:
                    kl.append(m.group(1) + KT + m.group(2))
    if not kl:
        kl = ['E' + KT + '      10 authentication.go:63] "Unable to authenticate the request" '
              'err="[invalid bearer token, webhook: unauthorized]"']
    for s in kl:
        add(1.5 / len(kl), lambda e, s=s: [s])
    return stream_eras, era_list, entries, weights


# Relative weight of each class among denials (sums need not be 1).
CLASS_WEIGHTS = {
    'not_mapped': 30, 'token_expired': 14, 'invalid_client_token': 8, 'expired_credentials': 8,
    'signature_mismatch': 5, 'sts_throttled': 5, 'template_no_instance_id': 5, 'clock_skew': 3,
    'ec2_describe_denied': 3, 'ec2_instance_not_found': 3, 'sts_unreachable': 3, 'token_not_iam': 3,
    'mapper_error': 2, 'arn_userid_mismatch': 2, 'sts_rejected': 2, 'token_wrong_host': 1.5,
    'token_unsigned_cluster_id': 1.5, 'token_bad_params': 1.5, 'token_malformed': 1,
    'sts_region_disabled': 1, 'sts_bad_response': 1, 'reserved_username': 1, 'invalid_username': 0.5,
    'unknown': 0.5,
}
DENIAL_SHARE = 3.4  # percent-ish of requests, against ~100 for the rest

UNMAPPED_ROLES = ['data-science-notebook', 'gitlab-runner-deploy-legacy', 'jenkins-agent', 'crossplane-provider-aws',
                  'AWSReservedSSO_ViewOnlyAccess_05a3c1d2e3f4a5b6', 'AWSReservedSSO_DataEngineer_77aa88bb99cc00dd',
                  'eks-admin-old', 'KarpenterControllerRole-bench', 'fargate-pod-execution-role', 'team-payments-dev',
                  'github_oidc', 'BuildKite-Agent', 'external-dns', 'cluster-autoscaler', 'velero-backup']
UNMAPPED_USERS = ['contractor-lee', 'bob', 'ci-legacy', 'admin-test', 'auditor']
UUID_RE = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
IID_RE = re.compile(r'i-0[0-9a-f]{8,16}')
ARN_RE = re.compile(r'arn="arn:aws:iam::(\d{12}):(role|user)/([^"]+)"')


def uuid(rng):
    h = '%032x' % rng.getrandbits(128)
    return '%s-%s-4%s-%s%s-%s' % (h[:8], h[8:12], h[13:16], '89ab'[int(h[16], 16) % 4], h[17:20], h[20:32])


def long_bodies(rng):
    """Extra templates with long error texts (class, raw line)."""
    out = []
    blob = ''.join(rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') for _ in range(1400))
    for k in range(4):
        msg = ('failed querying private DNS from EC2 API for node i-0%s: UnauthorizedOperation: You are not '
               'authorized to perform this operation. User: arn:aws:sts::%s:assumed-role/eks-bench-cluster-role/'
               'aws-go-sdk-17661%08d is not authorized to perform: ec2:DescribeInstances with an explicit deny in '
               'a service control policy: arn:aws:organizations::999988887777:policy/o-a1b2c3d4e5/'
               'service_control_policy/p-abcd1234. Encoded authorization failure message: %s\n\tstatus code: 403, '
               'request id: %s ' % (hexid('long%d' % k, 16), ACCT, k, blob[k * 50:] + blob[:k * 50], uuid(rng)))
        err = 'mapper EKSConfigMap renderTemplates error: error rendering username template ' \
              '"system:node:{{EC2PrivateDNSName}}": ' + msg
        out.append(('ec2_describe_denied', line('warning', 'access denied',
                                                arn='arn:aws:iam::%s:role/KarpenterNodeRole-bench' % ACCT,
                                                client=1, error=err, method='POST', path='/authenticate')))
    xml = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n    <Type>Sender</Type>\n'
           '    <Code>AccessDenied</Code>\n    <Message>User: arn:aws:sts::%s:assumed-role/%s/%s is not authorized '
           'to perform: sts:GetCallerIdentity with an explicit deny in a service control policy: '
           'arn:aws:organizations::999988887777:policy/o-a1b2c3d4e5/service_control_policy/p-%s</Message>\n'
           '  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n')
    for k, role in enumerate(UNMAPPED_ROLES[:4]):
        body = xml % (ACCT, role, 'session-%d' % k, hexid(role, 8), uuid(rng))
        err = 'sts getCallerIdentity failed: error from AWS (expected 200, got 403) on us-east-1 endpoint. Body: ' + body
        out.append(('sts_rejected', line('warning', 'access denied', client=1, error=err, method='POST',
                                         path='/authenticate')))
    return out


def add_denials(rng, add, era_list):
    cdir = os.path.join(FIXTURES, 'classes')
    by_class = {}
    for fn in sorted(os.listdir(cdir)):
        if fn.endswith('.log'):
            with open(os.path.join(cdir, fn), encoding='utf-8') as f:
                by_class[fn[:-4]] = [s for s in f.read().splitlines() if s.startswith('time="')]
    extra = long_bodies(rng)
    variants = 12
    for cls, lines in sorted(by_class.items()):
        w = CLASS_WEIGHTS.get(cls, 1.0) * DENIAL_SHARE / sum(CLASS_WEIGHTS.values())
        pool = []
        for raw in lines:
            for v in range(variants):
                pool.append(vary(rng, raw, v))
        for c2, raw in extra:
            if c2 == cls:
                for v in range(3):
                    pool.append(vary(rng, raw, v, keep_arn=True))
        for s in pool:
            add(w / len(pool), lambda e, s=s: s)
    return by_class


def vary(rng, raw, v, keep_arn=False):
    """One fixture line as a template: time and port become slots, request
    and instance ids are fresh, the principal may be another; mapping
    denials get the STS response line that precedes them."""
    s = raw.replace('\x00', '')
    s = re.sub(r'^time="[^"]*"', 'time="' + T + '"', s)
    s = re.sub(r'client="127\.0\.0\.1:\d+"', 'client="127.0.0.1:' + PORT + '"', s)
    s = UUID_RE.sub(lambda m: uuid(rng), s)
    s = IID_RE.sub(lambda m: 'i-0' + '%016x' % rng.getrandbits(64), s)
    m = ARN_RE.search(s)
    if not m:
        return [s]
    v01 = 'msg="access denied because' in s  # v0.1/v0.2: no STS response line
    acct, kind, name = m.groups()
    if not keep_arn and v % 3 != 0:
        acct2 = OTHER_ACCTS[v % len(OTHER_ACCTS)]
        name2 = (UNMAPPED_ROLES if kind == 'role' else UNMAPPED_USERS)[v * 7 % (15 if kind == 'role' else 5)]
        s = s.replace('arn:aws:iam::%s:%s/%s' % (acct, kind, name), 'arn:aws:iam::%s:%s/%s' % (acct2, kind, name2))
        s = s.replace('arn:aws:iam::%s:%s/%s' % (acct, kind, name.lower()),
                      'arn:aws:iam::%s:%s/%s' % (acct2, kind, name2.lower()))
        acct, name = acct2, name2
    p = Principal(kind, acct, name, '', [])
    session = '' if kind == 'user' else ['i-0%016x' % rng.getrandbits(64), 'kubectl-%d' % v,
                                         '17661%014d' % rng.getrandbits(40)][v % 3]
    f = dict(accesskeyid=AK, accountid=acct, arn=p.sts_arn(session), client=1, method='POST',
             path='/authenticate', session=session, userid=p.userid)
    return [s] if v01 else [line('info', 'STS response', **f), s]


# --------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--lines', type=int, required=True, help='number of lines to write')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--streams', type=int, default=4, help='authenticator log streams (default 4)')
    ap.add_argument('--start', default='2025-12-24T00:00:00Z', help='first second (UTC)')
    ap.add_argument('--hours', type=float, default=24.0)
    ap.add_argument('--format', choices=['plain', 'stern', 's3'], default='plain')
    ap.add_argument('--nodes', type=int, default=360,
                    help='worker-node instances (default 360); their share of the requests stays 60 %%')
    args = ap.parse_args()

    rng = random.Random(args.seed)
    stream_eras, era_list, entries, weights = build(rng, max(1, args.streams), max(1, args.nodes))
    streams = ['authenticator-' + hexid('stream%d/%d' % (args.seed, i), 32) for i in range(len(stream_eras))]
    prefixes = [s + ' aws-iam-authenticator ' for s in streams] if args.format == 'stern' else None

    start = datetime.strptime(args.start, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc)
    span = max(1, int(args.hours * 3600))
    ts = [(start + timedelta(seconds=k)).strftime('%Y-%m-%dT%H:%M:%SZ') for k in range(span + 1)]
    kts = [(start + timedelta(seconds=k)).strftime('%m%d %H:%M:%S') for k in range(span + 1)]
    ak_pool = ['ASIA' + b32('ak%d/%d' % (args.seed, k), 16) for k in range(4096)]

    cum, acc = [], 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    per_era = [[e[era] for e in entries] for era in era_list]
    era_index = [era_list.index(e) for e in stream_eras]
    idx = list(range(len(entries)))
    klog_entries = {i for i, e in enumerate(entries) if any('{3}' in t for ts_ in e.values() for t in ts_)}
    ports = range(32768, 61000)
    stream_ids = range(len(streams))

    n = args.lines
    out = sys.stdout
    written = 0
    batch = 4096
    while written < n:
        picks = rng.choices(idx, cum_weights=cum, k=batch)
        pts = rng.choices(ports, k=batch)
        sts = rng.choices(stream_ids, k=batch)
        micro = rng.choices(range(1000000), k=batch)
        buf = []
        for j in range(batch):
            sec = written * span // n
            t = ts[sec]
            st = sts[j]
            tmpls = per_era[era_index[st]][picks[j]]
            ak = ak_pool[(picks[j] * 131 + sec // 3600) & 4095]
            kt = '%s.%06d' % (kts[sec], micro[j]) if picks[j] in klog_entries else ''
            p = pts[j]
            if prefixes:
                pre = prefixes[st]
                for tp in tmpls:
                    buf.append(pre + tp.format(t, ak, p, kt))
            elif args.format == 's3':
                pre = t[:-1] + '.%03dZ ' % (micro[j] // 1000)
                for tp in tmpls:
                    buf.append(pre + tp.format(t, ak, p, kt))
            else:
                for tp in tmpls:
                    buf.append(tp.format(t, ak, p, kt))
            written += len(tmpls)
            if written >= n:
                del buf[len(buf) - (written - n):]
                written = n
                break
        out.write('\n'.join(buf))
        out.write('\n')
    out.flush()


if __name__ == '__main__':
    main()
