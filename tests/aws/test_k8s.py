#!/usr/bin/env python3
"""The Kubernetes API client (src/k8s_api.c) with real EKS tokens
(src/aws/eks_token.c), through tests/unit/k8s_cli.c, against
tests/fake_k8s.py: an HTTPS API server with a CA made for this run, which
checks each token as aws-iam-authenticator does (signature verified with
botocore), maps it by the cluster's mode and writes the authenticator's log
lines."""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from awsutil import SANITIZER_RE, SOURCE_ROOT, clean_env, read_log, start_fake, stop  # noqa: E402
from fake_k8s import make_certs  # noqa: E402

CLI = os.environ.get("K8S_CLI") or os.path.join(SOURCE_ROOT, "build", "tests", "aws", "k8s_cli")
FAKE = os.environ.get("FAKE_K8S") or os.path.join(SOURCE_ROOT, "tests", "fake_k8s.py")
ACCOUNT = "111122223333"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/session+token="
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


def ident(akid, arn, user_id, token=None):
    return {"access_key_id": akid, "secret_access_key": "secret/" + akid, "session_token": token,
            "arn": arn, "user_id": user_id}


DEPLOY = ident("ASIADEPLOYEXAMPLE", "arn:aws:sts::%s:assumed-role/deploy/ci@example.com" % ACCOUNT,
               "AROADEPLOYEXAMPLE:ci@example.com", SESSION_TOKEN)
NOBODY = ident("ASIANOBODYEXAMPLE", "arn:aws:sts::%s:assumed-role/nobody/s2" % ACCOUNT, "AROANOBODYEXAMPLE:s2",
               SESSION_TOKEN)
ALICE = ident("AKIAALICEEXAMPLE", "arn:aws:iam::%s:user/alice" % ACCOUNT, "AIDAALICEEXAMPLE")
PATHED = ident("ASIAPATHEDEXAMPLE", "arn:aws:sts::%s:assumed-role/builder/s3" % ACCOUNT, "AROAPATHED:s3",
               SESSION_TOKEN)

MAP_ROLES = """- rolearn: arn:aws:iam::%(a)s:role/ci/builder
  username: builder
  groups:
    - system:masters
- rolearn: arn:aws:iam::%(a)s:role/deploy
  username: "deploy:{{SessionName}}"
  groups: [deployers]
""" % {"a": ACCOUNT}
MAP_USERS = """- userarn: arn:aws:iam::%s:user/alice
  username: alice
  groups:
  - system:masters
""" % ACCOUNT

DATA = {
    "account": ACCOUNT, "region": "eu-west-1",
    "identities": [DEPLOY, NOBODY, ALICE, PATHED],
    "clusters": [
        {"name": "prod", "authenticationMode": "API_AND_CONFIG_MAP",
         "access_entries": [{"principalArn": "arn:aws:iam::%s:role/team/deploy" % ACCOUNT, "type": "STANDARD",
                             "username": "deploy", "kubernetesGroups": ["deployers"],
                             "policies": [{"policyArn": VIEW,
                                           "accessScope": {"type": "namespace", "namespaces": ["dev"]}}]}],
         "aws_auth": {"mapRoles": MAP_ROLES, "mapUsers": MAP_USERS}},
        {"name": "old", "version": "1.27", "review_versions": ["v1beta1"], "authenticationMode": "CONFIG_MAP",
         "aws_auth": {"mapRoles": MAP_ROLES}},
    ],
}


class FakeK8s:
    def __init__(self, tmp, tls_dir, cluster):
        self.tmp, self.tls_dir, self.cluster = tmp, tls_dir, cluster

    def __enter__(self):
        d = tempfile.mkdtemp(prefix="fake_k8s.", dir=self.tmp)
        self.log_path, self.events = os.path.join(d, "log.jsonl"), os.path.join(d, "events.jsonl")
        data = os.path.join(d, "data.json")
        with open(data, "w") as f:
            json.dump(DATA, f)
        port_file = os.path.join(d, "port")
        self.proc, port = start_fake([sys.executable, FAKE, "--port-file", port_file, "--data", data, "--cluster",
                                      self.cluster, "--tls-dir", self.tls_dir, "--log", self.log_path,
                                      "--events-out", self.events], clean_env(), port_file)
        self.url = "https://127.0.0.1:%d" % port
        return self

    def __exit__(self, *exc):
        stop(self.proc)
        return False

    def log(self):
        return read_log(self.log_path)

    def lines(self):
        return read_log(self.events)


class K8s(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="test_k8s.")
        cls.tls = os.path.join(cls.tmp.name, "tls")
        cls.ca = make_certs(cls.tls)[0]
        cls.other_ca = make_certs(os.path.join(cls.tmp.name, "other"))[0]
        cls.prod = FakeK8s(cls.tmp.name, cls.tls, "prod").__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.prod.__exit__(None, None, None)
        cls.tmp.cleanup()

    def run_cli(self, who, cmd, *args, cluster="prod", server=None, ca=None, when=None, verbose=False):
        env = clean_env(HOME=self.tmp.name, AWS_ACCESS_KEY_ID=who["access_key_id"],
                        AWS_SECRET_ACCESS_KEY=who["secret_access_key"], AWS_SESSION_TOKEN=who["session_token"],
                        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        argv = [CLI, cmd, "--cluster", cluster, "--region", "eu-west-1", "--server", server or self.prod.url]
        argv += ["--ca", ca or self.ca] if not any(a == "--ca-data" for a in args) else []
        if when is not None:
            argv += ["--time", str(when)]
        if verbose:
            argv.append("-v")
        p = subprocess.run(argv + list(args), env=env, capture_output=True, text=True, timeout=60)
        if SANITIZER_RE.search(p.stderr):
            raise AssertionError("sanitizer report:\n" + p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(p.returncode, out["rc"], p.stdout + p.stderr)
        return out, p.stderr

    def last_line(self, fake=None):
        return (fake or self.prod).lines()[-1]["message"]

    def test_accepted_access_entry_with_a_path(self):
        out, _ = self.run_cli(DEPLOY, "review")
        self.assertEqual((out["rc"], out["accepted"], out["http_status"], out["api_version"]), (0, 1, 201, "v1"))
        self.assertEqual(out["username"], "deploy")
        self.assertEqual(out["groups"], ["deployers", "system:authenticated"])
        self.assertEqual(out["uid"], "aws-iam-authenticator:%s:AROADEPLOYEXAMPLE" % ACCOUNT)
        self.assertEqual(out["extra"]["canonicalArn"], ["arn:aws:iam::%s:role/deploy" % ACCOUNT])
        self.assertEqual(out["extra"]["arn"], [DEPLOY["arn"]])
        lines = [e["message"] for e in self.prod.lines()[-2:]]
        self.assertRegex(lines[0], r'^time="[^"]+" level=info msg="STS response" accesskeyid=ASIADEPLOYEXAMPLE '
                         r'accountid=111122223333 arn="arn:aws:sts::111122223333:assumed-role/deploy/ci@example.com" '
                         r'client="127\.0\.0\.1:\d+" method=POST path=/authenticate session=ci@example.com '
                         r'stsendpoint=sts\.eu-west-1\.amazonaws\.com userid=AROADEPLOYEXAMPLE$')
        self.assertRegex(lines[1], r'level=info msg="access granted" arn="arn:aws:iam::111122223333:role/deploy" '
                         r'client="127\.0\.0\.1:\d+" groups="\[deployers\]" method=POST path=/authenticate '
                         r'stsendpoint=sts\.eu-west-1\.amazonaws\.com '
                         r'uid="aws-iam-authenticator:111122223333:AROADEPLOYEXAMPLE" username=deploy$')
        ev = self.prod.lines()[-1]
        self.assertEqual(ev["group"], "/aws/eks/prod/cluster")
        self.assertRegex(ev["stream"], r"^authenticator-[0-9a-f]{32}$")
        self.assertLess(abs(ev["ts"] / 1000 - time.time()), 60)

    def test_unmapped_is_401(self):
        out, _ = self.run_cli(NOBODY, "review")
        self.assertEqual((out["rc"], out["accepted"], out["http_status"], out["username"], out["groups"]),
                         (0, 0, 401, None, []))
        self.assertRegex(self.last_line(), r'level=warning msg="access denied" '
                         r'arn="arn:aws:iam::111122223333:role/nobody" client="[^"]+" '
                         r'error="identity is not mapped" method=POST path=/authenticate$')

    def test_aws_auth_role_with_a_path_never_matches(self):
        out, _ = self.run_cli(PATHED, "review")
        self.assertEqual((out["accepted"], out["http_status"]), (0, 401))
        self.assertIn('error="identity is not mapped"', self.last_line())

    def test_token_for_another_cluster_is_401(self):
        with FakeK8s(self.tmp.name, self.tls, "old") as old:
            out, _ = self.run_cli(DEPLOY, "review", cluster="prod", server=old.url)
            self.assertEqual((out["rc"], out["accepted"], out["http_status"]), (0, 0, 401))
            line = self.last_line(old)
            self.assertIn('msg="access denied" client=', line)
            self.assertIn("sts getCallerIdentity failed: error from AWS (expected 200, got 403) on eu-west-1 "
                          "endpoint. Body: {\\\"Error\\\":{\\\"Code\\\":\\\"SignatureDoesNotMatch\\\"", line)
            self.assertNotIn(" arn=", line)

    def test_expired_token_is_401(self):
        when = int(time.time()) - 20 * 60
        out, _ = self.run_cli(DEPLOY, "review", when=when)
        self.assertEqual((out["accepted"], out["http_status"]), (0, 401))
        self.assertIn('error="input token was not properly formatted: X-Amz-Date parameter is expired '
                      '(15 minute expiration) %s"' % time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime(when)),
                      self.last_line())
        out, _ = self.run_cli(DEPLOY, "review", when=int(time.time()) - 10 * 60)
        self.assertEqual((out["accepted"], out["http_status"]), (1, 201))

    def test_wrong_ca_fails_and_cannot_be_turned_off(self):
        before = len(self.prod.log())
        for extra in ([], ["--insecure-loopback"]):
            out, _ = self.run_cli(DEPLOY, "review", *extra, ca=self.other_ca)
            self.assertEqual((out["rc"], out["fail"]), (69, "tls"), out)
            self.assertRegex(out["message"], r"^SelfSubjectReview: TLS error: .*\(is the cluster's CA the right one\?\)$")
            self.assertNotIn("\n", out["message"])
        self.assertEqual(len(self.prod.log()), before, "a request got through")
        out, _ = self.run_cli(DEPLOY, "review", server=self.prod.url.replace("https:", "http:"))
        self.assertEqual(out["rc"], 78)
        self.assertIn("is not https://HOST", out["message"])

    def test_ca_from_base64(self):
        with open(self.ca, "rb") as f:
            b64 = base64.b64encode(f.read()).decode()
        out, _ = self.run_cli(DEPLOY, "review", "--ca-data", b64)
        self.assertEqual((out["rc"], out["accepted"]), (0, 1))
        out, _ = self.run_cli(DEPLOY, "review", "--ca-data", "not base64!")
        self.assertEqual(out["rc"], 65)
        out, _ = self.run_cli(DEPLOY, "review", "--ca-data", base64.b64encode(b"no certificate").decode())
        self.assertEqual((out["rc"], out["message"]), (65, "the cluster CA holds no PEM certificate"))

    def test_configmap(self):
        out, _ = self.run_cli(ALICE, "configmap", "kube-system", "aws-auth")
        self.assertEqual((out["rc"], out["http_status"]), (0, 200))
        self.assertEqual(out["object"]["data"]["mapRoles"], MAP_ROLES)
        self.assertEqual(out["object"]["kind"], "ConfigMap")
        out, _ = self.run_cli(DEPLOY, "configmap", "kube-system", "aws-auth")
        self.assertEqual((out["rc"], out["http_status"], out["object"]), (77, 403, None))
        self.assertIn('HTTP 403: configmaps "aws-auth" is forbidden: User "deploy" cannot get resource', out["message"])
        out, _ = self.run_cli(NOBODY, "configmap", "kube-system", "aws-auth")
        self.assertEqual((out["rc"], out["http_status"]), (77, 401))
        out, _ = self.run_cli(ALICE, "configmap", "kube-system", "Bad_Name")
        self.assertEqual(out["rc"], 64)

    def test_v1beta1_on_kubernetes_1_27(self):
        with FakeK8s(self.tmp.name, self.tls, "old") as old:
            out, _ = self.run_cli(DEPLOY, "review", cluster="old", server=old.url)
            self.assertEqual((out["rc"], out["accepted"], out["api_version"]), (0, 1, "v1beta1"))
            self.assertEqual(out["username"], "deploy:ci-example.com")
            self.assertEqual([e["path"] for e in old.log()],
                             ["/apis/authentication.k8s.io/v1/selfsubjectreviews",
                              "/apis/authentication.k8s.io/v1beta1/selfsubjectreviews"])

    def test_verbose_never_shows_the_token(self):
        out, err = self.run_cli(DEPLOY, "review", verbose=True)
        self.assertEqual(out["accepted"], 1)
        self.assertIn("Authorization: [redacted]", err)
        self.assertNotIn("k8s-aws-v1.", err)
        self.assertNotIn("X-Amz-Signature", err)
        self.assertNotIn(SESSION_TOKEN, err)
        self.assertNotIn(DEPLOY["secret_access_key"], err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
