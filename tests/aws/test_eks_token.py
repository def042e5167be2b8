#!/usr/bin/env python3
"""The EKS token (src/aws/eks_token.c, through tests/unit/k8s_cli.c) against
its oracle, `aws eks get-token` (AWS CLI v1) run with the same credentials,
region, endpoint settings and signing time: the tokens must be equal byte for
byte.  The CLI's clock is fixed by a sitecustomize module on PYTHONPATH that
replaces botocore's get_current_datetime; each case checks the CLI's
X-Amz-Date, so a fix that did not take is a failure, not a pass.  The
signature is also checked on its own with botocore (tests/fake_k8s.py's
verifier, the one the fake API server uses), including that it binds the
cluster name.  Exit 77 (skip) only when the aws CLI is not installed."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from awsutil import AKID, SANITIZER_RE, SECRET, SOURCE_ROOT, TOKEN, clean_env  # noqa: E402
from fake_k8s import Denied, check_url, decode_token, verify_signature  # noqa: E402

CLI = os.environ.get("K8S_CLI") or os.path.join(SOURCE_ROOT, "build", "tests", "aws", "k8s_cli")
WHEN = 1796660000  # 2026-12-07T16:13:20Z
SITECUSTOMIZE = '''
import datetime, os
import botocore.auth, botocore.compat, botocore.signers
def _fixed(remove_tzinfo=True):
    d = datetime.datetime.fromtimestamp(int(os.environ["EKS_TOKEN_TEST_TIME"]), datetime.timezone.utc)
    return d.replace(tzinfo=None) if remove_tzinfo else d
botocore.compat.get_current_datetime = _fixed
botocore.auth.get_current_datetime = _fixed
botocore.signers.get_current_datetime = _fixed
import awscli.customizations.eks.get_token as _gt  # the expirationTimestamp's clock
_gt.get_current_datetime = _fixed
'''


def url_of(token):
    b = token[len("k8s-aws-v1."):]
    return base64.urlsafe_b64decode(b + "=" * (-len(b) % 4)).decode()


class Token(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="eks_token.")
        with open(os.path.join(cls.dir.name, "sitecustomize.py"), "w") as f:
            f.write(SITECUSTOMIZE)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def env(self, token=TOKEN, **extra):
        home = os.path.join(self.dir.name, "home")
        os.makedirs(home, exist_ok=True)
        return clean_env(HOME=home, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=token,
                         AWS_CONFIG_FILE=os.path.join(home, "none"),
                         AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "none"), **extra)

    def ours(self, cluster, region, env, when=WHEN):
        p = subprocess.run([CLI, "token", "--cluster", cluster, "--region", region, "--time", str(when)],
                           env=env, capture_output=True, text=True, timeout=60)
        if SANITIZER_RE.search(p.stderr):
            raise AssertionError("sanitizer report:\n" + p.stderr)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return json.loads(p.stdout)

    def cli(self, cluster, region, env):
        e = dict(env, PYTHONPATH=self.dir.name, EKS_TOKEN_TEST_TIME=str(WHEN))
        p = subprocess.run(["aws", "eks", "get-token", "--cluster-name", cluster, "--region", region,
                            "--output", "json"], env=e, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        token = out["status"]["token"]
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(url_of(token)).query)
        self.assertEqual(q["X-Amz-Date"], [time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(WHEN))],
                         "the CLI's clock was not fixed")
        return out

    def same(self, cluster, region, token=TOKEN, **extra):
        env = self.env(token, **extra)
        ours, theirs = self.ours(cluster, region, env), self.cli(cluster, region, env)
        self.assertEqual(url_of(ours["token"]), url_of(theirs["status"]["token"]))
        self.assertEqual(ours["token"], theirs["status"]["token"])
        self.assertEqual(ours["expiration"], theirs["status"]["expirationTimestamp"])
        return url_of(ours["token"])

    def test_regional_with_session_token(self):
        url = self.same("prod", "eu-west-1")
        self.assertTrue(url.startswith("https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&"
                                       "Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&"), url)
        self.assertIn("&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Security-Token=", url)
        self.assertFalse(url_of(self.ours("prod", "eu-west-1", self.env())["token"]).endswith("="))

    def test_long_term_keys(self):
        url = self.same("my_cluster-2", "ap-southeast-2", token=None)
        self.assertNotIn("X-Amz-Security-Token", url)

    def test_legacy_global_endpoint(self):
        url = self.same("prod", "us-east-1", AWS_STS_REGIONAL_ENDPOINTS="legacy")
        self.assertTrue(url.startswith("https://sts.amazonaws.com/?"), url)
        self.assertIn("%2Fus-east-1%2Fsts%2Faws4_request", url)

    def test_endpoint_override_with_a_path(self):
        url = self.same("prod", "eu-central-1", AWS_ENDPOINT_URL_STS="http://127.0.0.1:4566/sts-prefix")
        self.assertTrue(url.startswith("http://127.0.0.1:4566/sts-prefix?Action="), url)

    def test_china_partition(self):
        url = self.same("prod", "cn-north-1")
        self.assertTrue(url.startswith("https://sts.cn-north-1.amazonaws.com.cn/?"), url)

    def test_signature_verifies_and_binds_the_cluster(self):
        now = time.time()
        token = self.ours("prod", "eu-west-1", self.env(), when=int(now))["token"]
        url = decode_token(token)
        _, params = check_url(url, None, now)
        ident = {"access_key_id": AKID, "secret_access_key": SECRET, "session_token": TOKEN, "arn": "x"}
        self.assertIs(verify_signature(url, params, "prod", {AKID: ident}), ident)
        with self.assertRaisesRegex(Denied, "SignatureDoesNotMatch"):
            verify_signature(url, params, "prod2", {AKID: ident})
        with self.assertRaisesRegex(Denied, "SignatureDoesNotMatch"):
            verify_signature(url, params, "prod", {AKID: dict(ident, secret_access_key=SECRET + "x")})

    def test_bad_cluster_name_and_no_credentials(self):
        for bad in ["", "with space", "tab\tname", "x" * 256]:
            p = subprocess.run([CLI, "token", "--cluster", bad, "--region", "eu-west-1"], env=self.env(),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 64, bad)
            self.assertIn("cluster name", json.loads(p.stdout)["message"])
        env = self.env()
        del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        p = subprocess.run([CLI, "token", "--cluster", "prod", "--region", "eu-west-1"], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 78, p.stdout)


if __name__ == "__main__":
    if not shutil.which("aws"):
        print("SKIP: the aws CLI is not installed: it is the oracle of this test")
        sys.exit(77)
    unittest.main(verbosity=2)
