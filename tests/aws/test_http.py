#!/usr/bin/env python3
"""The HTTP layer through aws_call_cli: body cap, TLS failures not retried,
methods and Content-Type on the wire, response headers captured, keep-alive,
and the per-request latency against the fake (printed for the record)."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from awsutil import (BODY, EX_OK, EX_UNAVAILABLE, TARGET, FakeAws, header, ok_json,  # noqa: E402
                     run_cli)


class Http(unittest.TestCase):
    def test_body_cap(self):
        with FakeAws([{"match": {}, "responses": [{"body": "x" * 5000}]}]) as fake:
            r = run_cli(fake.url, "--target", TARGET, "--body", BODY, "--max-body", "1000")
            big = run_cli(fake.url, "--target", TARGET, "--body", BODY, "--max-body", "5000")
            n = len(fake.log())
        self.assertEqual(r.rc, EX_UNAVAILABLE)
        self.assertEqual((r.call["kind"], r.call["attempts"]), ("bad-response", 1))
        self.assertIn("response body over 1000 bytes", r.call["message"])
        self.assertEqual(big.rc, EX_UNAVAILABLE, "5000 bytes fit, but it is not JSON")
        self.assertIn("not valid JSON", big.call["message"])
        self.assertEqual(n, 2)

    def test_tls_error_not_retried(self):
        with FakeAws([{"match": {}, "responses": [ok_json({})]}]) as fake:
            url = fake.url.replace("http://", "https://")
            r = run_cli(url, "--target", TARGET, "--body", BODY, "--insecure-loopback")
        self.assertEqual(r.rc, EX_UNAVAILABLE)
        self.assertEqual((r.call["kind"], r.call["attempts"]), ("transport", 1))
        self.assertIn("TLS error", r.call["message"])

    @unittest.skipUnless(shutil.which("openssl"), "no openssl command to make a test certificate")
    def test_tls_verification(self):
        with tempfile.TemporaryDirectory() as d:
            cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-keyout", key, "-out", cert], check=True, capture_output=True)
            other = os.path.join(d, "other.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=other", "-keyout", os.path.join(d, "okey.pem"), "-out", other],
                           check=True, capture_output=True)
            with FakeAws([{"match": {}, "responses": [ok_json({"queryId": "q"})]}], tls=(cert, key)) as fake:
                args = ["--target", TARGET, "--body", BODY]
                untrusted = run_cli(fake.url, *args)
                wrong_ca = run_cli(fake.url, *args, "--ca-bundle", other)
                trusted = run_cli(fake.url, *args, "--ca-bundle", cert)
                by_name = run_cli(fake.url.replace("127.0.0.1", "localhost"), *args, "--ca-bundle", cert)
                insecure = run_cli(fake.url, *args, "--insecure-loopback")
                n = len(fake.log())
        for r in (untrusted, wrong_ca):
            self.assertEqual(r.rc, EX_UNAVAILABLE)
            self.assertEqual((r.call["kind"], r.call["attempts"]), ("transport", 1), "TLS errors are not retried")
            self.assertIn("TLS error", r.call["message"])
        for r in (trusted, by_name, insecure):
            self.assertEqual(r.rc, EX_OK, r.stdout + r.stderr)
        self.assertEqual(n, 3)

    def test_methods_and_content_type(self):
        rules = [{"match": {"action": "GetCallerIdentity"},
                  "responses": [ok_json({"GetCallerIdentityResponse": {}})]},
                 {"match": {}, "responses": [{"body": "plain", "headers": {"x-amzn-RequestId": "rid-42"}}]}]
        with FakeAws(rules) as fake:
            sts = run_cli(fake.url, "--service", "sts", "--operation", "GetCallerIdentity",
                          "--header", "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                          "--header", "Accept: application/json",
                          "--body", "Action=GetCallerIdentity&Version=2011-06-15")
            get = run_cli(fake.url, "--method", "GET", "--path", "/x")
            put = run_cli(fake.url, "--method", "PUT", "--path", "/y", "--body", "data")
            log = fake.log()
        for r in (sts, get, put):
            self.assertEqual(r.rc, EX_OK, r.stdout)
        self.assertEqual(header(log[0], "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8")
        self.assertEqual(header(log[0], "Accept"), "application/json")
        self.assertIn("/sts/aws4_request", header(log[0], "Authorization"))
        self.assertIn("accept;content-type;host", header(log[0], "Authorization"))
        self.assertEqual(log[1]["method"], "GET")
        self.assertIsNone(header(log[1], "Content-Type"))
        self.assertEqual(log[1]["body"], "")
        self.assertEqual((log[2]["method"], log[2]["body"]), ("PUT", "data"))
        self.assertIsNone(header(log[2], "Content-Type"))
        self.assertEqual(get.call["request_id"], "rid-42")
        self.assertEqual(get.call["body"], "plain", "no JSON check outside awsJson calls")

    def test_reset_on_reused_connection(self):
        """libcurl re-sends a request whose reused keep-alive connection died
        before any byte came back; the retry loop does not see it."""
        rules = [{"match": {}, "responses": [ok_json({}), {"reset": True}, ok_json({"queryId": "q"})]}]
        with FakeAws(rules) as fake:
            r = run_cli(fake.url, "--target", TARGET, "--body", "{}", "--repeat", "2")
            log = fake.log()
        self.assertEqual([c["rc"] for c in r.calls], [0, 0])
        self.assertEqual(r.calls[1]["attempts"], 1)
        self.assertEqual(len(log), 3)
        self.assertEqual(header(log[1], "amz-sdk-request"), header(log[2], "amz-sdk-request"))

    def test_latency(self):
        n = 300
        with FakeAws([{"match": {"target": "GetQueryResults"},
                       "responses": [ok_json({"results": [], "status": "Complete"})]}]) as fake:
            r = run_cli(fake.url, "--target", "Logs_20140328.GetQueryResults", "--body", '{"queryId":"q"}',
                        "--repeat", str(n))
            log = fake.log()
        self.assertEqual(r.rc, EX_OK)
        self.assertEqual(len(r.calls), n)
        self.assertEqual(len({tuple(e["client"]) for e in log}), 1, "keep-alive: one connection")
        curl_ms = sorted(c["seconds"] * 1000 for c in r.calls)
        wall_ms = sorted(c["wall_ms"] for c in r.calls)
        p = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
        print("# latency over %d signed calls on one connection: curl total p50 %.2f ms p95 %.2f ms max %.2f ms; "
              "aws_request (sign + headers + perform) p50 %.2f ms p95 %.2f ms; first call %.2f ms"
              % (n, p(curl_ms, .5), p(curl_ms, .95), curl_ms[-1], p(wall_ms, .5), p(wall_ms, .95),
                 r.calls[0]["wall_ms"]))
        self.assertLess(statistics.median(wall_ms), 50)


if __name__ == "__main__":
    unittest.main(verbosity=2)
