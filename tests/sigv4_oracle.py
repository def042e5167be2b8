#!/usr/bin/env python3
"""Second, independent oracle for the SigV4 signer: botocore.

usage: sigv4_oracle.py PATH/TO/sigv4_sign_cli [COUNT]

Generates COUNT (default 300, at least 200) random requests from a fixed seed
-- methods, paths with odd characters, dot segments and UTF-8, query strings
with repeated keys, empty values and mixed literal/percent-encoded bytes,
headers with odd whitespace and mixed-case names, empty to 1 MiB bodies, with
and without session tokens -- and signs each one twice:

  * with botocore.auth.SigV4Auth (AWSRequest + Credentials, the clock frozen
    by patching what add_auth() reads: botocore.auth.get_current_datetime, or
    datetime.datetime.utcnow in botocore before 1.31, e.g. Debian 12's 1.29);
  * with the C signer, through sigv4_sign_cli (input format documented at the
    top of tests/unit/sigv4_sign_cli.c).

It compares the Authorization header (and, for diagnostics, the canonical
request and the X-Amz-Date / X-Amz-Security-Token headers).  Requests that
botocore's SigV4QueryAuth can represent (no repeated query keys, no body) are
also presigned by both and their canonical requests and X-Amz-Signature
compared.

How the inputs are fed to each side (botocore quirks, README of the suite):
  * the path goes in raw to both: botocore encodes it itself (quote(safe='/~'))
    after its dot-segment removal, just as the C signer does with normalize=1;
  * botocore takes the query as it finds it in the URL (no re-encoding), so it
    gets the canonical encoding; the C side gets a randomly mixed form
    (literal or %XX per character, random hex case), which it must decode and
    re-encode to the same thing;
  * sign_body cases give botocore an explicit X-Amz-Content-SHA256 header.

Inputs deliberately not generated, because the two signers differ on purpose:
empty query components ("a&&b": botocore signs a phantom "="; the C signer
drops them), a caller-supplied X-Amz-Security-Token without credentials'
token, a Date header (botocore then drops X-Amz-Date), control characters in
header values (the C signer refuses them), and non-ASCII header values.

Exit status: 0 all match, 1 mismatch, 77 (meson: skipped) when botocore
cannot be imported, 2 on usage errors.
"""

import datetime
import hashlib
import os
import random
import string
import subprocess
import sys

SKIP = 77
SEED = 20261124
ONE_MIB = 1024 * 1024

try:
    from unittest import mock

    import botocore
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
except ImportError as exc:  # pragma: no cover - depends on the machine
    print(f"SKIP: botocore is not importable by {sys.executable}: {exc}")
    sys.exit(SKIP)



# Which headers a signer leaves unsigned is its own choice, not a SigV4 rule.
# botocore 1.43 never signs hop-by-hop headers, like the C signer; older ones
# (Debian 12's 1.29) sign all but expect, user-agent and x-amzn-trace-id.
# An older botocore gets the newer list, so every version checks the same thing.
HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
              "te", "trailer", "transfer-encoding", "upgrade"]
botocore.auth.SIGNED_HEADERS_BLACKLIST.extend(
    h for h in HOP_BY_HOP if h not in botocore.auth.SIGNED_HEADERS_BLACKLIST)

UNRESERVED = string.ascii_letters + string.digits + "-._~"
B64 = string.ascii_letters + string.digits + "+/"
PATH_ODD = " !$&'()*+,;=:@%[]{}|^`\"<>\\"
QUERY_ODD = " !$&'()*+,;=:@%/?[]{}|^`\"<>\\#"
UTF8_BITS = ["é", "ሴ", "日本", "😀", "ü", "\u00a0", "Ω"]
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"]
HOSTS = [
    "example.amazonaws.com",
    "logs.us-east-1.amazonaws.com",
    "logs.eu-west-3.amazonaws.com",
    "127.0.0.1:5124",
]
REGIONS = ["us-east-1", "eu-west-3", "ap-southeast-4", "us-gov-west-1", "cn-north-1"]
SERVICES = ["logs", "service", "sts", "execute-api", "monitoring"]
QKEYS = ["Param", "param", "Param1", "Param-3", "a", "A", "b", "_", "~", "Action",
         "X-Foo", "key with space", "ሴ", "é", "k+plus", "k=eq", "k&amp", "", "100%"]
HNAMES = ["X-Amz-Target", "Content-Type", "My-Header1", "my-header1", "MY-HEADER1",
          "X-Custom", "x-a", "X-B_c", "Accept", "Content-Length", "amz-sdk-request",
          "X-Odd!#$%&'*+.^`|~"]
# Never signed by either side; generating them checks both skip them.
HSKIPPED = ["User-Agent", "Expect", "X-Amzn-Trace-Id", "Connection", "Authorization",
            "X-Amz-Date"]
WS = [" ", "\t", "  ", " \t ", "\t\t", "   "]


def rand_str(rng, alphabet, lo, hi):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def gen_segment(rng):
    kind = rng.random()
    if kind < 0.15:
        return "."
    if kind < 0.30:
        return ".."
    if kind < 0.40:
        return ""  # makes a '//' run
    if kind < 0.65:
        return rand_str(rng, UNRESERVED, 1, 8)
    parts = []
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.4:
            parts.append(rand_str(rng, UNRESERVED, 1, 4))
        elif r < 0.7:
            parts.append(rng.choice(PATH_ODD))
        else:
            parts.append(rng.choice(UTF8_BITS))
    return "".join(parts)


def gen_path(rng):
    r = rng.random()
    if r < 0.08:
        return "/"
    if r < 0.11:
        return ""
    segs = [gen_segment(rng) for _ in range(rng.randint(1, 6))]
    path = "/" + "/".join(segs)
    if rng.random() < 0.4:
        path += "/"
    return path


def gen_qtext(rng, lo, hi):
    parts = []
    for _ in range(rng.randint(lo, hi)):
        r = rng.random()
        if r < 0.5:
            parts.append(rand_str(rng, UNRESERVED, 1, 5))
        elif r < 0.8:
            parts.append(rng.choice(QUERY_ODD))
        else:
            parts.append(rng.choice(UTF8_BITS))
    return "".join(parts)


def pct(byte, rng):
    h = f"{byte:02X}"
    return "%" + (h.lower() if rng.random() < 0.3 else h)


def c_encode(text, rng, is_key):
    """A wire form of text the C signer must decode back to text."""
    out = []
    for ch in text:
        raw = ch.encode("utf-8")
        must = ch in "&+#%" or (is_key and ch == "=")
        if must:
            out.append("".join(pct(b, rng) for b in raw))
        elif ch in UNRESERVED:
            out.append(ch if rng.random() < 0.8 else pct(raw[0], rng))
        elif rng.random() < 0.5:
            out.append(ch)
        else:
            out.append("".join(pct(b, rng) for b in raw))
    return "".join(out)


def aws_encode(text):
    from urllib.parse import quote

    return quote(text, safe="-_.~")


def gen_query(rng):
    """(pairs, c_query, boto_query, has_repeats); query strings None = none."""
    r = rng.random()
    if r < 0.3:
        return [], None, None, False
    if r < 0.35:
        return [], "", "", False
    pairs = []
    for _ in range(rng.randint(1, 7)):
        if pairs and rng.random() < 0.25:
            key = rng.choice(pairs)[0]
        elif rng.random() < 0.6:
            key = rng.choice(QKEYS)
        else:
            key = gen_qtext(rng, 1, 3)
        v = rng.random()
        if v < 0.2:
            value = ""
        elif v < 0.3:
            value = "a=b"
        else:
            value = gen_qtext(rng, 1, 4)
        pairs.append((key, value))
    c_parts, b_parts = [], []
    for key, value in pairs:
        ck = c_encode(key, rng, True)
        if value == "" and rng.random() < 0.5:
            c_parts.append(ck)  # "key" without '=' means an empty value
        else:
            c_parts.append(ck + "=" + c_encode(value, rng, False))
        b_parts.append(aws_encode(key) + "=" + aws_encode(value))
    keys = [k for k, _ in pairs]
    # "&"-joining only non-empty components; an empty key with an empty
    # value still gives "=" on both sides.
    c_query = "&".join(p if p else "=" for p in c_parts)
    return pairs, c_query, "&".join(b_parts), len(set(keys)) != len(keys)


def gen_hvalue(rng):
    r = rng.random()
    if r < 0.08:
        return ""
    if r < 0.14:
        return rng.choice(WS)
    words = []
    for _ in range(rng.randint(1, 5)):
        w = rng.random()
        if w < 0.6:
            words.append(rand_str(rng, string.ascii_letters + string.digits + "-_.:/=;,", 1, 10))
        elif w < 0.8:
            words.append('"' + rand_str(rng, "ab c", 1, 6).replace(" ", rng.choice(WS)) + '"')
        else:
            words.append(rand_str(rng, string.punctuation, 1, 3))
    value = "".join(w + rng.choice(WS) for w in words[:-1]) + words[-1]
    if rng.random() < 0.4:
        value = rng.choice(WS) + value
    if rng.random() < 0.4:
        value += rng.choice(WS)
    return value


def gen_headers(rng, host):
    headers = [(rng.choice(["Host", "host", "HOST"]),
                host if rng.random() < 0.8 else rng.choice(WS) + host + rng.choice(WS))]
    for _ in range(rng.randint(0, 7)):
        if rng.random() < 0.12:
            name = rng.choice(HSKIPPED)
        elif headers and rng.random() < 0.2:
            name = rng.choice(headers)[0].swapcase()  # a repeat in another case
        else:
            name = rng.choice(HNAMES)
        if name.lower() == "host":
            continue
        headers.append((name, gen_hvalue(rng)))
    rng.shuffle(headers)
    return headers


def gen_body(rng, index):
    if index in (17, 71, 133, 199, 251):
        return bytes(rng.getrandbits(8) for _ in range(64)) * (ONE_MIB // 64)
    r = rng.random()
    if r < 0.4:
        return b""
    if r < 0.7:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200)))
    if r < 0.9:
        return ('{"logGroupName":"/aws/eks/%s","startTime":%d,"queryString":"fields @message"}'
                % (rand_str(rng, UNRESERVED, 1, 10), rng.randint(0, 2**31))).encode()
    return b"Param1=value1"


def gen_case(rng, index):
    host = rng.choice(HOSTS)
    pairs, c_query, b_query, repeats = gen_query(rng)
    token = None
    if rng.random() < 0.5:
        token = rand_str(rng, B64 + "=", 16, 400)
    body = gen_body(rng, index)
    return {
        "index": index,
        "method": rng.choice(METHODS),
        "host": host,
        "path": gen_path(rng),
        "c_query": c_query,
        "b_query": b_query,
        "repeats": repeats,
        "headers": gen_headers(rng, host),
        "body": body,
        "sign_body": rng.random() < 0.3,
        "access_key": rng.choice(["AKIA", "ASIA"]) + rand_str(rng, string.ascii_uppercase + string.digits, 16, 16),
        "secret": rand_str(rng, B64, 40, 40),
        "token": token,
        "region": rng.choice(REGIONS),
        "service": rng.choice(SERVICES),
        "time": rng.randint(946684800, 4102444799),  # 2000..2099
        "expires": rng.randint(1, 604800),
    }


def url_of(case):
    url = f"https://{case['host']}{case['path']}"
    if case["b_query"] is not None:
        url += "?" + case["b_query"]
    return url


def freeze(when):
    """A context in which botocore's signers take the naive UTC datetime when
    for now (also used by tests/sigv4/generate.py)."""
    if hasattr(botocore.auth, "get_current_datetime"):
        return mock.patch.object(botocore.auth, "get_current_datetime", return_value=when)

    class Frozen(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when

    return mock.patch.object(botocore.auth.datetime, "datetime", Frozen)


def frozen(case):
    return freeze(datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=case["time"]))


class Capturing:
    """Mixin keeping the canonical request botocore computed."""

    last_cr = None

    def canonical_request(self, request):
        cr = super().canonical_request(request)
        self.last_cr = cr
        return cr


class CapturingV4(Capturing, botocore.auth.SigV4Auth):
    pass


class CapturingV4Query(Capturing, botocore.auth.SigV4QueryAuth):
    pass


def boto_request(case, with_body_hash):
    req = botocore.awsrequest.AWSRequest(method=case["method"], url=url_of(case),
                                         data=case["body"])
    for name, value in case["headers"]:
        req.headers[name] = value  # HTTPHeaders appends: repeats are kept
    if with_body_hash:
        req.headers["X-Amz-Content-SHA256"] = hashlib.sha256(case["body"]).hexdigest()
    return req


def boto_sign_header(case):
    creds = botocore.credentials.Credentials(case["access_key"], case["secret"], case["token"])
    signer = CapturingV4(creds, case["service"], case["region"])
    req = boto_request(case, case["sign_body"])
    with frozen(case):
        signer.add_auth(req)
    return {
        "creq": signer.last_cr,
        "authorization": req.headers["Authorization"],
        "x-amz-date": req.headers["X-Amz-Date"],
        "token": req.headers.get("X-Amz-Security-Token"),
    }


def query_mode_ok(case):
    names = {n.lower() for n, _ in case["headers"]}
    return (not case["repeats"] and not case["body"]
            and not names & {"authorization", "x-amz-date"})


def boto_sign_query(case):
    from urllib.parse import urlsplit

    creds = botocore.credentials.Credentials(case["access_key"], case["secret"], case["token"])
    signer = CapturingV4Query(creds, case["service"], case["region"], expires=case["expires"])
    req = boto_request(case, False)
    with frozen(case):
        signer.add_auth(req)
    sig = None
    for part in urlsplit(req.url).query.split("&"):
        if part.startswith("X-Amz-Signature="):
            sig = part.split("=", 1)[1]
    return {"creq": signer.last_cr, "signature": sig}


def cli_block(case, mode):
    lines = [
        f"method {case['method']}",
        f"path {case['path'].encode().hex()}",
    ]
    if case["c_query"] is not None:
        lines.append(f"query {case['c_query'].encode().hex()}")
    for name, value in case["headers"]:
        lines.append(f"header {name.encode().hex()} {value.encode().hex()}")
    lines += [
        f"body {case['body'].hex()}",
        f"access-key {case['access_key']}",
        f"secret {case['secret'].encode().hex()}",
    ]
    if case["token"] is not None:
        lines.append(f"token {case['token'].encode().hex()}")
    lines += [
        f"region {case['region']}",
        f"service {case['service']}",
        f"time {case['time']}",
        "normalize 1",
        f"sign-body {1 if case['sign_body'] and mode == 'header' else 0}",
        f"mode {mode}",
        f"expires {case['expires']}",
        "sign",
    ]
    return "\n".join(lines) + "\n"


def parse_cli(out):
    """Split the CLI's output into one dict per block."""
    results, cur, pos = [], {"add": {}}, 0
    data = out
    while pos < len(data):
        nl = data.index(b"\n", pos)
        line = data[pos:nl].decode("utf-8")
        pos = nl + 1
        key, _, value = line.partition(" ")
        if key in ("canonical-request", "string-to-sign"):
            n = int(value)
            cur[key] = data[pos:pos + n].decode("utf-8")
            pos += n + 1
        elif key == "add-header":
            name, _, v = value.partition(" ")
            cur["add"][name.lower()] = v
        elif key == "end":
            results.append(cur)
            cur = {"add": {}}
        else:
            cur[key] = value
    return results


def run_cli(cli, blocks):
    proc = subprocess.run([cli], input="".join(blocks).encode("utf-8"),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
        raise SystemExit(f"FAIL: {cli} exited with {proc.returncode}")
    return parse_cli(proc.stdout)


def show_diff(label, case, want, got):
    print(f"not ok - case {case['index']}: {label} differs")
    print(f"#   method={case['method']} url={url_of(case)!r} c_query={case['c_query']!r}")
    print(f"#   headers={case['headers']!r} body_len={len(case['body'])} "
          f"sign_body={case['sign_body']} token={'yes' if case['token'] else 'no'}")
    for tag, text in (("botocore", want), ("C       ", got)):
        for line in str(text).split("\n"):
            print(f"#   {tag}: {line!r}")


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    cli = sys.argv[1]
    count = max(200, int(sys.argv[2])) if len(sys.argv) == 3 else 300
    if not os.access(cli, os.X_OK):
        print(f"FAIL: {cli} is not an executable", file=sys.stderr)
        return 1

    rng = random.Random(SEED)
    cases = [gen_case(rng, i) for i in range(count)]
    qcases = [c for c in cases if query_mode_ok(c)]

    c_hdr = run_cli(cli, [cli_block(c, "header") for c in cases])
    c_qry = run_cli(cli, [cli_block(c, "query") for c in qcases])
    if len(c_hdr) != len(cases) or len(c_qry) != len(qcases):
        print(f"FAIL: CLI answered {len(c_hdr)}/{len(cases)} and {len(c_qry)}/{len(qcases)} blocks")
        return 1

    failures = 0
    for case, got in zip(cases, c_hdr):
        want = boto_sign_header(case)
        if "error" in got:
            show_diff("C signer refused the request", case, want["authorization"], got["error"])
            failures += 1
            continue
        if got.get("canonical-request") != want["creq"]:
            show_diff("canonical request", case, want["creq"], got.get("canonical-request"))
        if got.get("authorization") != want["authorization"]:
            show_diff("Authorization", case, want["authorization"], got.get("authorization"))
            failures += 1
            continue
        if (got["add"].get("x-amz-date") != want["x-amz-date"]
                or got["add"].get("x-amz-security-token") != want["token"]):
            show_diff("added headers", case, (want["x-amz-date"], want["token"]), got["add"])
            failures += 1
    q_failures = 0
    for case, got in zip(qcases, c_qry):
        want = boto_sign_query(case)
        if got.get("canonical-request") != want["creq"] or got.get("signature") != want["signature"]:
            show_diff("presigned canonical request/signature", case, want["creq"],
                      got.get("canonical-request", got.get("error")))
            q_failures += 1

    def n(pred):
        return sum(1 for c in cases if pred(c))

    print(f"# botocore {botocore.__version__}, seed {SEED}, {count} requests: "
          f"{n(lambda c: c['token'])} with token, {n(lambda c: len(c['body']) >= ONE_MIB)} of 1 MiB, "
          f"{n(lambda c: not c['body'])} empty bodies, {n(lambda c: c['repeats'])} with repeated "
          f"query keys, {n(lambda c: c['sign_body'])} sign_body")
    print(f"{'ok' if not failures else 'not ok'} - header mode: "
          f"{count - failures}/{count} Authorization headers match botocore SigV4Auth")
    print(f"{'ok' if not q_failures else 'not ok'} - query mode: "
          f"{len(qcases) - q_failures}/{len(qcases)} presigned requests match botocore SigV4QueryAuth")
    return 1 if failures or q_failures else 0


if __name__ == "__main__":
    sys.exit(main())
