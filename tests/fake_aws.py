#!/usr/bin/env python3
"""fake_aws.py: the project's scriptable fake AWS endpoint (Python 3 stdlib only).

usage:
  python3 tests/fake_aws.py --port-file PATH [--script FILE] [--log FILE]
                            [--verify-sigv4 AKID:SECRET[:TOKEN]]... [--clock-offset SECONDS]
                            [--host 127.0.0.1] [--tls-cert CERT.pem --tls-key KEY.pem]
  python3 tests/fake_aws.py --self-test

It binds HOST:0 (127.0.0.1 by default), writes the port number to PATH (atomically,
so a reader polling for the file never sees half of it), and serves HTTP/1.1 with
keep-alive (ThreadingHTTPServer, one thread per connection) until SIGTERM or SIGINT.

Script (--script FILE): a JSON list of rules, tried in order; the first rule whose
"match" accepts the request answers it.

  [{"match": {"method": "POST",                      exact (upper case)
              "path": "/",                           exact path, without the query
              "path_prefix": "/latest/",             path starts with this
              "target": "Logs_20140328.StartQuery",  X-Amz-Target; "StartQuery" matches too
              "action": "AssumeRole",                form field Action= (body or query)
              "query": {"role_name": "r"},           these query parameters have these values
              "header": {"x-aws-ec2-metadata-token": "tok",   value equal (names: any case)
                         "authorization": true,               present
                         "x-amz-security-token": null},       absent
              "json": {"queryId": "q-1"},            these top-level keys of a JSON body
              "body_contains": "text",
              "signed": true},                       has (true) / lacks (false) Authorization
    "responses": [
      {"status": 400,                               default 200
       "headers": {"Date": "Tue, 24 Nov 2026 02:19:37 GMT"},  added / override the defaults
       "body": "raw text"  |  "json": {...}  |  "error": "ThrottlingException",
       "message": "Rate exceeded",                  with "error": body {"__type","message"}
                                                    and header X-Amzn-ErrorType
       "query_error": "AccessDenied",               a query-protocol (STS, IAM) error instead:
                                                    text/xml <ErrorResponse><Error><Type>Sender
                                                    </Type><Code>..</Code><Message>"message"
                                                    </Message></Error>...</ErrorResponse>
       "delay_ms": 0,                               wait before answering
       "reset": true,                               close with a TCP RST, no answer
       "close": true,                               close (FIN) without answering
       "truncate": 10},                             full Content-Length, only 10 body bytes, close
      ...]}]

An empty "match" ({}) matches everything.  A rule's responses are used in order, one
per matching request, and the last one repeats forever.  "json" and "error" bodies
get Content-Type application/x-amz-json-1.1 unless "headers" says otherwise.  Every
response carries Date (the server clock, see --clock-offset), x-amzn-RequestId
(random) and Content-Length.  A request that no rule matches gets HTTP 404
{"__type": "FakeAwsNoRule", "message": "..."}.

Log (--log FILE): one JSON object per request, appended and flushed before the
response is sent:
  {"time": 1795486777.1, "client": ["127.0.0.1", 40312], "method": "POST",
   "path": "/", "query": "a=b", "query_params": {"a": ["b"]},
   "headers": [["Host", "127.0.0.1:4000"], ...],   every header, in order, as sent
   "body": "...",                                  (undecodable bytes as \\udcXX)
   "rule": 0, "response": 1,                       indexes, null when unmatched
   "status": 200,                                  null for reset / close
   "sigv4": "ok" | "unsigned" | "not-checked" | "<Code>: <reason>"}

SigV4 (--verify-sigv4 AKID:SECRET[:TOKEN], repeatable; or $FAKE_AWS_VERIFY_SIGV4 with
entries separated by ','): every request that carries an Authorization header is
checked the way the AWS front end does (order as in logs-insights-api.md 6.1), before
any rule is consulted; a failure is answered at once, with the code in the log:
  - malformed Authorization, no X-Amz-Date     400 IncompleteSignatureException
  - X-Amz-Date more than 5 min from the server clock
                                                400 InvalidSignatureException
                                                "Signature expired: ... (... - 5 min.)" /
                                                "Signature not yet current: ... (... + 5 min.)"
  - host not signed, bad credential scope       400 InvalidSignatureException
  - unknown access key id, wrong session token  400 UnrecognizedClientException
  - signature mismatch                          403 InvalidSignatureException
The signature is recomputed with this file's own SigV4 code (canonical URI with
dot segments removed and every byte outside A-Za-z0-9-._~/ percent-encoded, so a
'%' on the wire becomes %25; query decoded, re-encoded and sorted; signed headers
trimmed and joined with ','; body SHA-256 or x-amz-content-sha256).  Requests
without Authorization (IMDS, SSO portal, container credentials, web identity) are
not checked ("unsigned").

--tls-cert / --tls-key serve HTTPS instead of HTTP (to test certificate checks and
CA bundles).

--clock-offset SECONDS shifts the server clock (the Date header and the signature
time check), to test clock-skew correction.

--self-test checks the SigV4 code against two signed StartQuery requests (without
and with a session token; the secret key of AWS's SigV4 test suite,
2015-08-30T12:36:00Z, us-east-1, service logs; signatures computed with botocore's
SigV4Auth and checked with plain HMAC-SHA256, the steps of
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)
and exits 0 or 1.
"""

import argparse
import calendar
import email.utils
import hashlib
import hmac
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape as xml_escape

# ---- SigV4 -------------------------------------------------------------------

UNRESERVED = "-_.~"


def remove_dot_segments(path):
    """botocore's utils.remove_dot_segments, as the C signer does it."""
    if not path:
        return ""
    out = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    res = "/" + "/".join(out) if out else ""
    if res and path.endswith("/"):
        res += "/"
    return res


def canonical_uri(path):
    p = remove_dot_segments(path) or "/"
    return urllib.parse.quote(p.encode("utf-8", "surrogateescape"), safe="/" + UNRESERVED)


def canonical_query(query):
    pairs = []
    for comp in query.split("&"):
        if not comp:
            continue
        k, _, v = comp.partition("=")
        k = urllib.parse.unquote_to_bytes(k)
        v = urllib.parse.unquote_to_bytes(v)
        pairs.append((urllib.parse.quote(k, safe=UNRESERVED), urllib.parse.quote(v, safe=UNRESERVED)))
    pairs.sort()
    return "&".join(k + "=" + v for k, v in pairs)


def trimall(v):
    return " ".join(v.replace("\t", " ").split())


def canonical_request(method, path, query, header_pairs, signed_names, payload_hash):
    """header_pairs: [(name, value)] as received; signed_names: lower-case list."""
    values = {}
    for name, value in header_pairs:
        values.setdefault(name.lower(), []).append(trimall(value))
    lines = []
    for name in signed_names:
        if name not in values:
            return None
        lines.append(name + ":" + ",".join(values[name]))
    return "\n".join([method, canonical_uri(path), canonical_query(query), "\n".join(lines) + "\n",
                      ";".join(signed_names), payload_hash])


def signing_key(secret, date8, region, service):
    k = hmac.new(("AWS4" + secret).encode(), date8.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def string_to_sign(amz_date, scope, creq):
    return "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                      hashlib.sha256(creq.encode("utf-8", "surrogateescape")).hexdigest()])


def signature(secret, date8, region, service, sts):
    return hmac.new(signing_key(secret, date8, region, service), sts.encode(), hashlib.sha256).hexdigest()


def parse_authorization(value):
    """-> dict(akid, date8, region, service, terminator, signed, signature) or None."""
    if not value.startswith("AWS4-HMAC-SHA256 "):
        return None
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, sep, v = part.strip().partition("=")
        if not sep:
            return None
        fields[k] = v
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        return None
    cred = fields["Credential"].split("/")
    if len(cred) != 5:
        return None
    return {"akid": cred[0], "date8": cred[1], "region": cred[2], "service": cred[3],
            "terminator": cred[4], "signed": fields["SignedHeaders"].split(";"),
            "signature": fields["Signature"]}


def amz_date_epoch(s):
    try:
        return calendar.timegm(time.strptime(s, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return None


def fmt_amz(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def verify_sigv4(keys, now, method, path, query, header_pairs, body):
    """None when fine, else (status, code, message)."""
    hdr = {}
    for n, v in header_pairs:
        hdr.setdefault(n.lower(), v)
    auth = parse_authorization(hdr.get("authorization", ""))
    if auth is None:
        return 400, "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."
    amz_date = hdr.get("x-amz-date")
    t = amz_date_epoch(amz_date) if amz_date else None
    if t is None:
        return 400, "IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    if t < now - 300:
        return 400, "InvalidSignatureException", "Signature expired: %s is now earlier than %s (%s - 5 min.)" % (
            amz_date, fmt_amz(now - 300), fmt_amz(now))
    if t > now + 300:
        return 400, "InvalidSignatureException", "Signature not yet current: %s is still later than %s (%s + 5 min.)" % (
            amz_date, fmt_amz(now + 300), fmt_amz(now))
    if "host" not in auth["signed"]:
        return 400, "InvalidSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization."
    if auth["terminator"] != "aws4_request" or auth["date8"] != amz_date[:8]:
        return 400, "InvalidSignatureException", "Credential should be scoped with a valid terminator and the date of X-Amz-Date."
    key = keys.get(auth["akid"])
    if key is None:
        return 400, "UnrecognizedClientException", "The security token included in the request is invalid."
    secret, token = key
    if token is not None and hdr.get("x-amz-security-token") != token:
        return 400, "UnrecognizedClientException", "The security token included in the request is invalid."
    payload = hdr.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    creq = canonical_request(method, path, query, header_pairs, auth["signed"], payload)
    if creq is None:
        return 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided (a signed header is missing)."
    scope = "/".join([auth["date8"], auth["region"], auth["service"], "aws4_request"])
    want = signature(secret, auth["date8"], auth["region"], auth["service"], string_to_sign(amz_date, scope, creq))
    if not hmac.compare_digest(want, auth["signature"]):
        return 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    return None


def self_test():
    body = (b'{"logGroupName":"/aws/eks/demo/cluster","startTime":1672000000,"endTime":1672003600,'
            b'"queryString":"fields @timestamp, @message | sort @timestamp asc","limit":10000}')
    headers = [("Host", "logs.us-east-1.amazonaws.com"), ("X-Amz-Target", "Logs_20140328.StartQuery"),
               ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Date", "20150830T123600Z")]
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    scope = "20150830/us-east-1/logs/aws4_request"
    ok = True
    for token, signed, want_hash, want_sig in [
        (None, ["content-type", "host", "x-amz-date", "x-amz-target"],
         "b435b5e445ac571ef066446d24d89f3b9ed94cb540391ca08c771d243fe990df",
         "c8053e3eb4041a7fa0a83f199ce4726aabd6f63d90b30e8cf2ac8ae688e1d20a"),
        ("AQoDYXdzEPT//////////wEXAMPLEtoken",
         ["content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"],
         "eb4e876d77ad119813c61b25684e18bf687ef16292dd52bffc7d12dd3da3c3e3",
         "cdb689ff02161e691ef1bafcc349284f23d139da6a62508e736329beb0f19f5d")]:
        hp = headers + ([("X-Amz-Security-Token", token)] if token else [])
        creq = canonical_request("POST", "/", "", hp, signed, hashlib.sha256(body).hexdigest())
        sts = string_to_sign("20150830T123600Z", scope, creq)
        got_hash = sts.rsplit("\n", 1)[1]
        got_sig = signature(secret, "20150830", "us-east-1", "logs", sts)
        print("%s string-to-sign hash %s" % ("ok" if got_hash == want_hash else "FAIL", got_hash))
        print("%s signature %s" % ("ok" if got_sig == want_sig else "FAIL", got_sig))
        ok = ok and got_hash == want_hash and got_sig == want_sig
    # a few canonicalisation rules
    for got, want in [(canonical_uri("/a/./b/../c//d"), "/a/c/d"), (canonical_uri("/%41 b"), "/%2541%20b"),
                      (canonical_query("b=2&a=%2F&a=1&c"), "a=%2F&a=1&b=2&c=")]:
        print("%s %s" % ("ok" if got == want else "FAIL", got))
        ok = ok and got == want
    return 0 if ok else 1


# ---- server ------------------------------------------------------------------


class State:
    def __init__(self, rules, log_path, keys, clock_offset):
        self.rules = rules
        self.counters = [0] * len(rules)
        self.lock = threading.Lock()
        self.log_path = log_path
        self.log_lock = threading.Lock()
        self.keys = keys
        self.clock_offset = clock_offset

    def now(self):
        return time.time() + self.clock_offset

    def next_response(self, i):
        with self.lock:
            responses = self.rules[i].get("responses") or [{}]
            n = self.counters[i]
            self.counters[i] += 1
            return min(n, len(responses) - 1), responses[min(n, len(responses) - 1)]

    def log(self, entry):
        if not self.log_path:
            return
        line = json.dumps(entry) + "\n"
        with self.log_lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()


def rule_matches(m, req):
    if "method" in m and m["method"].upper() != req["method"]:
        return False
    if "path" in m and m["path"] != req["path"]:
        return False
    if "path_prefix" in m and not req["path"].startswith(m["path_prefix"]):
        return False
    if "target" in m:
        t = req["hdr"].get("x-amz-target")
        if t is None or not (t == m["target"] or t.endswith("." + m["target"])):
            return False
    if "action" in m and req["action"] != m["action"]:
        return False
    for k, v in (m.get("query") or {}).items():
        got = req["query_params"].get(k)
        if got is None or (got[0] != v if not isinstance(v, list) else got != v):
            return False
    for k, v in (m.get("header") or {}).items():
        got = req["hdr"].get(k.lower())
        if v is None:
            if got is not None:
                return False
        elif v is True:
            if got is None:
                return False
        elif got != v:
            return False
    if "json" in m:
        obj = req["json"]
        if not isinstance(obj, dict):
            return False
        for k, v in m["json"].items():
            if obj.get(k, object()) != v:
                return False
    if "body_contains" in m and m["body_contains"] not in req["body_text"]:
        return False
    if "signed" in m and bool(m["signed"]) != ("authorization" in req["hdr"]):
        return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on keep-alive
    server_version = "fake_aws/1"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, BrokenPipeError, socket.timeout, OSError):
            self.close_connection = True

    def _dispatch(self):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        header_pairs = list(self.headers.items())
        hdr = {}
        for n, v in header_pairs:
            hdr.setdefault(n.lower(), v)
        body_text = body.decode("utf-8", "surrogateescape")
        query_params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        action = (query_params.get("Action") or [None])[0]
        if "x-www-form-urlencoded" in hdr.get("content-type", ""):
            form = urllib.parse.parse_qs(body_text, keep_blank_values=True)
            action = (form.get("Action") or [action])[0]
        try:
            obj = json.loads(body_text) if body_text.strip() else None
        except ValueError:
            obj = None
        req = {"method": self.command, "path": url.path, "query_params": query_params, "hdr": hdr,
               "action": action, "json": obj, "body_text": body_text}
        entry = {"time": time.time(), "client": list(self.client_address[:2]), "method": self.command,
                 "path": url.path, "query": url.query, "query_params": query_params,
                 "headers": [[n, v] for n, v in header_pairs], "body": body_text,
                 "rule": None, "response": None, "status": None}

        if "authorization" not in hdr or not hdr["authorization"].startswith("AWS4-"):
            entry["sigv4"] = "unsigned"
        elif not st.keys:
            entry["sigv4"] = "not-checked"
        else:
            bad = verify_sigv4(st.keys, st.now(), self.command, url.path, url.query, header_pairs, body)
            if bad:
                status, code, message = bad
                entry["sigv4"] = code + ": " + message
                entry["status"] = status
                st.log(entry)
                self._send(status, {"X-Amzn-ErrorType": code},
                           json.dumps({"__type": code, "message": message}).encode(), "json")
                return
            entry["sigv4"] = "ok"

        for i, rule in enumerate(st.rules):
            if rule_matches(rule.get("match") or {}, req):
                ri, resp = st.next_response(i)
                entry["rule"], entry["response"] = i, ri
                break
        else:
            msg = "fake_aws: no rule matches %s %s (X-Amz-Target: %s)" % (
                self.command, url.path, hdr.get("x-amz-target"))
            entry["status"] = 404
            st.log(entry)
            self._send(404, {}, json.dumps({"__type": "FakeAwsNoRule", "message": msg}).encode(), "json")
            return

        if resp.get("reset") or resp.get("close"):
            st.log(entry)
            if resp.get("delay_ms"):
                time.sleep(resp["delay_ms"] / 1000.0)
            self.close_connection = True
            try:
                if resp.get("reset"):
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.connection.close()
            return

        status = int(resp.get("status", 200))
        headers = dict(resp.get("headers") or {})
        kind = None
        if "error" in resp:
            code = resp["error"]
            payload = json.dumps({"__type": code, "message": resp.get("message", code)}).encode()
            headers.setdefault("X-Amzn-ErrorType", code)
            kind = "json"
        elif "query_error" in resp:
            code = resp["query_error"]
            payload = ("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>"
                       "<Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                       "<RequestId>%s</RequestId></ErrorResponse>" % (
                           xml_escape(code), xml_escape(resp.get("message", code)), uuid.uuid4())).encode()
            headers.setdefault("Content-Type", "text/xml")
        elif "json" in resp:
            payload = json.dumps(resp["json"]).encode()
            kind = "json"
        else:
            payload = str(resp.get("body", "")).encode("utf-8", "surrogateescape")
        entry["status"] = status
        st.log(entry)
        if resp.get("delay_ms"):
            time.sleep(resp["delay_ms"] / 1000.0)
        self._send(status, headers, payload, kind, truncate=resp.get("truncate"))

    def _send(self, status, headers, payload, kind, truncate=None):
        st = self.server.state
        lower = {k.lower() for k in headers}
        self.send_response_only(status)
        self.send_header("Server", self.server_version)
        if "date" not in lower:
            self.send_header("Date", email.utils.formatdate(st.now(), usegmt=True))
        if "x-amzn-requestid" not in lower:
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if "content-type" not in lower:
            self.send_header("Content-Type", "application/x-amz-json-1.1" if kind == "json" else "text/plain")
        for k, v in headers.items():
            if k.lower() != "content-length":
                self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(payload)))
        if truncate is not None or str(headers.get("Connection", "")).lower() == "close":
            self.close_connection = True
        # headers and body in one write
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(payload if truncate is None else payload[:int(truncate)])
        data = b"".join(self._headers_buffer)
        self._headers_buffer = []
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # keep stderr quiet on client resets
        pass


def parse_keys(specs):
    keys = {}
    for spec in specs:
        parts = spec.split(":", 2)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise SystemExit("fake_aws: --verify-sigv4 wants AKID:SECRET[:TOKEN]")
        keys[parts[0]] = (parts[1], parts[2] if len(parts) == 3 and parts[2] else None)
    return keys


def main():
    ap = argparse.ArgumentParser(description="scriptable fake AWS endpoint (see the docstring)")
    ap.add_argument("--port-file")
    ap.add_argument("--script")
    ap.add_argument("--log")
    ap.add_argument("--verify-sigv4", action="append", default=[])
    ap.add_argument("--clock-offset", type=float, default=0.0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if not a.port_file:
        ap.error("--port-file is required")
    rules = []
    if a.script:
        with open(a.script, encoding="utf-8") as f:
            rules = json.load(f)
        if not isinstance(rules, list):
            raise SystemExit("fake_aws: the script must be a JSON list of rules")
    specs = list(a.verify_sigv4)
    env = os.environ.get("FAKE_AWS_VERIFY_SIGV4")
    if env:
        specs += [s for s in env.split(",") if s]
    state = State(rules, a.log, parse_keys(specs), a.clock_offset)
    httpd = Server((a.host, 0), Handler)
    httpd.state = state
    if a.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    port = httpd.server_address[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, a.port_file)

    def stop(signum, frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        httpd.serve_forever(poll_interval=0.1)
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
