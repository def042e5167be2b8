#!/usr/bin/env python3
"""fake_eks.py: a fake Amazon EKS endpoint for the calls the diagnosis makes
(Python 3 stdlib; botocore to check signatures, as tests/fake_logs.py).

usage:
  python3 tests/fake_eks.py --port-file PATH --data FILE [--log FILE]
                            [--verify-sigv4 AKID:SECRET[:TOKEN]]...
  python3 tests/fake_eks.py --self-test

It binds 127.0.0.1:0, writes the port to PATH (atomically) and answers the REST-JSON
operations of the EKS API reference (https://docs.aws.amazon.com/eks/latest/APIReference/,
botocore's data/eks/2017-11-01/service-2.json), all GETs:

  ListClusters                  /clusters?maxResults=&nextToken=
  DescribeCluster               /clusters/{name}
  ListAccessEntries             /clusters/{name}/access-entries?maxResults=&nextToken=
  DescribeAccessEntry           /clusters/{name}/access-entries/{principalArn}
  ListAssociatedAccessPolicies  /clusters/{name}/access-entries/{principalArn}/access-policies

Path labels arrive percent-encoded (botocore encodes every byte of a label but
A-Za-z0-9-._~, so an ARN's ':' and '/' too); the log keeps the raw path.

As the service does:
  - an unknown cluster: 404 ResourceNotFoundException, "No cluster found for name: X."
    (the message AWS sends, which moto copies);
  - an unknown access entry: 404 ResourceNotFoundException;
  - the access-entry calls on a CONFIG_MAP cluster (or one without an access
    config): 400 InvalidRequestException, the mode must be API or API_AND_CONFIG_MAP;
  - maxResults outside 1-100, or a nextToken this fake did not hand out:
    400 InvalidParameterException;
  - pages of at most maxResults items (fewer with the data file's "page_size", as
    a service may answer), a nextToken while more remain, none on the last page;
  - errors carry the header x-amzn-ErrorType and the body {"message": ...}
    (ResourceNotFoundException also "clusterName"), Content-Type application/json;
  - timestamps are epoch seconds with a fraction (the REST-JSON default).

Data (--data FILE, JSON):
  {"account": "111122223333", "region": "us-east-1", "page_size": 100,
   "deny": ["DescribeCluster", ...],       403 AccessDeniedException for these operations
                                            ("DescribeCluster:NAME": for that cluster only)
   "list_extra": ["a b", 7, ...],           appended to ListClusters' names as they are
                                            (hostile or malformed answers)
   "clusters": [
     {"name": "prod", "version": "1.31", "status": "ACTIVE",
      "authenticationMode": "API" | "API_AND_CONFIG_MAP" | "CONFIG_MAP" | null,
                                            null / absent: no accessConfig at all (old clusters)
      "bootstrapClusterCreatorAdminPermissions": true,
      "logging": ["api", "authenticator"],  the enabled types (absent: none)
      "roleArn": "...", "createdAt": 1700000000.5,
      "extra": {...},                       merged into the cluster object as is (tests of odd answers)
      "access_entries": [
        {"principalArn": "arn:aws:iam::111122223333:role/ops/deploy",
         "type": "STANDARD", "username": "...", "kubernetesGroups": ["..."],
         "policies": [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                       "accessScope": {"type": "namespace", "namespaces": ["dev"]}}]}]}]}

SigV4 (--verify-sigv4, repeatable, or $FAKE_AWS_VERIFY_SIGV4 entries separated by ','):
every request must be signed for the service "eks" and verify with botocore's signer
(the canonical URI encodes the raw path once more, as for every service but S3);
otherwise 403 InvalidSignatureException (400 for a malformed or unknown-key request).

Log (--log FILE): one JSON object per request:
  {"time", "method", "path" (raw), "query", "op", "status", "sigv4",
   "access_key", "scope_region"}   (from the Authorization header's Credential=, or null)
"""

import argparse
import base64
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_logs import QuietHandler, make_verifier, serve  # noqa: E402

CREATED = 1700000000.123
MODE_ERROR = ("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] "
              "to perform this operation.")


def error(status, code, message, **extra):
    body = dict(extra)
    body["message"] = message
    return status, {"x-amzn-ErrorType": code}, body


class Eks:
    def __init__(self, data):
        self.account = data.get("account", "111122223333")
        self.region = data.get("region", "us-east-1")
        self.page_size = int(data.get("page_size", 100))
        self.deny = set(data.get("deny", []))
        self.clusters = {c["name"]: c for c in data.get("clusters", [])}
        self.list_extra = data.get("list_extra", [])

    def cluster_json(self, c):
        name = c["name"]
        out = {
            "name": name,
            "arn": "arn:aws:eks:%s:%s:cluster/%s" % (self.region, self.account, name),
            "createdAt": c.get("createdAt", CREATED),
            "version": c.get("version", "1.31"),
            "endpoint": "https://%s.gr7.%s.eks.amazonaws.com" % (uuid.uuid5(uuid.NAMESPACE_DNS, name).hex[:32].upper(),
                                                                self.region),
            "roleArn": c.get("roleArn", "arn:aws:iam::%s:role/eks-cluster-role" % self.account),
            "resourcesVpcConfig": {"subnetIds": ["subnet-0123456789abcdef0"], "endpointPublicAccess": True},
            "kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4"},
            "logging": {"clusterLogging": self.logging(c.get("logging", []))},
            "identity": {"oidc": {"issuer": "https://oidc.eks.%s.amazonaws.com/id/EXAMPLE" % self.region}},
            "status": c.get("status", "ACTIVE"),
            "certificateAuthority": {"data": base64.b64encode(b"-----BEGIN CERTIFICATE-----\nfake\n"
                                                              b"-----END CERTIFICATE-----\n").decode()},
            "platformVersion": "eks.10",
            "tags": {},
        }
        if c.get("authenticationMode"):
            out["accessConfig"] = {"authenticationMode": c["authenticationMode"]}
            if "bootstrapClusterCreatorAdminPermissions" in c:
                out["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] = c[
                    "bootstrapClusterCreatorAdminPermissions"]
        out.update(c.get("extra", {}))
        return out

    @staticmethod
    def logging(enabled):
        types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
        on = [t for t in types if t in enabled]
        off = [t for t in types if t not in enabled]
        out = []
        if on:
            out.append({"types": on, "enabled": True})
        if off:
            out.append({"types": off, "enabled": False})
        return out

    def page(self, items, query):
        """-> (items of this page, next token) or an error tuple."""
        mr = query.get("maxResults", ["100"])[0]
        if not re.fullmatch(r"\d+", mr) or not 1 <= int(mr) <= 100:
            return error(400, "InvalidParameterException", "maxResults must be between 1 and 100")
        start = 0
        if "nextToken" in query:
            try:
                text = base64.urlsafe_b64decode(query["nextToken"][0] + "==").decode()
            except ValueError:
                text = ""
            m = re.fullmatch(r"fake-(\d+)", text)
            if not m or int(m.group(1)) > len(items):
                return error(400, "InvalidParameterException", "The nextToken provided is invalid.")
            start = int(m.group(1))
        n = min(int(mr), self.page_size)
        end = start + n
        token = base64.urlsafe_b64encode(("fake-%d" % end).encode()).decode().rstrip("=") if end < len(items) else None
        return items[start:end], token

    def handle(self, raw_path, query):
        """-> (op, status, headers, body obj)."""
        parts = raw_path.split("/")
        if raw_path == "/clusters":
            return self.list_clusters(query)
        if len(parts) < 3 or parts[0] != "" or parts[1] != "clusters":
            return (None,) + error(404, "UnknownOperationException", "Unknown operation")
        labels = [urllib.parse.unquote(p) for p in parts[2:]]
        if len(labels) == 1:
            op = "DescribeCluster"
        elif len(labels) == 2 and labels[1] == "access-entries":
            op = "ListAccessEntries"
        elif len(labels) == 3 and labels[1] == "access-entries":
            op = "DescribeAccessEntry"
        elif len(labels) == 4 and labels[1] == "access-entries" and labels[3] == "access-policies":
            op = "ListAssociatedAccessPolicies"
        else:
            return (None,) + error(404, "UnknownOperationException", "Unknown operation")
        name = labels[0]
        if op in self.deny or "%s:%s" % (op, name) in self.deny:
            return (op,) + error(403, "AccessDeniedException",
                                 "User: arn:aws:iam::%s:user/tester is not authorized to perform: eks:%s on "
                                 "resource: arn:aws:eks:%s:%s:cluster/%s"
                                 % (self.account, op, self.region, self.account, name))
        c = self.clusters.get(name)
        if c is None:
            return (op,) + error(404, "ResourceNotFoundException", "No cluster found for name: %s." % name,
                                 clusterName=None)
        if op == "DescribeCluster":
            return op, 200, {}, {"cluster": self.cluster_json(c)}
        if c.get("authenticationMode") not in ("API", "API_AND_CONFIG_MAP"):
            return (op,) + error(400, "InvalidRequestException", MODE_ERROR)
        entries = c.get("access_entries", [])
        if op == "ListAccessEntries":
            res = self.page([e["principalArn"] for e in entries], query)
            if len(res) == 3:
                return (op,) + res
            body = {"accessEntries": res[0]}
            if res[1]:
                body["nextToken"] = res[1]
            return op, 200, {}, body
        entry = next((e for e in entries if e["principalArn"] == labels[2]), None)
        if entry is None:
            return (op,) + error(404, "ResourceNotFoundException",
                                 "The specified access entry resource is not found.", clusterName=name)
        if op == "DescribeAccessEntry":
            body = {"clusterName": name, "principalArn": entry["principalArn"],
                    "kubernetesGroups": entry.get("kubernetesGroups", []),
                    "accessEntryArn": "arn:aws:eks:%s:%s:access-entry/%s/x" % (self.region, self.account, name),
                    "createdAt": CREATED, "modifiedAt": CREATED + 60, "tags": {},
                    "username": entry.get("username", "session"), "type": entry.get("type", "STANDARD")}
            return op, 200, {}, {"accessEntry": body}
        res = self.page([dict(p, associatedAt=CREATED, modifiedAt=CREATED) for p in entry.get("policies", [])], query)
        if len(res) == 3:
            return (op,) + res
        body = {"clusterName": name, "principalArn": entry["principalArn"], "associatedAccessPolicies": res[0]}
        if res[1]:
            body["nextToken"] = res[1]
        return op, 200, {}, body


    def list_clusters(self, query):
        op = "ListClusters"
        if op in self.deny:
            return (op,) + error(403, "AccessDeniedException",
                                 "User: arn:aws:iam::%s:user/tester is not authorized to perform: eks:ListClusters on "
                                 "resource: arn:aws:eks:%s:%s:cluster/*" % (self.account, self.region, self.account))
        res = self.page(list(self.clusters) + self.list_extra, query)
        if len(res) == 3:
            return (op,) + res
        body = {"clusters": res[0]}
        if res[1]:
            body["nextToken"] = res[1]
        return op, 200, {}, body


def check_signature(verify, method, path, headers):
    """A request's SigV4 for the service "eks" (verify: make_verifier's, or None to
    accept anything): None when fine, else the error (status, headers, body)."""
    if not verify:
        return None
    hdr = {k.lower(): v for k, v in headers.items()}
    m = re.search(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request", hdr.get("authorization", ""))
    if m and m.group(1) != "eks":
        return error(403, "InvalidSignatureException", "Credential should be scoped to correct service: 'eks'.")
    url = "http://%s%s" % (headers.get("Host"), path)
    sig = verify(method, url, list(headers.items()), b"")
    if sig == "ok" or sig.startswith("not-checked"):
        return None
    code, _, message = sig.partition(": ")
    return error(403 if code == "InvalidSignatureException" else 400, code, message)


class Handler(QuietHandler):
    server_version = "fake_eks/1"

    def send(self, status, headers, obj):
        payload = json.dumps(obj).encode()
        self.send_response_only(status)
        self.send_header("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Type", "application/json")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        scope = re.search(r"Credential=([^/]+)/\d{8}/([^/]+)/", self.headers.get("Authorization", ""))
        entry = {"time": time.time(), "method": self.command, "path": url.path, "query": url.query,
                 "op": None, "sigv4": "unsigned" if "Authorization" not in self.headers
                 else "ok" if self.server.verify else "not-checked",
                 "access_key": scope.group(1) if scope else None, "scope_region": scope.group(2) if scope else None}
        bad = check_signature(self.server.verify, self.command, self.path, self.headers)
        if bad:
            entry["sigv4"] = bad[1]["x-amzn-ErrorType"] + ": " + bad[2]["message"]
            status, headers, body = bad
        else:
            op, status, headers, body = self.server.eks.handle(
                url.path, urllib.parse.parse_qs(url.query, keep_blank_values=True))
            entry["op"] = op
        entry["status"] = status
        self.server.log(entry)
        self.send(status, headers, body)

    def do_POST(self):
        self.send(*error(404, "UnknownOperationException", "this fake answers GETs only"))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass

    def log(self, entry):
        if not self.log_path:
            return
        with self.log_lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")


def self_test():
    eks = Eks({"page_size": 2, "clusters": [
        {"name": "a", "authenticationMode": "API",
         "access_entries": [{"principalArn": "arn:aws:iam::1:role/r%d" % i} for i in range(5)]},
        {"name": "old"}], "list_extra": [7]})
    ok = True
    def read_pages(path, key):
        """every page of a list operation: (last op, items, pages)"""
        items, token, pages = [], None, 0
        while True:
            q = {"maxResults": ["100"]}
            if token:
                q["nextToken"] = [token]
            op, st, h, body = eks.handle(path, q)
            pages += 1
            items += body[key]
            token = body.get("nextToken")
            if not token:
                return op, items, pages

    op, seen, pages = read_pages("/clusters/a/access-entries", "accessEntries")
    good = pages == 3 and len(seen) == 5
    print("%s paging: %d pages, %d entries" % ("ok" if good else "FAIL", pages, len(seen)))
    ok = ok and good
    op, st, h, body = eks.handle("/clusters/old", {})
    good = st == 200 and "accessConfig" not in body["cluster"]
    print("%s an old cluster has no accessConfig" % ("ok" if good else "FAIL"))
    ok = ok and good
    op, st, h, body = eks.handle("/clusters/old/access-entries", {})
    good = st == 400 and h["x-amzn-ErrorType"] == "InvalidRequestException"
    print("%s access entries on a CONFIG_MAP cluster: %s" % ("ok" if good else "FAIL", body["message"]))
    ok = ok and good
    op, st, h, body = eks.handle("/clusters/a/access-entries/" + urllib.parse.quote("arn:aws:iam::1:role/r3", safe=""), {})
    good = st == 200 and body["accessEntry"]["principalArn"] == "arn:aws:iam::1:role/r3"
    print("%s DescribeAccessEntry with an encoded ARN" % ("ok" if good else "FAIL"))
    ok = ok and good
    op, names, pages = read_pages("/clusters", "clusters")
    good = op == "ListClusters" and pages == 2 and names == ["a", "old", 7]
    print("%s ListClusters paging: %d pages, %r" % ("ok" if good else "FAIL", pages, names))
    ok = ok and good
    op, st, h, body = eks.handle("/clusters/nope", {})
    good = st == 404 and body["message"] == "No cluster found for name: nope."
    print("%s unknown cluster" % ("ok" if good else "FAIL"))
    return 0 if ok and good else 1


def main():
    ap = argparse.ArgumentParser(description="fake Amazon EKS endpoint (see the docstring)")
    ap.add_argument("--port-file")
    ap.add_argument("--data")
    ap.add_argument("--log")
    ap.add_argument("--verify-sigv4", action="append", default=[])
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if not a.port_file or not a.data:
        ap.error("--port-file and --data are required")
    with open(a.data, encoding="utf-8") as f:
        data = json.load(f)
    specs = list(a.verify_sigv4)
    env = os.environ.get("FAKE_AWS_VERIFY_SIGV4")
    if env:
        specs += [s for s in env.split(",") if s]
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.eks = Eks(data)
    httpd.verify = make_verifier(specs)
    httpd.log_path = a.log
    httpd.log_lock = threading.Lock()
    return serve(httpd, a.port_file)


if __name__ == "__main__":
    sys.exit(main())
