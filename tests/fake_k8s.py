#!/usr/bin/env python3
"""fake_k8s.py: a fake Amazon EKS Kubernetes API server with its AWS IAM
Authenticator (Python 3 stdlib; botocore to check the token's signature; the
openssl CLI to make the test CA).

usage:
  python3 tests/fake_k8s.py --port-file PATH --data FILE --cluster NAME --tls-dir DIR
                            [--log FILE] [--events-out FILE] [--logs-url URL]
  python3 tests/fake_k8s.py --make-certs DIR
  python3 tests/fake_k8s.py --self-test

It binds 127.0.0.1:0 over HTTPS (DIR/server.pem, DIR/server.key: --make-certs DIR
writes them with DIR/ca.pem, a CA made for the test, the server certificate for
IP 127.0.0.1 and DNS localhost), writes the port to PATH and answers:

  POST /apis/authentication.k8s.io/{v1,v1beta1}/selfsubjectreviews
        201 {"kind": "SelfSubjectReview", "status": {"userInfo": {username, uid, groups
        (with system:authenticated), extra {arn, canonicalArn, sessionName, accessKeyId}}}}
        for an accepted token, 401 Status "Unauthorized" for any other; the versions the
        cluster's "review_versions" lists (default ["v1"]; ["v1beta1"] is Kubernetes
        1.27), 404 for the others
  GET  /api/v1/namespaces/kube-system/configmaps/aws-auth
        200 the ConfigMap built from the cluster's "aws_auth" (404 without one) when the
        identity may read it: groups holding system:masters, or an access entry with an
        AmazonEKS{ClusterAdmin,Admin,Edit,View}Policy for the cluster or kube-system;
        403 Status Forbidden otherwise; 401 for a refused token
  anything else: 404 Status NotFound (401 first when the token is refused)

The token is checked the way aws-iam-authenticator's pkg/token Verify does
(https://github.com/kubernetes-sigs/aws-iam-authenticator, v0.7): at most 4096 bytes,
prefix k8s-aws-v1., base64url without padding, scheme https, host sts.amazonaws.com or
sts.REGION.amazonaws.com[.cn] (the data's "sts_endpoints", a list of
"scheme://host[:port]", replaces both checks, for a token made against a local STS),
path /, only the whitelisted parameters, each once, Action=GetCallerIdentity,
x-k8s-aws-id in X-Amz-SignedHeaders, X-Amz-Expires 0..900, X-Amz-Date present and
not older than 15 minutes.  Then, where the authenticator asks STS, this fake checks
the query signature with botocore, replaying the header x-k8s-aws-id: CLUSTER (the
server's own name, as the authenticator does: a token for another cluster fails with
SignatureDoesNotMatch), against the data's "identities": an unknown key or session
token is InvalidClientTokenId.

The identity is then mapped by the cluster's authenticationMode as the authenticator's
mappers do: API: access entries (DynamicFile); CONFIG_MAP (or none): aws-auth
(EKSConfigMap); API_AND_CONFIG_MAP: access entries first.  The STS ARN is made
canonical (assumed-role/NAME/SESSION -> role/NAME); aws-auth matches rolearn, then
userarn, exactly but for case (an ARN with a path never matches a role), the last of
duplicates wins, mapAccounts maps the whole account; a section whose YAML does not
parse maps nothing (the others still do).  Access entries match the role ARN with its
IAM path removed; one with a "principalId" other than the identity's (a principal
deleted and re-created) does not match.  Templates {{AccountID}}, {{SessionName}}
('@' -> '-'), {{SessionNameRaw}}, {{AccessKeyID}}, {{EC2PrivateDNSName}} (sessions
i-... only) are rendered.

Log lines: for every authentication the lines the authenticator writes (v0.7 format:
"STS response", then "access granted" or "access denied" with arn and error), into
--events-out as fake_logs.py --events JSONL ({"group": "/aws/eks/NAME/cluster",
"stream": "authenticator-<32 hex>", "ts", "message"}) and, with --logs-url, POSTed to
that fake_logs.py's /_fake/events.

Data (--data FILE): tests/fake_eks.py's, plus
  {"identities": [{"access_key_id": "AKID", "secret_access_key": "...",
                   "session_token": null,             when set, the token must carry it
                   "arn": "arn:aws:sts::111122223333:assumed-role/deploy/s1",
                   "user_id": "AROAEXAMPLE:s1"}],     as STS GetCallerIdentity answers
   "sts_endpoints": ["http://127.0.0.1:4000"],         optional, see above
   "clusters": [{"name": ..., "authenticationMode": ..., "access_entries": [...
                 "principalId": "AROA..." (optional)],
                 "aws_auth": {"mapRoles": "YAML text", "mapUsers": "...", "mapAccounts": "..."},
                 "review_versions": ["v1"]}]}

Log (--log FILE): one JSON object per request: {"time", "method", "path", "status",
"username", "error"}.
"""

import argparse
import base64
import calendar
import fnmatch
import hashlib
import json
import os
import random
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_eks import Eks, Server as EksServer  # noqa: E402
from fake_logs import QuietHandler, serve  # noqa: E402

PREFIX = "k8s-aws-v1."
FORMAT_ERROR = "input token was not properly formatted: "
ALLOWED_PARAMS = {"action", "version", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
                  "x-amz-security-token", "x-amz-signature", "x-amz-signedheaders"}
STS_HOST_RE = re.compile(r"sts(\.([a-z0-9-]+))?\.amazonaws\.com(\.cn)?")
INSTANCE_RE = re.compile(r"^i-([0-9a-f]{8}|[0-9a-f]{17})$")
READ_POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy",
                 "AmazonEKSViewPolicy")
STS_MESSAGES = {
    "InvalidClientTokenId": "The security token included in the request is invalid.",
    "SignatureDoesNotMatch": "The request signature we calculated does not match the signature you provided. "
                             "Check your AWS Secret Access Key and signing method. Consult the service "
                             "documentation for details.",
}


class Denied(Exception):
    """A refused token: the error= text of the authenticator's line."""


# ---- the token (pkg/token Verify) ------------------------------------------------

def go_time(t):
    return time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime(t))


def sts_error(code, region):
    body = json.dumps({"Error": {"Code": code, "Message": STS_MESSAGES[code], "Type": "Sender"},
                       "RequestId": "00000000-0000-4000-8000-000000000000"}, separators=(",", ":"))
    return "sts getCallerIdentity failed: error from AWS (expected 200, got 403) on %s endpoint. Body: %s" % (
        region, body)


def check_url(url, sts_endpoints, now):
    """The format checks -> (SplitResult, {param: value}); Denied otherwise."""
    u = urllib.parse.urlsplit(url)
    if sts_endpoints:
        if "%s://%s" % (u.scheme, u.netloc) not in sts_endpoints:
            raise Denied(FORMAT_ERROR + 'unexpected hostname "%s" in pre-signed URL' % u.hostname)
    else:
        if u.scheme != "https":
            raise Denied(FORMAT_ERROR + 'unexpected scheme "%s" in pre-signed URL' % u.scheme)
        if not STS_HOST_RE.fullmatch(u.netloc or ""):
            raise Denied(FORMAT_ERROR + 'unexpected hostname "%s" in pre-signed URL' % u.netloc)
    if u.path != "/":
        raise Denied(FORMAT_ERROR + "unexpected path in pre-signed URL")
    try:
        pairs = urllib.parse.parse_qsl(u.query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise Denied(FORMAT_ERROR + "malformed query parameter")
    params, seen = {}, set()
    for k, v in pairs:
        if k.lower() in seen:
            raise Denied(FORMAT_ERROR + 'duplicate query parameter found: "%s"' % k)
        seen.add(k.lower())
        if k.lower() not in ALLOWED_PARAMS:
            raise Denied(FORMAT_ERROR + 'non-whitelisted query parameter "%s"' % k)
        params[k] = v
    if params.get("Action") != "GetCallerIdentity":
        raise Denied(FORMAT_ERROR + "unexpected action parameter in pre-signed URL")
    if "x-k8s-aws-id" not in params.get("X-Amz-SignedHeaders", "").lower().split(";"):
        raise Denied(FORMAT_ERROR + "client did not sign the x-k8s-aws-id header in the pre-signed URL")
    try:
        expires = int(params.get("X-Amz-Expires", "0"))
    except ValueError:
        expires = 0
    if not 0 < expires <= 900:
        raise Denied(FORMAT_ERROR + "invalid X-Amz-Expires parameter in pre-signed URL: %d" % expires)
    date = params.get("X-Amz-Date")
    if not date:
        raise Denied(FORMAT_ERROR + "X-Amz-Date parameter must be present in pre-signed URL")
    try:
        signed_at = calendar.timegm(time.strptime(date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        raise Denied(FORMAT_ERROR + "error parsing X-Amz-Date parameter %s into format 20060102T150405Z" % date)
    if now - signed_at > 15 * 60:
        raise Denied(FORMAT_ERROR + "X-Amz-Date parameter is expired (15 minute expiration) %s" % go_time(signed_at))
    return u, params


def decode_token(token):
    """The pre-signed URL of a token; Denied for a token that is not one."""
    if len(token) > 4096:
        raise Denied(FORMAT_ERROR + "token is too large")
    if not token.startswith(PREFIX):
        raise Denied(FORMAT_ERROR + 'token is missing expected "%s" prefix' % PREFIX)
    b64 = token[len(PREFIX):]
    bad = next((i for i, c in enumerate(b64) if not (c.isascii() and (c.isalnum() or c in "-_"))), None)
    if bad is not None or len(b64) % 4 == 1:
        raise Denied(FORMAT_ERROR + "illegal base64 data at input byte %d" % (bad if bad is not None else len(b64)))
    return base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).decode("utf-8", "replace")


def verify_signature(url, params, cluster, identities):
    """What STS answers the replayed URL: the identity, or Denied with STS's error.
    The header x-k8s-aws-id is the server's own cluster name."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    scope = params.get("X-Amz-Credential", "").split("/")
    region = scope[2] if len(scope) == 5 else "us-east-1"
    label = region if urllib.parse.urlsplit(url).hostname != "sts.amazonaws.com" else "global"
    ident = identities.get(scope[0]) if len(scope) == 5 else None
    if ident is None or params.get("X-Amz-Security-Token") != ident.get("session_token"):
        raise Denied(sts_error("InvalidClientTokenId", label))
    if scope[3] != "sts" or scope[4] != "aws4_request" or scope[1] != params["X-Amz-Date"][:8]:
        raise Denied(sts_error("SignatureDoesNotMatch", label))
    unsigned = urllib.parse.urlsplit(url)
    query = "&".join(p for p in unsigned.query.split("&") if not p.startswith("X-Amz-Signature="))
    req = botocore.awsrequest.AWSRequest(method="GET", url=urllib.parse.urlunsplit(unsigned._replace(query=query)),
                                         headers={"x-k8s-aws-id": cluster})
    req.context["timestamp"] = params["X-Amz-Date"]
    creds = botocore.credentials.Credentials(ident["access_key_id"], ident["secret_access_key"],
                                             ident.get("session_token"))
    signer = botocore.auth.SigV4Auth(creds, "sts", region)
    want = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req)
    if want != params.get("X-Amz-Signature"):
        raise Denied(sts_error("SignatureDoesNotMatch", label))
    return ident


# ---- aws-auth (a strict subset of YAML: what the tests write) ---------------------------

class YamlError(Exception):
    pass


def yaml_scalar(text, line):
    t = text.strip()
    if t.startswith('"'):
        try:
            return json.loads(t)
        except ValueError:
            raise YamlError("yaml: line %d: found unexpected end of stream" % line)
    if t.startswith("'"):
        if not t.endswith("'") or len(t) < 2:
            raise YamlError("yaml: line %d: found unexpected end of stream" % line)
        return t[1:-1].replace("''", "'")
    if t.startswith("{"):
        raise YamlError("yaml: invalid map key: map[interface {}]interface {}{\"%s\":interface {}(nil)}"
                        % t.strip("{}"))
    if t.startswith("["):
        if not t.endswith("]"):
            raise YamlError("yaml: line %d: did not find expected ',' or ']'" % line)
        return [yaml_scalar(x, line) for x in t[1:-1].split(",") if x.strip()]
    if ": " in t or t.startswith(("&", "*", "!", "|", ">", "%", "@", "`")):
        raise YamlError("yaml: line %d: mapping values are not allowed in this context" % line)
    if " #" in t:
        t = t.split(" #", 1)[0].rstrip()
    return t


def parse_mappings(text):
    """mapRoles / mapUsers text -> list of dicts (keys lower-cased, as Go's
    encoding/json matches them); YamlError when it does not parse."""
    if text.strip().startswith("["):
        try:
            data = json.loads(text)
        except ValueError as e:
            raise YamlError("yaml: %s" % e)
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise YamlError("json: cannot unmarshal into Go value of type []config.RoleMapping")
        return [{k.lower(): v for k, v in d.items()} for d in data]
    items, item, item_indent, key_indent, open_list = [], None, None, None, None
    for n, raw in enumerate(text.split("\n"), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if "\t" in raw[:len(raw) - len(raw.lstrip())]:
            raise YamlError("yaml: line %d: found character that cannot start any token" % n)
        indent = len(raw) - len(raw.lstrip(" "))
        body = raw.strip()
        if item_indent is None:
            item_indent = indent
        if body.startswith("- ") or body == "-":
            rest = body[1:].strip()
            if indent == item_indent:
                item = {}
                items.append(item)
                key_indent, open_list = indent + 2 + (len(body[1:]) - len(body[1:].lstrip()) - 1), None
                if not rest:
                    continue
                body, indent = rest, key_indent
            elif open_list is not None and indent > item_indent:
                open_list.append(yaml_scalar(rest, n))
                continue
            else:
                raise YamlError("yaml: line %d: did not find expected key" % n)
        if item is None or indent != key_indent:
            raise YamlError("yaml: line %d: did not find expected key" % n)
        key, colon, value = body.partition(":")
        if not colon or (value and not value.startswith(" ")):
            raise YamlError("yaml: line %d: could not find expected ':'" % n)
        if value.strip():
            item[key.strip().lower()] = yaml_scalar(value, n)
            open_list = None
        else:
            open_list = item[key.strip().lower()] = []
    return items


def parse_accounts(text):
    t = text.strip()
    if t.startswith("["):
        return [str(a) for a in yaml_scalar(t, 1)]
    out = []
    for n, line in enumerate(t.split("\n"), 1):
        if line.strip():
            if not line.strip().startswith("- "):
                raise YamlError("yaml: line %d: did not find expected '-' indicator" % n)
            out.append(str(yaml_scalar(line.strip()[2:], n)))
    return out


def skippable(text):
    return text.strip() in ("", "``", '""')


def load_aws_auth(data):
    """ParseMap: (roles by lower-cased ARN, users by lower-cased ARN, accounts),
    a section that does not parse left empty."""
    roles, users, accounts = {}, {}, set()
    for key, out in (("mapUsers", users), ("mapRoles", roles)):
        text = (data or {}).get(key)
        if text is None or skippable(text):
            continue
        try:
            entries = parse_mappings(text)
        except YamlError:
            continue
        for e in entries:
            arn = e.get("rolearn" if key == "mapRoles" else "userarn")
            if isinstance(arn, str):
                out[arn.lower()] = e  # later duplicates win, as the map store keeps them
    text = (data or {}).get("mapAccounts")
    if text is not None and not skippable(text):
        try:
            accounts = set(parse_accounts(text))
        except YamlError:
            pass
    return roles, users, accounts


# ---- identity mapping --------------------------------------------------------------

def canonical_arn(arn):
    m = re.fullmatch(r"arn:(aws|aws-cn|aws-us-gov):(sts|iam)::(\d{12}):(.+)", arn)
    if not m:
        raise Denied("arn '%s' is invalid" % arn)
    part, svc, acct, res = m.groups()
    kind = res.split("/")[0]
    if svc == "sts" and kind == "assumed-role":
        pieces = res.split("/")
        if len(pieces) < 3:
            raise Denied("assumed-role arn '%s' does not have a role" % arn)
        return "arn:%s:iam::%s:role/%s" % (part, acct, "/".join(pieces[1:-1]))
    if (svc == "sts" and kind == "federated-user") or (svc == "iam" and kind in ("role", "user", "root")):
        return arn
    raise Denied("unrecognized resource %s for service %s" % (res, svc))


def strip_role_path(arn):
    m = re.fullmatch(r"(arn:[^:]+:iam::\d{12}:role/)(?:.*/)?([^/]+)", arn)
    return m.group(1) + m.group(2) if m else arn


class Identity:
    def __init__(self, ident, access_key_id):
        self.arn = ident["arn"]
        self.canonical = canonical_arn(self.arn)
        self.account = self.arn.split(":")[4]
        uid = ident.get("user_id", "")
        self.user_id, _, self.session = uid.partition(":")
        self.access_key_id = access_key_id


def render(template, ident, region):
    out = template
    if "{{EC2PrivateDNSName}}" in out:
        if not INSTANCE_RE.match(ident.session):
            raise ValueError("SessionName did not contain an instance id")
        out = out.replace("{{EC2PrivateDNSName}}", "ip-10-0-0-1.%s.compute.internal" % region)
    return (out.replace("{{AccountID}}", ident.account)
            .replace("{{SessionName}}", ident.session.replace("@", "-"))
            .replace("{{SessionNameRaw}}", ident.session)
            .replace("{{AccessKeyID}}", ident.access_key_id))


def entry_defaults(entry, ident):
    """An access entry's username and groups as EKS fills them in."""
    kind = entry.get("type", "STANDARD")
    if kind.startswith("EC2") or kind == "HYBRID_LINUX":
        return entry.get("username", "system:node:{{EC2PrivateDNSName}}"), ["system:nodes"]
    default = ident.canonical
    if ":role/" in ident.canonical:
        default = "arn:%s:sts::%s:assumed-role/%s/{{SessionName}}" % (
            ident.canonical.split(":")[1], ident.account, ident.canonical.split("/")[-1])
    return entry.get("username", default), list(entry.get("kubernetesGroups", []))


class Cluster:
    def __init__(self, eks, name):
        self.eks = eks
        self.c = eks.clusters[name]
        self.name = name
        self.region = eks.region
        self.roles, self.users, self.accounts = load_aws_auth(self.c.get("aws_auth"))

    def mappers(self):
        mode = self.c.get("authenticationMode")
        return {"API": ["DynamicFile"], "API_AND_CONFIG_MAP": ["DynamicFile", "EKSConfigMap"]}.get(
            mode, ["EKSConfigMap"])

    def map_entry(self, ident):
        want = ident.canonical.lower()
        for e in self.c.get("access_entries", []):
            if strip_role_path(e["principalArn"]).lower() != want:
                continue
            if e.get("principalId") and e["principalId"] != ident.user_id:
                return None
            user, groups = entry_defaults(e, ident)
            return {"username": user, "groups": groups, "entry": e}
        return None

    def map_configmap(self, ident):
        want = ident.canonical.lower()
        m = self.roles.get(want) or self.users.get(want)
        if m is None:
            return None
        groups = m.get("groups") or []
        return {"username": m.get("username", ""), "groups": groups if isinstance(groups, list) else [groups]}

    def do_mapping(self, ident):
        """server.go doMapping -> (username, groups, access entry or None); Denied."""
        for name in self.mappers():
            m = self.map_entry(ident) if name == "DynamicFile" else self.map_configmap(ident)
            if m is not None:
                try:
                    user = render(m["username"], ident, self.region)
                    groups = [render(g, ident, self.region) for g in m["groups"]]
                except ValueError as e:
                    tmpl = m["username"] if "{{EC2PrivateDNSName}}" in m["username"] else next(
                        g for g in m["groups"] if "{{EC2PrivateDNSName}}" in g)
                    what = "username" if tmpl == m["username"] else "group"
                    raise Denied("mapper %s renderTemplates error: error rendering %s template %s: %s"
                                 % (name, what, json.dumps(tmpl), e))
                return user, groups, m.get("entry")
            if name == "EKSConfigMap" and ident.account in self.accounts:
                return ident.canonical, [], None
        raise Denied("identity is not mapped")

    def may_read_aws_auth(self, groups, entry):
        if "system:masters" in groups:
            return True
        for p in (entry or {}).get("policies", []):
            scope = p.get("accessScope", {})
            if p.get("policyArn", "").rsplit("/", 1)[-1] not in READ_POLICIES:
                continue
            if scope.get("type") == "cluster" or any(fnmatch.fnmatchcase("kube-system", ns)
                                                     for ns in scope.get("namespaces", [])):
                return True
        return False


# ---- the authenticator's log lines (logrus TextFormatter) ---------------------------

BARE = re.compile(r"[A-Za-z0-9\-._/@^+]*")


def logfmt(level, msg, fields, now):
    def q(v):
        return v if BARE.fullmatch(v) else json.dumps(v, ensure_ascii=False)
    parts = ['time="%s"' % time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "level=" + level,
             "msg=" + q(msg)]
    parts += ["%s=%s" % (k, q(fields[k])) for k in sorted(fields)]
    return " ".join(parts)


class Authenticator:
    def __init__(self, cluster, identities, sts_endpoints):
        self.cluster = cluster
        self.identities = {i["access_key_id"]: i for i in identities}
        self.sts_endpoints = sts_endpoints

    def authenticate(self, token, now):
        """-> (user info dict or None, error or None, [log lines])."""
        base = {"client": "127.0.0.1:%d" % random.randint(32768, 60999), "method": "POST",
                "path": "/authenticate"}
        try:
            url = decode_token(token)
            u, params = check_url(url, self.sts_endpoints, now)
            raw = verify_signature(url, params, self.cluster.name, self.identities)
        except Denied as e:
            return None, str(e), [logfmt("warning", "access denied", dict(base, error=str(e)), now)]
        host = u.hostname or ""
        ident = Identity(raw, raw["access_key_id"])
        lines = [logfmt("info", "STS response", dict(base, accesskeyid=ident.access_key_id,
                                                     accountid=ident.account, arn=ident.arn,
                                                     session=ident.session, stsendpoint=host,
                                                     userid=ident.user_id), now)]
        base["arn"] = ident.canonical
        try:
            user, groups, entry = self.cluster.do_mapping(ident)
        except Denied as e:
            lines.append(logfmt("warning", "access denied", dict(base, error=str(e)), now))
            return None, str(e), lines
        uid = "aws-iam-authenticator:%s:%s" % (ident.account, ident.user_id)
        lines.append(logfmt("info", "access granted",
                            dict(base, groups="[%s]" % " ".join(groups), stsendpoint=host, uid=uid,
                                 username=user), now))
        info = {"username": user, "uid": uid, "groups": groups + ["system:authenticated"],
                "extra": {"arn": [ident.arn], "canonicalArn": [ident.canonical],
                          "sessionName": [ident.session], "accessKeyId": [ident.access_key_id]},
                "entry": entry}
        return info, None, lines


# ---- HTTP ------------------------------------------------------------------------

def status_body(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


class Handler(QuietHandler):
    server_version = "fake_k8s/1"

    def send(self, status, obj):
        payload = json.dumps(obj).encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def answer(self):
        srv = self.server
        now = time.time()
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        path = urllib.parse.urlsplit(self.path).path
        auth = self.headers.get("Authorization", "")
        info, error = None, "no bearer token"
        if auth.startswith("Bearer "):
            info, error, lines = srv.auth.authenticate(auth[len("Bearer "):], now)
            srv.emit(lines, now)
        entry = {"time": now, "method": self.command, "path": path, "status": None,
                 "username": info["username"] if info else None, "error": error}
        if info is None:
            status, body = 401, status_body(401, "Unauthorized", "Unauthorized")
        else:
            status, body = self.route(path, info)
        entry["status"] = status
        srv.log(entry)
        self.send(status, body)

    def route(self, path, info):
        c = self.server.auth.cluster
        m = re.fullmatch(r"/apis/authentication\.k8s\.io/([^/]+)/selfsubjectreviews", path)
        if m and self.command == "POST" and m.group(1) in c.c.get("review_versions", ["v1"]):
            user = {k: info[k] for k in ("username", "uid", "groups", "extra")}
            return 201, {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/" + m.group(1),
                         "metadata": {"creationTimestamp": None}, "status": {"userInfo": user}}
        if path == "/api/v1/namespaces/kube-system/configmaps/aws-auth" and self.command == "GET":
            if not c.may_read_aws_auth(info["groups"], info["entry"]):
                return 403, status_body(403, "Forbidden",
                                        'configmaps "aws-auth" is forbidden: User "%s" cannot get resource '
                                        '"configmaps" in API group "" in the namespace "kube-system"'
                                        % info["username"])
            if c.c.get("aws_auth") is None:
                return 404, status_body(404, "NotFound", 'configmaps "aws-auth" not found')
            return 200, {"apiVersion": "v1", "kind": "ConfigMap", "data": c.c["aws_auth"],
                         "metadata": {"name": "aws-auth", "namespace": "kube-system",
                                      "uid": "6f1c2b3a-0000-4000-8000-000000000001",
                                      "resourceVersion": "1234", "creationTimestamp": "2024-01-01T00:00:00Z"}}
        return 404, status_body(404, "NotFound", "the server could not find the requested resource")

    do_GET = answer
    do_POST = answer


class Server(EksServer):
    """fake_eks's server (quiet, its request log) that also writes the
    authenticator lines of each review."""

    def emit(self, lines, now):
        name = self.auth.cluster.name
        evs = [{"group": "/aws/eks/%s/cluster" % name,
                "stream": "authenticator-" + hashlib.md5(name.encode()).hexdigest(),
                "ts": int(now * 1000), "message": line} for line in lines]
        if self.events_out:
            with self.lock, open(self.events_out, "a", encoding="utf-8") as f:
                for e in evs:
                    f.write(json.dumps(e) + "\n")
        if self.logs_url:
            req = urllib.request.Request(self.logs_url.rstrip("/") + "/_fake/events", data=json.dumps(evs).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
            urllib.request.urlopen(req, timeout=10).read()


# ---- the test CA -----------------------------------------------------------------

def make_certs(d):
    """A CA and a server certificate for 127.0.0.1 / localhost, made with the
    openssl CLI into d: ca.pem, server.pem, server.key.  Returns the paths."""
    os.makedirs(d, exist_ok=True)
    p = {k: os.path.join(d, k) for k in ("ca.pem", "ca.key", "server.pem", "server.key", "server.csr", "ext.cnf")}
    with open(p["ext.cnf"], "w") as f:
        f.write("basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = dict(check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-x509"] + ec + ["-keyout", p["ca.key"], "-out", p["ca.pem"], "-days", "2",
                    "-subj", "/CN=fake-k8s-ca", "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **run)
    subprocess.run(["openssl", "req"] + ec + ["-keyout", p["server.key"], "-out", p["server.csr"],
                                              "-subj", "/CN=kube-apiserver"], **run)
    subprocess.run(["openssl", "x509", "-req", "-in", p["server.csr"], "-CA", p["ca.pem"], "-CAkey", p["ca.key"],
                    "-CAcreateserial", "-out", p["server.pem"], "-days", "2", "-extfile", p["ext.cnf"]], **run)
    return p["ca.pem"], p["server.pem"], p["server.key"]


# ---- main ------------------------------------------------------------------------

def self_test():
    ok = True

    def check(cond, what):
        nonlocal ok
        print("%s %s" % ("ok" if cond else "FAIL", what))
        ok = ok and cond
    roles, users, accounts = load_aws_auth({
        "mapRoles": "- rolearn: arn:aws:iam::111122223333:role/A\n  username: a\n  groups:\n    - system:masters\n"
                    "- rolearn: arn:aws:iam::111122223333:role/a\n  username: second\n",
        "mapUsers": "- userarn: arn:aws:iam::111122223333:user/u\n  username: {{SessionName}}\n",
        "mapAccounts": "- \"444455556666\"\n"})
    check(roles["arn:aws:iam::111122223333:role/a"]["username"] == "second", "aws-auth: the last duplicate wins")
    check(users == {} and accounts == {"444455556666"}, "aws-auth: an unquoted template drops mapUsers only")
    check(canonical_arn("arn:aws:sts::111122223333:assumed-role/deploy/s@x") == "arn:aws:iam::111122223333:role/deploy",
          "canonical ARN of an assumed role")
    check(strip_role_path("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/R") ==
          "arn:aws:iam::111122223333:role/R",
          "access entries match without the IAM path")
    try:
        decode_token("k8s-aws-v1.a$b")
        check(False, "bad base64 refused")
    except Denied as e:
        check(str(e).endswith("illegal base64 data at input byte 1"), "bad base64 refused: %s" % e)
    line = logfmt("warning", "access denied", {"client": "127.0.0.1:1", "error": "identity is not mapped",
                                               "method": "POST", "path": "/authenticate"}, 0)
    check(line == 'time="1970-01-01T00:00:00Z" level=warning msg="access denied" client="127.0.0.1:1" '
                  'error="identity is not mapped" method=POST path=/authenticate', "logrus line: " + line)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description="fake EKS Kubernetes API server (see the docstring)")
    ap.add_argument("--port-file")
    ap.add_argument("--data")
    ap.add_argument("--cluster")
    ap.add_argument("--tls-dir")
    ap.add_argument("--log")
    ap.add_argument("--events-out")
    ap.add_argument("--logs-url")
    ap.add_argument("--make-certs")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if a.make_certs:
        print("\n".join(make_certs(a.make_certs)))
        return 0
    if not (a.port_file and a.data and a.cluster and a.tls_dir):
        ap.error("--port-file, --data, --cluster and --tls-dir are required")
    with open(a.data, encoding="utf-8") as f:
        data = json.load(f)
    httpd = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(a.tls_dir, "server.pem"), os.path.join(a.tls_dir, "server.key"))
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.auth = Authenticator(Cluster(Eks(data), a.cluster), data.get("identities", []),
                               data.get("sts_endpoints"))
    httpd.log_path, httpd.events_out, httpd.logs_url = a.log, a.events_out, a.logs_url
    httpd.lock = httpd.log_lock = threading.Lock()
    return serve(httpd, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
