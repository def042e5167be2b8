#!/usr/bin/env python3
"""Writes the SigV4 test vectors in tests/sigv4/vectors/, signed by botocore.

usage: tests/sigv4/generate.py [OUTDIR]      (default: vectors/ next to this file)

Each case becomes one folder with the ten files test_sigv4_suite reads
(context.json, request.txt, header-* and query-* canonical request, string to
sign, signature and signed request); tests/sigv4/README.md describes them.
Everything is fixed (date, keys, token, inputs), so running this again with the
same botocore writes the same bytes; the folder is replaced as a whole.

botocore signs; this script only feeds it and writes down what it produced.
Where botocore needs its input in a particular form, the form is prepared here:
  * the URL's query is given in canonical encoding (botocore signs the query as
    it finds it in the URL), decoded from request.txt's wire form first;
  * the path goes in as written: botocore normalises and encodes it itself;
  * folded header lines are joined with one space before botocore sees them;
  * normalize=false cases use SigV4Auth with botocore's dot-segment removal
    left out (the encoding step stays), the rule S3 uses for its paths;
  * omit_session_token cases are signed without the token, which is then added
    to the request (header, or query parameter after X-Amz-Signature);
  * sign_body cases get an X-Amz-Content-SHA256 header holding the body's hash
    in header mode (a presigned request signs the body's hash but sends none);
  * for presigning, botocore's SigV4QueryAuth is kept from rewriting the request
    in three ways SigV4 does not ask for (folding repeated query keys through
    parse_qs, moving a form body into the query, dropping its own default
    Content-Type): the query, the body and Content-Type are put back after
    its _modify_request_before_signing, and X-Amz-SignedHeaders is recomputed
    (by botocore) once Content-Type is back.
Cases marked header_only have no query-* files: botocore's presigner signs a
caller's stale X-Amz-Date header, which the header signer replaces.
"""

import datetime
import hashlib
import json
import os
import shutil
import sys
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlsplit, urlunsplit

import botocore
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.utils import percent_encode, percent_encode_sequence

# The botocore oracle's clock freezing and its list of never-signed headers
# (for botocore before 1.43) apply here too.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from sigv4_oracle import freeze  # noqa: E402

# The example keys of the AWS documentation (never valid).
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = ("IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+example/token+with="
         "slash/plus+and=equals==")
TIMESTAMP = "2026-03-09T17:04:05Z"
HOST = "example.amazonaws.com"
REGION = "us-east-1"
SERVICE = "service"
EXPIRES = 3600

LOGS_BODY = ('{"logGroupName":"/aws/eks/prod-eu/cluster","logStreamNamePrefix":"authenticator",'
             '"startTime":1767225600000,"endTime":1767229200000,"limit":10000}')
INSIGHTS_BODY = ('{"logGroupName":"/aws/eks/prod-eu/cluster","startTime":1767225600,'
                 '"endTime":1767229200,"queryString":"fields @timestamp, @message '
                 '| filter @logStream like /authenticator/ | filter @message like \\"é\\""}')


def case(name, **kw):
    kw.setdefault("method", "GET")
    kw.setdefault("path", "/")
    kw.setdefault("query", None)
    kw.setdefault("headers", [])
    kw.setdefault("body", "")
    kw.setdefault("host", HOST)
    kw.setdefault("region", REGION)
    kw.setdefault("service", SERVICE)
    kw.setdefault("timestamp", TIMESTAMP)
    kw.setdefault("token", None)
    kw.setdefault("normalize", True)
    kw.setdefault("sign_body", False)
    kw.setdefault("omit_session_token", False)
    kw.setdefault("expires", EXPIRES)
    kw.setdefault("header_only", False)
    kw["name"] = name
    return kw


CT_FORM = ("Content-Type", "application/x-www-form-urlencoded")
CT_FORM_UTF8 = ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
CT_JSON = ("Content-Type", "application/x-amz-json-1.1")
UNRESERVED = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Headers are written as request.txt has them: "Name:Value" with the value as
# given (leading blanks included); a value holding "\n" continues on a folded
# line (obs-fold).
CASES = [
    # The general rules, after the official suite's topics.
    case("get-vanilla"),
    case("get-vanilla-query", query="Param1=value1"),
    case("get-query-unsorted", query="Param2=value2&param0=value0&Param1=value1&Param10=x"),
    case("get-query-repeated-keys", query="b=2&a=3&a=1&a=2&A=z"),
    case("get-query-empty-values", query="flag&Param2=&Param1=value1"),
    case("get-query-reserved-encoded",
         query="key%20space=a%2Fb%3Dc&plus=1%2B1&amp=x%26y&pct=100%25&hash=%23x"),
    case("get-query-reserved-raw", query="star=*&bracket=[x]&slash=a/b&colon=a:b&at=a@b&quote='q'"),
    case("get-query-lowercase-hex", query="v=%2f%e1%88%b4&w=%7e%41"),
    case("get-query-unreserved", query=f"{UNRESERVED}={UNRESERVED}"),
    case("get-query-utf8", query="ሴ=bar&é=ü&k=日本"),
    case("get-utf8-path", path="/ሴ/é/日本"),
    case("get-unreserved-path", path="/" + UNRESERVED),
    case("get-space-normalized", path="/example space/"),
    case("get-space-unnormalized", path="/example space/", normalize=False),
    case("get-path-percent-encoded-twice", path="/a%2Fb/c%20d"),
    case("get-relative-normalized", path="/example1/example2/.."),
    case("get-relative-unnormalized", path="/example1/example2/..", normalize=False),
    case("get-slash-dot-slash-normalized", path="/./"),
    case("get-slash-dot-slash-unnormalized", path="/./", normalize=False),
    case("get-slashes-normalized", path="//example//"),
    case("get-slashes-unnormalized", path="//example//", normalize=False),
    case("get-dot-segments-normalized", path="/a/./b/../../c/./d/.."),
    case("get-dot-segments-unnormalized", path="/a/./b/../../c/./d/..", normalize=False),
    case("get-trailing-slash", path="/a/b/"),
    case("get-header-key-duplicate",
         headers=[("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")]),
    case("get-header-value-order",
         headers=[("My-Header1", "value4"), ("My-Header1", "value1"), ("my-header1", "value3"),
                  ("MY-HEADER1", "value2")]),
    case("get-header-value-trim",
         headers=[("My-Header1", " value1"), ("My-Header2", ' "a   b   c" '),
                  ("My-Header3", "\tx \t y  ")]),
    case("get-header-value-multiline", headers=[("My-Header1", "value1\n  value2\n     value3")]),
    case("get-header-value-empty", headers=[("X-Empty", ""), ("X-Blank", "   ")]),
    case("get-unsigned-headers",
         headers=[("User-Agent", "authlog-scan/1.0"), ("X-Amzn-Trace-Id", "Root=1-5759e988"),
                  ("Connection", "keep-alive"), ("Expect", "100-continue"), ("My-Header1", "v")]),
    case("get-stale-amz-headers", token=TOKEN, header_only=True,
         headers=[("X-Amz-Date", "20150830T123600Z"), ("Authorization", "AWS4-HMAC-SHA256 old"),
                  ("X-Amz-Security-Token", "stale-token")]),
    case("get-leap-day-midnight", timestamp="2024-02-29T23:59:59Z"),
    case("get-vanilla-with-session-token", token=TOKEN),
    case("post-header-key-case", method="POST", headers=[("MY-HEADER1", "value1"), ("my-header2", "v2")]),
    case("post-header-key-sort", method="POST",
         headers=[("zz-Last", "z"), ("My-Header1", "value1"), ("a-First", "a"), ("My-Header0", "0")]),
    case("post-header-value-case", method="POST", headers=[("My-Header1", "VALUE1 Mixed Case")]),
    case("post-sts-header-before", method="POST", token=TOKEN),
    case("post-sts-header-after", method="POST", token=TOKEN, omit_session_token=True),
    case("post-vanilla", method="POST"),
    case("post-vanilla-query", method="POST", query="Param1=value1"),
    case("post-x-www-form-urlencoded", method="POST", sign_body=True,
         headers=[CT_FORM, ("Content-Length", "13")], body="Param1=value1"),
    case("post-x-www-form-urlencoded-parameters", method="POST", sign_body=True,
         headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf8"),
                  ("Content-Length", "13")], body="Param1=value1"),
    case("post-body-hash-unsent", method="POST", headers=[CT_JSON], body='{"a":"b","n":1}'),
    case("get-presign-max-expiry", query="Param1=value1", expires=604800),
    # The services authlog-scan calls, shaped like its requests.
    case("logs-filter-log-events", method="POST", host="logs.eu-west-1.amazonaws.com",
         region="eu-west-1", service="logs", token=TOKEN, body=LOGS_BODY,
         headers=[("X-Amz-Target", "Logs_20140328.FilterLogEvents"), CT_JSON,
                  ("User-Agent", "authlog-scan/1.0")]),
    case("logs-start-query-utf8-body", method="POST", host="logs.eu-west-1.amazonaws.com",
         region="eu-west-1", service="logs", body=INSIGHTS_BODY,
         headers=[("X-Amz-Target", "Logs_20140328.StartQuery"), CT_JSON]),
    case("logs-china-region", method="POST", host="logs.cn-north-1.amazonaws.com.cn",
         region="cn-north-1", service="logs", body='{"queryId":"12ab3456-12ab-123a-789e-1234567890ab"}',
         headers=[("X-Amz-Target", "Logs_20140328.GetQueryResults"), CT_JSON]),
    case("sts-get-caller-identity", method="POST", host="sts.amazonaws.com", service="sts",
         token=TOKEN, body="Action=GetCallerIdentity&Version=2011-06-15", headers=[CT_FORM_UTF8]),
    case("sts-assume-role-regional", method="POST", host="sts.eu-west-3.amazonaws.com",
         region="eu-west-3", service="sts",
         body=("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fauthlog-read"
               "&RoleSessionName=authlog-scan-1&Version=2011-06-15"),
         headers=[CT_FORM_UTF8, ("Accept", "application/json")]),
    case("eks-token-presign", host="sts.us-west-2.amazonaws.com", region="us-west-2",
         service="sts", token=TOKEN, expires=60,
         query="Action=GetCallerIdentity&Version=2011-06-15",
         headers=[("x-k8s-aws-id", "prod-eu")]),
    case("eks-describe-cluster", host="eks.us-west-2.amazonaws.com", region="us-west-2",
         service="eks", token=TOKEN, path="/clusters/prod-eu"),
    case("eks-list-clusters", host="eks.us-west-2.amazonaws.com", region="us-west-2",
         service="eks", path="/clusters", query="maxResults=10&nextToken=abc%2Bdef%3D%3D&include=all"),
    case("sso-get-role-credentials", host="portal.sso.eu-central-1.amazonaws.com",
         region="eu-central-1", service="sso", path="/federation/credentials",
         query="role_name=ReadOnly&account_id=111122223333",
         headers=[("Accept", "application/json")]),
]


def folded(value):
    """The value a reader of request.txt gets: folded lines joined by one space."""
    lines = value.split("\n")
    return " ".join([lines[0]] + [ln.lstrip(" \t") for ln in lines[1:]])


def canonical_query(wire):
    """request.txt's query in the form botocore signs as is: components split
    on '&' (empty ones dropped), name and value split at the first '=',
    %XX decoded, re-encoded with only A-Z a-z 0-9 - . _ ~ left as they are."""
    pairs = []
    for part in wire.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append(quote(unquote_to_bytes(key), safe="-_.~") + "="
                     + quote(unquote_to_bytes(value), safe="-_.~"))
    return "&".join(pairs)


class Unnormalized:
    """botocore's path encoding without its dot-segment removal."""

    def _normalize_url_path(self, path):
        return quote(path, safe="/~")


class Capture:
    """Keeps the canonical request and string to sign botocore computed."""

    creq = sts = None

    def canonical_request(self, request):
        self.creq = super().canonical_request(request)
        return self.creq

    def string_to_sign(self, request, canonical_request):
        self.sts = super().string_to_sign(request, canonical_request)
        return self.sts


class HeaderSigner(Capture, botocore.auth.SigV4Auth):
    pass


class HeaderSignerUnnormalized(Unnormalized, HeaderSigner):
    pass


class QuerySigner(Capture, botocore.auth.SigV4QueryAuth):
    def _modify_request_before_signing(self, request):
        parts = urlsplit(request.url)
        data = request.data
        ctype = request.headers.get("Content-Type")
        request.url = urlunsplit(parts._replace(query=""))
        request.data = b""
        super()._modify_request_before_signing(request)
        request.data = data
        if ctype is not None and "Content-Type" not in request.headers:
            request.headers["Content-Type"] = ctype
        # X-Amz-SignedHeaders again, now that Content-Type is back.
        params = [(k, self.signed_headers(self.headers_to_sign(request))
                   if k == "X-Amz-SignedHeaders" else v)
                  for k, v in parse_qsl(urlsplit(request.url).query, keep_blank_values=True)]
        added = percent_encode_sequence(params)
        query = parts.query + "&" + added if parts.query else added
        request.url = urlunsplit(parts._replace(query=query))


class QuerySignerUnnormalized(Unnormalized, QuerySigner):
    pass


def frozen_clock(c):
    return freeze(datetime.datetime.strptime(c["timestamp"], "%Y-%m-%dT%H:%M:%SZ"))


def boto_request(c, mode):
    url = f"https://{c['host']}{c['path']}"
    if c["query"] is not None:
        url += "?" + canonical_query(c["query"])
    req = botocore.awsrequest.AWSRequest(method=c["method"], url=url, data=c["body"].encode())
    req.headers["Host"] = c["host"]
    for name, value in c["headers"]:
        req.headers[name] = folded(value)  # HTTPHeaders appends: repeats are kept
    if c["sign_body"] and mode == "header":
        req.headers["X-Amz-Content-SHA256"] = hashlib.sha256(c["body"].encode()).hexdigest()
    return req


def credentials(c):
    token = None if c["omit_session_token"] else c["token"]
    return botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY, token)


def request_text(c, target, headers):
    lines = [f"{c['method']} {target} HTTP/1.1"]
    lines += [f"{name}:{value}" for name, value in headers]
    text = "\n".join(lines)
    if c["body"]:
        text += "\n\n" + c["body"]
    return text


def request_target(c):
    return c["path"] + ("?" + c["query"] if c["query"] is not None else "")


def sign_header(c):
    signer = (HeaderSigner if c["normalize"] else HeaderSignerUnnormalized)(
        credentials(c), c["service"], c["region"])
    req = boto_request(c, "header")
    with frozen_clock(c):
        signer.add_auth(req)
    headers = [(n, v) for n, v in req.headers.items() if n != "Host"]
    if c["omit_session_token"]:
        headers.append(("X-Amz-Security-Token", c["token"]))
    signed = request_text(c, request_target(c), [("Host", c["host"])] + headers)
    sig = req.headers["Authorization"].rsplit("Signature=", 1)[1]
    return signer.creq, signer.sts, sig, signed


def sign_query(c):
    signer = (QuerySigner if c["normalize"] else QuerySignerUnnormalized)(
        credentials(c), c["service"], c["region"], expires=c["expires"])
    req = boto_request(c, "query")
    with frozen_clock(c):
        signer.add_auth(req)
    query = urlsplit(req.url).query
    if c["omit_session_token"]:
        query += "&X-Amz-Security-Token=" + percent_encode(c["token"])
    sig = query.split("X-Amz-Signature=", 1)[1].split("&", 1)[0]
    headers = [(n, folded(v)) for n, v in [("Host", c["host"])] + c["headers"]]
    signed = request_text(c, f"{c['path']}?{query}", headers)
    return signer.creq, signer.sts, sig, signed


def context(c):
    creds = {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}
    if c["token"]:
        creds["token"] = c["token"]
    ctx = {
        "credentials": creds,
        "expiration_in_seconds": c["expires"],
        "normalize": c["normalize"],
        "region": c["region"],
        "service": c["service"],
        "sign_body": c["sign_body"],
        "timestamp": c["timestamp"],
    }
    if c["omit_session_token"]:
        ctx["omit_session_token"] = True
    return json.dumps(ctx, indent=4, sort_keys=True, ensure_ascii=False)


def write(folder, name, text):
    with open(os.path.join(folder, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_case(outdir, c):
    folder = os.path.join(outdir, c["name"])
    os.mkdir(folder)
    write(folder, "context.json", context(c))
    write(folder, "request.txt", request_text(c, request_target(c), [("Host", c["host"])] + c["headers"]))
    variants = [("header", sign_header)] + ([] if c["header_only"] else [("query", sign_query)])
    for prefix, sign in variants:
        creq, sts, sig, signed = sign(c)
        write(folder, f"{prefix}-canonical-request.txt", creq)
        write(folder, f"{prefix}-string-to-sign.txt", sts)
        write(folder, f"{prefix}-signature.txt", sig)
        write(folder, f"{prefix}-signed-request.txt", signed)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "vectors")
    names = [c["name"] for c in CASES]
    if len(set(names)) != len(names):
        sys.exit("generate.py: two cases share a name")
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    for c in CASES:
        write_case(outdir, c)
    print(f"{len(CASES)} cases written to {outdir} (botocore {botocore.__version__})")


if __name__ == "__main__":
    main()
