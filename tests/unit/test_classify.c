/* classify: every error string of the authenticator catalog (F1-F23,
 * S1-S7 with S2a-S2e, T1, M1-M13, the v0.1 msg), the fields extracted
 * from them, fix rendering, class names and EKS-internal principals. */
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "tap.h"

#define TOK "input token was not properly formatted: "
#define STS "sts getCallerIdentity failed: "
#define GOT403 STS "error from AWS (expected 200, got 403). Body: "
#define RID ",\"RequestId\":\"6a1c2f7e-0b5d-4c1e-9f11-2d3c4b5a6f70\"}"
#define BODY(code, m) "{\"Error\":{\"Code\":\"" code "\",\"Message\":\"" m "\",\"Type\":\"Sender\"}" RID

struct sample {
	const char *id;
	const char *msg;   /* NULL means "access denied" */
	const char *error;
	enum error_class cls;
	const char *code;  /* expected sts_code */
	int status;
	const char *region;
	const char *mapped;
};

static const struct sample samples[] = {
	/* 4.A token format */
	{"F1", NULL, TOK "token is too large", CLASS_TOKEN_NOT_IAM, "", 0, "", ""},
	{"F2", NULL, TOK "token is missing expected \"k8s-aws-v1.\" prefix", CLASS_TOKEN_NOT_IAM, "", 0, "", ""},
	{"F2 escaped", NULL, TOK "token is missing expected \\\"k8s-aws-v1.\\\" prefix", CLASS_TOKEN_NOT_IAM, "", 0, "", ""},
	{"F3", NULL, TOK "illegal base64 data at input byte 412", CLASS_TOKEN_MALFORMED, "", 0, "", ""},
	{"F3 v0.2", NULL, "illegal base64 data at input byte 8", CLASS_TOKEN_MALFORMED, "", 0, "", ""},
	{"F4", NULL, TOK "parse \"https://sts.amazonaws.com/?Action=GetCallerIdentity%zz\": invalid URL escape \"%zz\"", CLASS_TOKEN_MALFORMED, "", 0, "", ""},
	{"F4 control", NULL, TOK "parse \"\\x01https://x\": net/url: invalid control character in URL", CLASS_TOKEN_MALFORMED, "", 0, "", ""},
	{"F5", NULL, TOK "unexpected scheme \"http\" in pre-signed URL", CLASS_TOKEN_MALFORMED, "", 0, "", ""},
	{"F6", NULL, TOK "unexpected hostname \"sts.amazonaws.com.cn\" in pre-signed URL", CLASS_TOKEN_WRONG_HOST, "", 0, "", ""},
	{"F6 v0.3", NULL, TOK "unexpected hostname in pre-signed URL", CLASS_TOKEN_WRONG_HOST, "", 0, "", ""},
	{"F7", NULL, TOK "could not parse region for pre-signed URL sts..amazonaws.com, invalid label", CLASS_TOKEN_WRONG_HOST, "", 0, "", ""},
	{"F8", NULL, TOK "global endpoint unsupported in partition aws-cn", CLASS_TOKEN_WRONG_HOST, "", 0, "", ""},
	{"F9", NULL, TOK "invalid region identifier format provided: us_east_1", CLASS_TOKEN_WRONG_HOST, "", 0, "", ""},
	{"F10", NULL, TOK "partition {aws-cn} does not support hostname sts.us-east-1.amazonaws.com", CLASS_TOKEN_WRONG_HOST, "", 0, "", ""},
	{"F11", NULL, "invalid host format, too few labels: [sts com]", CLASS_TOKEN_WRONG_HOST, "", 0, "", ""},
	{"F12", NULL, TOK "unexpected path in pre-signed URL", CLASS_TOKEN_MALFORMED, "", 0, "", ""},
	{"F13", NULL, TOK "malformed query parameter", CLASS_TOKEN_MALFORMED, "", 0, "", ""},
	{"F14", NULL, TOK "duplicate query parameter found: \"X-Amz-Date\"", CLASS_TOKEN_BAD_PARAMS, "", 0, "", ""},
	{"F15", NULL, TOK "non-whitelisted query parameter \"x-id\"", CLASS_TOKEN_BAD_PARAMS, "", 0, "", ""},
	{"F16", NULL, TOK "query parameter with multiple values not supported", CLASS_TOKEN_BAD_PARAMS, "", 0, "", ""},
	{"F17", NULL, TOK "unexpected action parameter in pre-signed URL", CLASS_TOKEN_BAD_PARAMS, "", 0, "", ""},
	{"F18", NULL, TOK "client did not sign the x-k8s-aws-id header in the pre-signed URL", CLASS_TOKEN_UNSIGNED_CLUSTER_ID, "", 0, "", ""},
	{"F19", NULL, TOK "invalid X-Amz-Expires parameter in pre-signed URL: 0", CLASS_TOKEN_BAD_PARAMS, "", 0, "", ""},
	{"F19 v0.3", NULL, TOK "invalid X-Amz-Expires parameter in pre-signed URL", CLASS_TOKEN_BAD_PARAMS, "", 0, "", ""},
	{"F20", NULL, TOK "X-Amz-Date parameter must be present in pre-signed URL", CLASS_TOKEN_BAD_PARAMS, "", 0, "", ""},
	{"F21", NULL, TOK "error parsing X-Amz-Date parameter 2021-11-18 into format 20060102T150405Z: parsing time \"2021-11-18\" as \"20060102T150405Z\": cannot parse \"-11-18\" as \"01\"", CLASS_TOKEN_BAD_PARAMS, "", 0, "", ""},
	{"F22", NULL, TOK "X-Amz-Date parameter is expired (15 minute expiration) 2021-11-18 07:11:46 +0000 UTC", CLASS_TOKEN_EXPIRED, "", 0, "", ""},
	{"F23", NULL, TOK "error creating HTTP request: net/http: invalid method \"G T\"", CLASS_TOKEN_MALFORMED, "", 0, "", ""},

	/* 4.B STS */
	{"S1", NULL, STS "error from AWS (expected 200, got 403)", CLASS_STS_REJECTED, "", 403, "", ""},
	{"S2a", NULL, GOT403 BODY("InvalidClientTokenId", "The security token included in the request is invalid."), CLASS_INVALID_CLIENT_TOKEN, "InvalidClientTokenId", 403, "", ""},
	{"S2a v0.6.28", NULL, STS "error from AWS (expected 200, got 403) on eu-west-1 endpoint. Body: " BODY("InvalidClientTokenId", "The security token included in the request is invalid."), CLASS_INVALID_CLIENT_TOKEN, "InvalidClientTokenId", 403, "eu-west-1", ""},
	{"S2a global", NULL, STS "error from AWS (expected 200, got 403) on global endpoint. Body: " BODY("InvalidClientTokenId", "The security token included in the request is invalid."), CLASS_INVALID_CLIENT_TOKEN, "InvalidClientTokenId", 403, "global", ""},
	{"S2a escaped", NULL, GOT403 "{\\\"Error\\\":{\\\"Code\\\":\\\"InvalidClientTokenId\\\",\\\"Message\\\":\\\"The security token included in the request is invalid.\\\",\\\"Type\\\":\\\"Sender\\\"}}", CLASS_INVALID_CLIENT_TOKEN, "InvalidClientTokenId", 403, "", ""},
	{"S2a unrecognized", NULL, GOT403 BODY("UnrecognizedClientException", "The security token included in the request is invalid."), CLASS_INVALID_CLIENT_TOKEN, "UnrecognizedClientException", 403, "", ""},
	{"S2b", NULL, GOT403 BODY("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."), CLASS_SIGNATURE_MISMATCH, "SignatureDoesNotMatch", 403, "", ""},
	{"S2c expired", NULL, GOT403 BODY("SignatureDoesNotMatch", "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)"), CLASS_CLOCK_SKEW, "SignatureDoesNotMatch", 403, "", ""},
	{"S2c not yet", NULL, STS "error from AWS (expected 200, got 403) on us-east-2 endpoint. Body: " BODY("SignatureDoesNotMatch", "Signature not yet current: 20240101T001500Z is still later than 20240101T001000Z (20240101T000500Z + 5 min.)"), CLASS_CLOCK_SKEW, "SignatureDoesNotMatch", 403, "us-east-2", ""},
	{"S2d", NULL, GOT403 BODY("ExpiredToken", "The security token included in the request is expired"), CLASS_EXPIRED_CREDENTIALS, "ExpiredToken", 403, "", ""},
	{"S2d text", NULL, STS "The security token included in the request is expired", CLASS_EXPIRED_CREDENTIALS, "", 0, "", ""},
	{"S2e", NULL, STS "error from AWS (expected 200, got 403) on ap-east-1 endpoint. Body: " BODY("RegionDisabledException", "STS is not activated in this region for account:111122223333. Your account administrator can activate STS in this region using the IAM Console."), CLASS_STS_REGION_DISABLED, "RegionDisabledException", 403, "ap-east-1", ""},
	{"S2e text", NULL, GOT403 BODY("AccessDenied", "STS is not activated in this region for account:111122223333."), CLASS_STS_REGION_DISABLED, "AccessDenied", 403, "", ""},
	{"S2e region text", NULL, STS "The AWS STS endpoint for the AWS Region me-south-1 is not enabled", CLASS_STS_REGION_DISABLED, "", 0, "", ""},
	{"S2 AccessDenied", NULL, GOT403 BODY("AccessDenied", "User is not authorized to perform: sts:GetCallerIdentity"), CLASS_STS_REJECTED, "AccessDenied", 403, "", ""},
	{"S2 throttled", NULL, STS "error from AWS (expected 200, got 400). Body: " BODY("Throttling", "Rate exceeded"), CLASS_STS_THROTTLED, "Throttling", 400, "", ""},
	{"S2 ThrottlingException", NULL, STS "error from AWS (expected 200, got 400) on us-west-2 endpoint. Body: " BODY("ThrottlingException", "Rate exceeded"), CLASS_STS_THROTTLED, "ThrottlingException", 400, "us-west-2", ""},
	{"S3", NULL, STS "error during GET: Get \"https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15\": dial tcp: lookup sts.us-east-1.amazonaws.com: i/o timeout", CLASS_STS_UNREACHABLE, "", 0, "", ""},
	{"S3 v0.6.28", NULL, STS "error during GET: Get \"https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity\": context deadline exceeded (Client.Timeout exceeded while awaiting headers) on us-east-1 endpoint", CLASS_STS_UNREACHABLE, "", 0, "us-east-1", ""},
	{"S4", NULL, STS "error reading HTTP result: unexpected EOF", CLASS_STS_UNREACHABLE, "", 0, "", ""},
	{"S5", NULL, STS "invalid character '<' looking for beginning of value", CLASS_STS_BAD_RESPONSE, "", 0, "", ""},
	{"S5 eof", NULL, STS "unexpected end of JSON input", CLASS_STS_BAD_RESPONSE, "", 0, "", ""},
	{"S6 invalid", NULL, STS "arn 'arn:aws:sts' is invalid: 'arn: not enough sections'", CLASS_STS_BAD_RESPONSE, "", 0, "", ""},
	{"S6 partition", NULL, STS "arn 'arn:aws-xx:sts::111122223333:assumed-role/r/s' does not have a recognized partition", CLASS_STS_BAD_RESPONSE, "", 0, "", ""},
	{"S6 role", NULL, STS "assumed-role arn 'arn:aws:sts::111122223333:assumed-role' does not have a role", CLASS_STS_BAD_RESPONSE, "", 0, "", ""},
	{"S6 sts", NULL, STS "unrecognized resource federated-thing/x for service sts", CLASS_STS_BAD_RESPONSE, "", 0, "", ""},
	{"S6 iam", NULL, STS "unrecognized resource group/admins for service iam", CLASS_STS_BAD_RESPONSE, "", 0, "", ""},
	{"S6 service", NULL, STS "service s3 in arn arn:aws:s3:::bucket is not a valid service for identities", CLASS_STS_BAD_RESPONSE, "", 0, "", ""},
	{"S6 v0.1", NULL, "malformed ARN \"arn:aws:sts\"", CLASS_STS_BAD_RESPONSE, "", 0, "", ""},
	{"S7", NULL, STS "malformed UserID \"AROAEXAMPLEID\"", CLASS_STS_BAD_RESPONSE, "", 0, "", ""},
	{"T1", NULL, "sts getCallerIdentity was throttled: " BODY("Throttling", "Rate exceeded"), CLASS_STS_THROTTLED, "Throttling", 429, "", ""},

	/* 4.C identity mapping */
	{"M1", NULL, "ARN is not mapped: arn:aws:iam::111122223333:role/github_oidc", CLASS_NOT_MAPPED, "", 0, "", "arn:aws:iam::111122223333:role/github_oidc"},
	{"M1 redacted", NULL, "ARN is not mapped: arn:aws:iam::xxxx:role/github_oidc", CLASS_NOT_MAPPED, "", 0, "", "arn:aws:iam::xxxx:role/github_oidc"},
	{"M2", NULL, "ARN is not mapped", CLASS_NOT_MAPPED, "", 0, "", ""},
	{"M3", NULL, "Identity is not mapped", CLASS_NOT_MAPPED, "", 0, "", ""},
	{"M4", NULL, "identity is not mapped", CLASS_NOT_MAPPED, "", 0, "", ""},
	{"M5", NULL, "mapper DynamicFile Map error: ARN does not match User ID", CLASS_ARN_USERID_MISMATCH, "", 0, "", ""},
	{"M5 other", NULL, "mapper CRD Map error: informer cache not synced", CLASS_MAPPER_ERROR, "", 0, "", ""},
	{"M5 joined", NULL, "[mapper EKSConfigMap Map error: boom, mapper DynamicFile Map error: bang]", CLASS_MAPPER_ERROR, "", 0, "", ""},
	{"M6", NULL, "failed mapping username: template: username:1: function \"Foo\" not defined", CLASS_MAPPER_ERROR, "", 0, "", ""},
	{"M6 group", NULL, "failed mapping group: unknown template variable", CLASS_MAPPER_ERROR, "", 0, "", ""},
	{"M7", NULL, "mapper EKSConfigMap renderTemplates error: error rendering username template \"{{SessionNameRaw}}\": template: x: bad", CLASS_MAPPER_ERROR, "", 0, "", ""},
	{"M8", NULL, "failed mapping username: SessionName did not contain an instance id", CLASS_TEMPLATE_NO_INSTANCE_ID, "", 0, "", ""},
	{"M8 v0.5", NULL, "mapper EKSConfigMap renderTemplates error: error rendering username template \"system:node:{{EC2PrivateDNSName}}\": SessionName did not contain an instance id", CLASS_TEMPLATE_NO_INSTANCE_ID, "", 0, "", ""},
	{"M9 v2", NULL, "mapper DynamicFile renderTemplates error: error rendering username template \"system:node:{{EC2PrivateDNSName}}\": failed querying private DNS from EC2 API for node i-0afd2d724ffcaca4a: operation error EC2: DescribeInstances, StatusCode: 403, api error UnauthorizedOperation: User: arn:aws:sts::111122223333:assumed-role/prod-cluster-role/aws-go-sdk-1 is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action", CLASS_EC2_DESCRIBE_DENIED, "", 0, "", ""},
	{"M9 v1", NULL, "mapper EKSConfigMap renderTemplates error: error rendering username template \"system:node:{{EC2PrivateDNSName}}\": failed querying private DNS from EC2 API for node i-0123456789abcdef0: UnauthorizedOperation: You are not authorized to perform this operation.\n\tstatus code: 403, request id: 0e1f2a3b ", CLASS_EC2_DESCRIBE_DENIED, "", 0, "", ""},
	{"M9 AccessDenied", NULL, "failed mapping username: failed querying private DNS from EC2 API for node i-0123456789abcdef0: AccessDenied: denied", CLASS_EC2_DESCRIBE_DENIED, "", 0, "", ""},
	{"M9 cross-account", NULL, "mapper EKSConfigMap renderTemplates error: error rendering username template \"system:node:{{EC2PrivateDNSName}}\": failed querying private DNS from EC2 API for node i-0511459bcc017119f: operation error EC2: DescribeInstances, api error InvalidInstanceID.NotFound: The instance ID 'i-0511459bcc017119f' does not exist", CLASS_EC2_INSTANCE_NOT_FOUND, "", 0, "", ""},
	{"M10", NULL, "mapper EKSConfigMap renderTemplates error: error rendering username template \"system:node:{{EC2PrivateDNSName}}\": failed to find node i-0123456789abcdef0 ", CLASS_EC2_INSTANCE_NOT_FOUND, "", 0, "", ""},
	{"M10 cache", NULL, "failed to find node i-0123456789abcdef0 in PrivateDNSNameCache returning from loop", CLASS_EC2_INSTANCE_NOT_FOUND, "", 0, "", ""},
	{"M10 id", NULL, "mapper EKSConfigMap renderTemplates error: error rendering username template \"system:node:{{EC2PrivateDNSName}}\": instance id not found", CLASS_EC2_INSTANCE_NOT_FOUND, "", 0, "", ""},
	{"M11", NULL, "failed mapping username: username or group is not a DNS-1123 hostname", CLASS_INVALID_USERNAME, "", 0, "", ""},
	{"M12", NULL, "invalid username 'eks:admin' for mapper EKSConfigMap: username must not begin with with the following prefixes: [eks: system:]", CLASS_RESERVED_USERNAME, "", 0, "", ""},
	{"M13", NULL, "mapper CRD Map error: IAMIdentityMapping index error: object has no arn", CLASS_MAPPER_ERROR, "", 0, "", ""},

	/* v0.1: the msg is the denial */
	{"v0.1", "access denied because ARN is not mapped", NULL, CLASS_NOT_MAPPED, "", 0, "", ""},

	/* negatives: nothing known */
	{"unknown", NULL, "something went sideways", CLASS_UNKNOWN, "", 0, "", ""},
	{"no error", NULL, NULL, CLASS_UNKNOWN, "", 0, "", ""},
	{"empty error", NULL, "", CLASS_UNKNOWN, "", 0, "", ""},
	{"EC2 error without STS", NULL, "operation error EC2: RequestLimitExceeded", CLASS_UNKNOWN, "", 0, "", ""},
};

static void test_samples(void)
{
	size_t seen[CLASS__COUNT] = {0};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const struct sample *s = &samples[i];
		struct classify_result r;
		const char *msg = s->msg ? s->msg : "access denied";
		size_t len = s->error ? strlen(s->error) : 0;
		is_int(classify_error(msg, s->error, len, &r), 0, "%s: classify_error", s->id);
		is_str(classify_name(r.cls), classify_name(s->cls), "%s: class", s->id);
		is_str(r.sts_code, s->code, "%s: sts_code", s->id);
		is_int(r.http_status, s->status, "%s: http_status", s->id);
		is_str(r.sts_region, s->region, "%s: sts_region", s->id);
		is_str(r.mapped_arn, s->mapped, "%s: mapped_arn", s->id);
		seen[s->cls]++;
	}
	for (int c = CLASS_NOT_MAPPED; c < CLASS__COUNT; c++)
		ok(seen[c] > 0, "class %s has a sample", classify_name((enum error_class)c));
}

static void test_edges(void)
{
	struct classify_result r;
	/* error_len, not a NUL, bounds the text: the unquoted error may hold NULs */
	const char with_nul[] = "ARN is not mapped\0 extra";
	is_int(classify_error("access denied", with_nul, sizeof(with_nul) - 1, &r), 0, "NUL inside error");
	is_int(r.cls, CLASS_NOT_MAPPED, "  still classified");
	is_int(classify_error("access denied", "token is too large", 5, &r), 0, "short length");
	is_int(r.cls, CLASS_UNKNOWN, "  only the first bytes are seen");
	is_int(classify_error(NULL, NULL, 0, &r), 0, "NULL msg and error");
	is_int(r.cls, CLASS_UNKNOWN, "  unknown");
	is_int(classify_error("x", "y", 1, NULL), -1, "NULL out");
	/* an ARN too long for mapped_arn is dropped, not truncated */
	size_t n = 3000;
	char *big = malloc(n + 1);
	if (big) {
		memset(big, 'a', n);
		memcpy(big, "ARN is not mapped: arn:aws:iam::111122223333:role/", 50);
		big[n] = '\0';
		classify_error("access denied", big, n, &r);
		is_int(r.cls, CLASS_NOT_MAPPED, "overlong ARN: class");
		is_str(r.mapped_arn, "", "  mapped_arn left empty");
		free(big);
	}
}

static void test_names(void)
{
	for (int c = 0; c < CLASS__COUNT; c++) {
		const char *name = classify_name((enum error_class)c);
		enum error_class back = CLASS__COUNT;
		ok(name != NULL, "class %d has a name", c);
		is_int(classify_from_name(name, &back), 0, "from_name(%s)", name ? name : "?");
		is_int(back, c, "  round trip %s", name ? name : "?");
		const char *cause = classify_cause((enum error_class)c);
		ok(cause && strlen(cause) > 20, "  %s has a cause", name ? name : "?");
	}
	is_str(classify_name(CLASS_NOT_MAPPED), "not_mapped", "public name not_mapped");
	is_str(classify_name(CLASS_TOKEN_UNSIGNED_CLUSTER_ID), "token_unsigned_cluster_id", "public name");
	ok(classify_name(CLASS__COUNT) == NULL, "name out of range");
	ok(classify_name((enum error_class)-1) == NULL, "negative class");
	ok(classify_cause(CLASS__COUNT) == NULL, "cause out of range");
	enum error_class e;
	is_int(classify_from_name("not-mapped", &e), -1, "unknown name");
	is_int(classify_from_name(NULL, &e), -1, "NULL name");
}

static struct buf notebuf = BUF_INIT, fixbuf = BUF_INIT, bothbuf = BUF_INIT;

/* The commands of the fix; the notes are in notebuf, both (notes, then
 * commands) in bothbuf. */
static const char *fixc(enum error_class c, const struct fix_ctx *ctx, int *lines)
{
	buf_reset(&notebuf);
	buf_reset(&fixbuf);
	buf_reset(&bothbuf);
	*lines = classify_fix(c, ctx, &notebuf, &fixbuf);
	buf_puts(&bothbuf, buf_str(&notebuf));
	buf_puts(&bothbuf, buf_str(&fixbuf));
	return buf_str(&fixbuf);
}

static const char *fix(enum error_class c, const char *arn, const char *cluster,
		       const char *region, const char *user, int *lines)
{
	struct fix_ctx ctx = {.arn = arn, .cluster = cluster, .region = region, .username = user};
	fixc(c, &ctx, lines);
	return buf_str(&bothbuf);
}

static int count_nl(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define has(s, sub, ...) ok(strstr((s), (sub)) != NULL, __VA_ARGS__)
#define hasnt(s, sub, ...) ok(strstr((s), (sub)) == NULL, __VA_ARGS__)

/* Every command line starts with a program name, never with prose. */
static int commands_only(const char *cmds)
{
	static const char *const programs[] = {"aws ", "eksctl ", "kubectl ", "date ", "sudo ", "export "};
	for (const char *line = cmds; *line; line = strchr(line, '\n') + 1) {
		size_t i;
		for (i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
			if (strncmp(line, programs[i], strlen(programs[i])) == 0)
				break;
		if (i == sizeof(programs) / sizeof(programs[0]))
			return 0;
	}
	return 1;
}

static void test_fix_not_mapped(void)
{
	int n;
	const char *f = fix(CLASS_NOT_MAPPED,
			    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-2/"
			    "AWSReservedSSO_AdminAccess_0123abcd4567ef89",
			    "prod", "us-east-2", NULL, &n);
	ok(n > 8, "not_mapped SSO: %d lines", n);
	is_int(count_nl(f), n, "  one line per step");
	ok(commands_only(buf_str(&fixbuf)), "  commands only in the command list");
	static const char first[] = "aws eks describe-cluster --name prod --region us-east-2 --query "
				    "cluster.accessConfig.authenticationMode --output text\n";
	ok(strncmp(buf_str(&fixbuf), first, strlen(first)) == 0,
	   "  mode unknown: the first command tells it");
	has(f, "aws sts get-caller-identity\n", "  who-am-i check");
	has(f, "aws eks update-kubeconfig --name prod --region us-east-2\n", "  update-kubeconfig");
	has(f, "eksctl create iamidentitymapping --cluster prod --region us-east-2 --arn "
	       "arn:aws:iam::111122223333:role/AWSReservedSSO_AdminAccess_0123abcd4567ef89 "
	       "--username AWSReservedSSO_AdminAccess --group system:masters\n", "  eksctl with canonical ARN");
	has(buf_str(&notebuf), "kubectl edit configmap aws-auth -n kube-system", "  aws-auth edit is a note");
	has(buf_str(&notebuf), "mapRoles: - {rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_AdminAccess_"
	    "0123abcd4567ef89, username: AWSReservedSSO_AdminAccess, groups: [system:masters]}\n", "  YAML, one line");
	hasnt(f, "userarn", "  no mapUsers snippet");
	has(buf_str(&notebuf), "/aws-reserved/sso.amazonaws.com/us-east-2/ was removed", "  path removal explained");
	has(buf_str(&notebuf), "permission-set suffix", "  SSO suffix note");
	has(buf_str(&notebuf), "If the first command prints CONFIG_MAP", "  labelled: CONFIG_MAP");
	has(buf_str(&notebuf), "If it prints API,", "  labelled: API");
	has(buf_str(&notebuf), "If it prints API_AND_CONFIG_MAP", "  labelled: API_AND_CONFIG_MAP");
	/* The role has a path nobody can see from the log: IAM is asked. */
	has(f, "aws eks create-access-entry --cluster-name prod --region us-east-2 --principal-arn "
	       "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-2/"
	       "AWSReservedSSO_AdminAccess_0123abcd4567ef89\n", "  access entry keeps the path it was logged with");
	has(f, "aws eks associate-access-policy --cluster-name prod --region us-east-2 --principal-arn "
	       "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-2/"
	       "AWSReservedSSO_AdminAccess_0123abcd4567ef89 --policy-arn "
	       "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy --access-scope type=cluster\n",
	    "  associate policy");
	has(buf_str(&notebuf), "Caution", "  caution note");
	has(buf_str(&notebuf), "--grant view", "  caution names the narrower grants");
	hasnt(buf_str(&fixbuf), "Caution", "  caution not among the commands");

	f = fix(CLASS_NOT_MAPPED, "arn:aws:iam::123456789012:role/gitlab-ci/deployer", "dev",
		"eu-west-1", "ci-deployer", &n);
	has(f, "--arn arn:aws:iam::123456789012:role/deployer --username ci-deployer", "path role: canonical + given username");
	has(f, "--principal-arn arn:aws:iam::123456789012:role/gitlab-ci/deployer\n", "  access entry keeps the path");
	has(f, "The path /gitlab-ci/ was removed", "  path line");
	hasnt(f, "permission-set", "  no SSO note");
	hasnt(f, "get-role", "  path known: no IAM lookup");

	f = fix(CLASS_NOT_MAPPED, "arn:aws:sts::123456789012:assumed-role/eks-admin/alice", "dev",
		"eu-west-1", NULL, &n);
	has(f, "- {rolearn: arn:aws:iam::123456789012:role/eks-admin, username: eks-admin,",
	    "assumed-role turned into its role");
	has(f, "--principal-arn \"$(aws iam get-role --role-name eks-admin --query Role.Arn --output text)\"\n",
	    "  access entry: the IAM ARN looked up");
	has(buf_str(&notebuf), "aws iam get-role", "  and why");
	hasnt(f, "was removed", "  no path line for a plain role");
	hasnt(f, "alice", "  session not used");
	hasnt(f, "Nothing at hand shows", "  a session told the kind: no guess note");

	f = fix(CLASS_NOT_MAPPED, "arn:aws:iam::123456789012:role/eks-admin", "dev", "eu-west-1", NULL, &n);
	has(buf_str(&notebuf), "Nothing at hand shows what eks-admin is", "canonical ARN only: the guess is said");

	f = fix(CLASS_NOT_MAPPED, "arn:aws:iam::123456789012:user/ops/carol", "dev", "eu-west-1", "", &n);
	has(f, "mapUsers: - {userarn: arn:aws:iam::123456789012:user/ops/carol, username: carol,", "user keeps path");
	has(f, "--principal-arn arn:aws:iam::123456789012:user/ops/carol\n", "  access entry: the user's ARN");
	hasnt(f, "rolearn", "  no mapRoles snippet");
	hasnt(f, "was removed", "  user path not removed");
	hasnt(f, "get-role", "  no role lookup for a user");

	f = fix(CLASS_NOT_MAPPED, "arn:aws-cn:iam::111122223333:role/cn-admin", "cn", "cn-north-1", NULL, &n);
	has(f, "--policy-arn arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
	    "aws-cn partition in policy ARN");

	f = fix(CLASS_NOT_MAPPED, NULL, NULL, NULL, NULL, &n);
	has(f, "--cluster '<cluster>' --region '<region>' --arn '<arn>' --username '<username>'",
	    "placeholders when missing, quoted: a shell would take <x> for a redirection");
	has(f, "- {rolearn: <arn>,", "  rolearn placeholder");
	has(f, "arn:aws:eks::aws:cluster-access-policy", "  default partition aws");
	hasnt(f, "was removed", "  no path line without ARN");

	f = fix(CLASS_NOT_MAPPED, "arn:aws:iam::111122223333:role/x", "", "", NULL, &n);
	has(f, "--cluster '<cluster>'", "empty cluster -> placeholder");

	/* Malformed values (issue 13 item 1): no command, a note that shows the
	 * value escaped and says why. */
	f = fix(CLASS_NOT_MAPPED, "not an arn", "prod", "eu-west-1", NULL, &n);
	is_str(buf_str(&fixbuf), "", "unparsable ARN: no command");
	has(buf_str(&notebuf), "The principal ARN \"not an arn\" is malformed (not an IAM or STS principal ARN): no "
	    "command is printed, since the commands need it.\n", "  the note says which value and why");
	ok(strncmp(buf_str(&notebuf), "The principal ARN", 17) == 0, "  first among the notes");
	is_int(count_nl(f), n, "  lines counted");

	f = fix(CLASS_NOT_MAPPED, "arn:aws:iam::111122223333:role/x", "bad\ncluster\x1b[2J", "r", NULL, &n);
	is_int(count_nl(f), n, "control characters cannot add lines");
	is_str(buf_str(&fixbuf), "", "  malformed cluster and region: no command");
	has(buf_str(&notebuf), "The cluster name \"bad\\x0acluster\\x1b[2J\" is malformed (", "  shown escaped");
	has(buf_str(&notebuf), "The region \"r\" is malformed (not a region name like us-east-1)", "  region too");

	static const char *const hostile[] = {
		"arn:aws:iam::111122223333:role/x$(touch${IFS}pwned)",
		"arn:aws:iam::111122223333:role/a;touch${IFS}pwned3;#",
		"arn:aws:sts::111122223333:assumed-role/a`id`/s1",
		"arn:aws:iam::111122223333:role/p$(id)/name",
		"arn:aws:iam::XXXXXXXXXXXX:role/redacted",
	};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		for (int c = CLASS_NOT_MAPPED; c < CLASS__COUNT; c++) {
			f = fix((enum error_class)c, hostile[i], "prod", "eu-west-1", NULL, &n);
			if (!strstr(buf_str(&notebuf), "is malformed"))
				continue; /* the class's fix does not need the ARN */
			is_str(buf_str(&fixbuf), "", "%s, %s: no command", hostile[i], classify_name((enum error_class)c));
		}
		f = fix(CLASS_NOT_MAPPED, hostile[i], "prod", "eu-west-1", NULL, &n);
		has(buf_str(&notebuf), "is malformed", "%s: not_mapped says it is malformed", hostile[i]);
		hasnt(buf_str(&fixbuf), "touch", "  no command holds it");
	}
	f = fix(CLASS_CLOCK_SKEW, hostile[0], "prod", "eu-west-1", NULL, &n);
	has(buf_str(&fixbuf), "sudo timedatectl set-ntp true\n", "a fix that needs no ARN keeps its commands");
	hasnt(buf_str(&notebuf), "malformed", "  and says nothing of it");
	f = fix(CLASS_TOKEN_NOT_IAM, hostile[0], "x;touch${IFS}p;#", "eu-west-1", NULL, &n);
	is_str(buf_str(&fixbuf), "", "token_not_iam, malformed cluster: no command");
	has(buf_str(&notebuf), "The cluster name \"x;touch${IFS}p;#\" is malformed", "  the cluster is named");
	hasnt(buf_str(&notebuf), "principal ARN", "  the ARN, which its commands do not use, is not");
	is_int(count_nl(buf_str(&notebuf)), n, "  one line, counted");
	f = fix(CLASS_NOT_MAPPED, "arn:aws:iam::111122223333:role/ok", "prod", "global", NULL, &n);
	has(buf_str(&fixbuf), "--region '<region>'", "region global (the STS global endpoint) is no region: placeholder");
	f = fix(CLASS_NOT_MAPPED, "arn:aws:iam::111122223333:role/ok", "prod", "eu-west-1", "bob\x1b[1m", &n);
	is_str(buf_str(&fixbuf), "", "a username with a control byte: no command");
	has(buf_str(&notebuf), "The username \"bob\\x1b[1m\" is malformed", "  the note shows it escaped");

	buf_reset(&fixbuf);
	buf_reset(&notebuf);
	n = classify_fix(CLASS_NOT_MAPPED, NULL, &notebuf, &fixbuf);
	ok(n > 0 && n == count_nl(buf_str(&fixbuf)) + count_nl(buf_str(&notebuf)), "NULL ctx works");
	has(buf_str(&fixbuf), "--principal-arn '<arn>'", "  with placeholders");
}

#define NODE_ARN "arn:aws:sts::111122223333:assumed-role/eks-prod-ng2-node-role/i-0011e1ed5e4b10462"
#define FARGATE_ARN "arn:aws:iam::111122223333:role/AmazonEKSFargatePodExecutionRole"
#define HUMAN_ARN "arn:aws:sts::111122223333:assumed-role/eks-admin/alice@example.com"
#define CI_ARN "arn:aws:sts::111122223333:assumed-role/github-deployer/GitHubActions"

static const char *const mode_names[] = {"unknown", "CONFIG_MAP", "API_AND_CONFIG_MAP", "API"};

/* One principal in one mode: the forms the mode reads, and only those. */
static void check_mode(const char *who, enum auth_mode mode, const char *cmds)
{
	const char *m = mode_names[mode];
	int cm = mode != AUTH_MODE_API, ae = mode != AUTH_MODE_CONFIG_MAP;
	ok((strstr(cmds, "eksctl create iamidentitymapping") != NULL) == cm, "  %s %s: aws-auth form %s", who, m,
	   cm ? "given" : "left out");
	ok((strstr(cmds, "aws eks create-access-entry") != NULL) == ae, "  %s %s: access entry %s", who, m,
	   ae ? "given" : "left out");
	ok((strstr(cmds, "describe-cluster") != NULL) == (mode == AUTH_MODE_UNKNOWN),
	   "  %s %s: the mode asked only when unknown", who, m);
	ok((strstr(buf_str(&notebuf), "If the first command prints") != NULL) == (mode == AUTH_MODE_UNKNOWN),
	   "  %s %s: forms labelled only when the mode is unknown", who, m);
	if (cm && ae) {
		const char *a = strstr(cmds, "aws eks create-access-entry"), *c = strstr(cmds, "eksctl create");
		ok(a && c && a < c, "  %s %s: access entry first", who, m);
	}
	ok(commands_only(cmds), "  %s %s: no note among the commands", who, m);
	hasnt(cmds, "# ", "  %s %s: no comment in a command", who, m);
}

static void test_fix_kinds(void)
{
	int n;
	for (int mode = AUTH_MODE_UNKNOWN; mode <= AUTH_MODE_API; mode++) {
		struct fix_ctx node = {.arn = NODE_ARN, .cluster = "prod", .region = "eu-west-1",
				       .mode = (enum auth_mode)mode};
		const char *f = fixc(CLASS_NOT_MAPPED, &node, &n);
		check_mode("node", (enum auth_mode)mode, f);
		hasnt(buf_str(&bothbuf), "--group system:masters", "  node: never system:masters");
		hasnt(buf_str(&bothbuf), "ClusterAdmin", "  node: never cluster admin");
		hasnt(f, "associate-access-policy", "  node: no access policy");
		hasnt(f, "get-caller-identity", "  node: no who-am-i");
		if (mode != AUTH_MODE_API)
			has(f, "eksctl create iamidentitymapping --cluster prod --region eu-west-1 --arn "
			       "arn:aws:iam::111122223333:role/eks-prod-ng2-node-role --username "
			       "'system:node:{{EC2PrivateDNSName}}' --group system:bootstrappers --group system:nodes\n",
			    "  node: aws-auth node mapping, path-less ARN");
		if (mode != AUTH_MODE_CONFIG_MAP)
			has(f, "aws eks create-access-entry --cluster-name prod --region eu-west-1 --principal-arn "
			       "\"$(aws iam get-role --role-name eks-prod-ng2-node-role --query Role.Arn --output text)\" "
			       "--type EC2_LINUX\n", "  node: EC2_LINUX entry with the IAM ARN");
		has(buf_str(&notebuf), "EC2_WINDOWS", "  node: the Windows variant named");

		struct fix_ctx win = node;
		win.kind = KIND_EC2_WINDOWS;
		f = fixc(CLASS_NOT_MAPPED, &win, &n);
		ok((strstr(f, "--type EC2_WINDOWS") != NULL) == (mode != AUTH_MODE_CONFIG_MAP), "  windows: EC2_WINDOWS");
		ok((strstr(f, "--group eks:kube-proxy-windows\n") != NULL) == (mode != AUTH_MODE_API),
		   "  windows: aws-auth group");
		hasnt(buf_str(&bothbuf), "system:masters", "  windows: never system:masters");

		struct fix_ctx fg = {.arn = FARGATE_ARN, .cluster = "prod", .region = "eu-west-1",
				     .mode = (enum auth_mode)mode, .grant = GRANT_VIEW};
		f = fixc(CLASS_NOT_MAPPED, &fg, &n);
		check_mode("fargate", (enum auth_mode)mode, f);
		hasnt(buf_str(&bothbuf), "system:masters", "  fargate: never system:masters");
		hasnt(buf_str(&bothbuf), "ClusterAdmin", "  fargate: never cluster admin");
		hasnt(buf_str(&bothbuf), "cluster-view", "  fargate: the grant is for people only");
		if (mode != AUTH_MODE_API)
			has(f, "--username 'system:node:{{SessionName}}' --group system:bootstrappers --group system:nodes "
			       "--group system:node-proxier\n", "  fargate: aws-auth Fargate mapping");
		if (mode != AUTH_MODE_CONFIG_MAP)
			has(f, "--type FARGATE_LINUX\n", "  fargate: FARGATE_LINUX entry");

		struct fix_ctx human = {.arn = HUMAN_ARN, .cluster = "prod", .region = "eu-west-1",
					.mode = (enum auth_mode)mode};
		f = fixc(CLASS_NOT_MAPPED, &human, &n);
		check_mode("human", (enum auth_mode)mode, f);
		ok((strstr(f, "--group system:masters\n") != NULL) == (mode != AUTH_MODE_API), "  human: admin by default");
		ok((strstr(f, "AmazonEKSClusterAdminPolicy") != NULL) == (mode != AUTH_MODE_CONFIG_MAP),
		   "  human: admin policy by default");
		has(buf_str(&notebuf), "Caution", "  human: caution with admin");
		hasnt(f, "--type", "  human: a standard entry");

		struct fix_ctx ci = {.arn = CI_ARN, .cluster = "prod", .region = "eu-west-1",
				     .mode = (enum auth_mode)mode, .grant = GRANT_EDIT};
		f = fixc(CLASS_NOT_MAPPED, &ci, &n);
		check_mode("ci", (enum auth_mode)mode, f);
		hasnt(buf_str(&bothbuf), "system:masters", "  ci --grant edit: no system:masters");
		hasnt(buf_str(&bothbuf), "ClusterAdmin", "  ci --grant edit: no admin policy");
		hasnt(buf_str(&notebuf), "Caution", "  ci --grant edit: no admin caution");
		if (mode != AUTH_MODE_CONFIG_MAP)
			has(f, "--policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy --access-scope "
			       "type=cluster\n", "  ci: edit policy");
		if (mode != AUTH_MODE_API) {
			has(f, "kubectl create clusterrolebinding cluster-edit --clusterrole=edit --group=cluster-edit\n",
			    "  ci: the group bound to ClusterRole edit");
			has(f, "--username github-deployer --group cluster-edit\n", "  ci: mapped to that group");
			has(buf_str(&notebuf), "ClusterRole edit", "  ci: the binding explained");
		}
	}
	struct fix_ctx view = {.arn = HUMAN_ARN, .grant = GRANT_VIEW, .mode = AUTH_MODE_API_AND_CONFIG_MAP};
	const char *f = fixc(CLASS_NOT_MAPPED, &view, &n);
	has(f, "AmazonEKSViewPolicy", "--grant view: view policy");
	has(f, "--clusterrole=view --group=cluster-view", "  view ClusterRole");

	struct fix_ctx known = {.arn = HUMAN_ARN, .iam_arn = "arn:aws:iam::111122223333:role/team/eks-admin",
				.mode = AUTH_MODE_API_AND_CONFIG_MAP};
	f = fixc(CLASS_NOT_MAPPED, &known, &n);
	has(f, "--principal-arn arn:aws:iam::111122223333:role/team/eks-admin\n", "known IAM ARN: access entry keeps its path");
	has(f, "--arn arn:aws:iam::111122223333:role/eks-admin ", "  aws-auth drops it");
	hasnt(f, "get-role", "  no lookup");

	/* A role some nodes use, denied for a caller that is not one. */
	struct fix_ctx shared = {.arn = "arn:aws:iam::111122223333:role/eks-prod-ng2-node-role",
				 .kind = KIND_EC2_LINUX, .mode = AUTH_MODE_CONFIG_MAP};
	f = fixc(CLASS_TEMPLATE_NO_INSTANCE_ID, &shared, &n);
	hasnt(f, "eksctl delete", "template_no_instance_id, node role: the node mapping stays");
	hasnt(f, "eksctl create", "  nothing re-created");
	has(buf_str(&notebuf), "role of its own", "  the caller needs its own role");
	struct fix_ctx fg = {.arn = FARGATE_ARN, .mode = AUTH_MODE_CONFIG_MAP};
	f = fixc(CLASS_TEMPLATE_NO_INSTANCE_ID, &fg, &n);
	has(f, "eksctl delete iamidentitymapping", "template_no_instance_id, Fargate: old mapping deleted");
	has(f, "'system:node:{{SessionName}}'", "  and mapped as Fargate");
	hasnt(buf_str(&bothbuf), "system:masters", "  never admin");

	struct fix_ctx mm = {.arn = NODE_ARN};
	f = fixc(CLASS_ARN_USERID_MISMATCH, &mm, &n);
	has(f, "--type EC2_LINUX\n", "arn_userid_mismatch, node: re-created as EC2_LINUX");
	has(f, "--principal-arn \"$(aws iam get-role --role-name eks-prod-ng2-node-role", "  with the IAM ARN");
}

static void test_fix_others(void)
{
	int n;
	const char *f = fix(CLASS_EC2_DESCRIBE_DENIED, "arn:aws:iam::111122223333:role/node", "prod",
			    "us-east-1", NULL, &n);
	has(f, "aws iam attach-role-policy --role-name \"$(aws eks describe-cluster --name prod --region us-east-1 "
	       "--query cluster.roleArn --output text | sed 's,.*/,,')\" --policy-arn "
	       "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy\n", "ec2_describe_denied: attach policy");
	f = fix(CLASS_EC2_DESCRIBE_DENIED, "arn:aws-us-gov:iam::111122223333:role/node", "gov",
		"us-gov-west-1", NULL, &n);
	has(f, "arn:aws-us-gov:iam::aws:policy/AmazonEKSClusterPolicy", "  GovCloud policy ARN");

	f = fix(CLASS_TOKEN_NOT_IAM, NULL, "prod", "us-east-2", NULL, &n);
	has(f, "aws eks update-kubeconfig --name prod --region us-east-2\n", "token_not_iam: update-kubeconfig");
	f = fix(CLASS_CLOCK_SKEW, NULL, NULL, NULL, NULL, &n);
	has(buf_str(&notebuf), "chrony", "clock_skew: chrony");
	has(buf_str(&fixbuf), "sudo timedatectl set-ntp true\n", "  the command alone");
	has(f, "--cluster-name '<cluster>' --region '<region>'", "  placeholders");
	f = fix(CLASS_TOKEN_EXPIRED, NULL, "prod", "us-east-2", NULL, &n);
	has(f, "date -u", "token_expired: clock check");
	f = fix(CLASS_STS_REGION_DISABLED, NULL, "prod", "ap-east-1", NULL, &n);
	has(buf_str(&notebuf), "activate ap-east-1", "sts_region_disabled: activation");
	f = fix(CLASS_TEMPLATE_NO_INSTANCE_ID, "arn:aws:sts::111122223333:assumed-role/crossplane/s1",
		"prod", "us-east-2", NULL, &n);
	has(f, "{{EC2PrivateDNSName}}", "template_no_instance_id: template kept verbatim");
	has(f, "eksctl delete iamidentitymapping --cluster prod --region us-east-2 --arn "
	       "arn:aws:iam::111122223333:role/crossplane\n", "  the node-template mapping is deleted");
	has(f, "--arn arn:aws:iam::111122223333:role/crossplane --username crossplane --group system:masters",
	    "  and re-created with a static username");
	f = fix(CLASS_ARN_USERID_MISMATCH, "arn:aws:iam::111122223333:user/bob", "prod", "us-east-2", NULL, &n);
	has(f, "aws eks delete-access-entry --cluster-name prod --region us-east-2 --principal-arn "
	       "arn:aws:iam::111122223333:user/bob\n", "arn_userid_mismatch: re-create entry");
	f = fix(CLASS_TOKEN_UNSIGNED_CLUSTER_ID, NULL, "prod", NULL, NULL, &n);
	has(f, "x-k8s-aws-id: prod", "token_unsigned_cluster_id: header with cluster");

	for (int c = CLASS_NOT_MAPPED; c < CLASS__COUNT; c++) {
		f = fix((enum error_class)c, "arn:aws:iam::111122223333:role/r", "prod", "us-east-2", NULL, &n);
		ok(n > 0 && count_nl(f) == n, "%s: %d fix lines", classify_name((enum error_class)c), n);
		hasnt(f, "${", "  %s: every variable filled", classify_name((enum error_class)c));
		ok(f[0] != '[' && !strstr(f, "\n["), "  %s: every condition taken off", classify_name((enum error_class)c));
		ok(commands_only(buf_str(&fixbuf)), "  %s: commands only", classify_name((enum error_class)c));
		ok(strstr(f, "<cluster>") == NULL && strstr(f, "<region>") == NULL && strstr(f, "<arn>") == NULL,
		   "  %s: no placeholder when values are known", classify_name((enum error_class)c));
	}
	is_int(classify_fix(CLASS_NONE, NULL, &notebuf, &fixbuf), 0, "none: no fix");
	is_int(classify_fix(CLASS__COUNT, NULL, &notebuf, &fixbuf), -1, "out of range class");
	is_int(classify_fix(CLASS_UNKNOWN, NULL, NULL, &fixbuf), -1, "NULL notes");
	is_int(classify_fix(CLASS_UNKNOWN, NULL, &notebuf, NULL), -1, "NULL commands");

	enum fix_grant g = GRANT_ADMIN;
	ok(classify_grant_from_name("view", &g) == 0 && g == GRANT_VIEW, "grant name view");
	ok(classify_grant_from_name("edit", &g) == 0 && g == GRANT_EDIT, "grant name edit");
	ok(classify_grant_from_name("admin", &g) == 0 && g == GRANT_ADMIN, "grant name admin");
	is_int(classify_grant_from_name("root", &g), -1, "unknown grant");
	is_int(classify_grant_from_name(NULL, &g), -1, "NULL grant");
}

static void test_expected(void)
{
	ok(classify_is_expected_principal(NULL, "eks:node-manager", NULL), "eks:node-manager");
	ok(classify_is_expected_principal(NULL, "eks:addon-manager", NULL), "eks:addon-manager");
	ok(classify_is_expected_principal(NULL, "eks:cloud-controller-manager", NULL), "other eks: user");
	ok(classify_is_expected_principal(
		   "arn:aws:iam::111122223333:role/AWSWesleyClusterManagerLambda-NodeManagerRole-16UPVDKA1KBGI",
		   NULL, NULL), "Wesley node manager role");
	ok(classify_is_expected_principal(
		   "arn:aws:iam::111122223333:role/AWSWesleyClusterManagerLambda-Add-AddonManagerRole-1CRTQUJF13T5U",
		   "", ""), "Wesley addon manager role");
	ok(classify_is_expected_principal(
		   "arn:aws:iam::111122223333:role/awswesleyclustermanagerlambda-nodemanagerrole-x", NULL, NULL),
	   "lower-cased Wesley role");
	ok(classify_is_expected_principal(
		   "arn:aws:iam::111122223333:role/AmazonEKSClusterInsightsViewOnlyRole", NULL, NULL),
	   "cluster insights role");
	ok(classify_is_expected_principal(NULL, NULL, "EKSAuthTokenSession"), "EKSAuthTokenSession");
	ok(classify_is_expected_principal(NULL, NULL, "EKSClusterInsightsAuth"), "EKSClusterInsightsAuth");
	ok(classify_is_expected_principal("arn:aws:sts::111122223333:assumed-role/SomeRole/EKSAuthTokenSession",
					  NULL, NULL), "session taken from assumed-role ARN");
	ok(!classify_is_expected_principal(NULL, NULL, NULL), "all NULL");
	ok(!classify_is_expected_principal("arn:aws:iam::111122223333:role/eks-admin", "kubernetes-admin",
					   "alice"), "normal admin");
	ok(!classify_is_expected_principal(NULL, "eksadmin", NULL), "eks without colon");
	ok(!classify_is_expected_principal(NULL, "system:node:ip-10-0-0-1", "i-0123456789abcdef0"), "node");
	ok(!classify_is_expected_principal("arn:aws:iam::111122223333:role/EKSAuthTokenSession", NULL, NULL),
	   "role named like the session is not a session");
}

static void test_fix_enable_logging(void)
{
	struct buf b = BUF_INIT;
	is_int(classify_fix_enable_logging(&b, "prod_1", "eu-west-1"), 0, "enable logging: a valid cluster and region");
	is_str(buf_str(&b),
	       "aws eks update-cluster-config --name prod_1 --region eu-west-1 --logging "
	       "'{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":true}]}'",
	       "  the command, no newline");
	static const char *const bad[][2] = {
		{"x;touch${IFS}p", "eu-west-1"}, {"-x", "eu-west-1"}, {"", "eu-west-1"}, {"prod", "eu west 1"},
		{"prod", "--profile=x"}, {"prod\n", "eu-west-1"}, {"prod", ""},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		buf_puts(&b, "before");
		is_int(classify_fix_enable_logging(&b, bad[i][0], bad[i][1]), -1, "enable logging: invalid %zu", i);
		is_str(buf_str(&b), "before", "  nothing appended");
	}
	buf_free(&b);
}

int main(void)
{
	if (!ok(classify_init() == 0, "classify_init"))
		return tap_done();
	is_int(classify_init(), 0, "second init is a no-op");
	test_samples();
	test_edges();
	test_names();
	test_fix_not_mapped();
	test_fix_kinds();
	test_fix_others();
	test_expected();
	test_fix_enable_logging();
	buf_free(&fixbuf);
	buf_free(&notebuf);
	buf_free(&bothbuf);
	classify_cleanup();
	struct classify_result r;
	is_int(classify_error("access denied", "ARN is not mapped", 17, &r), -1, "after cleanup: -1");
	is_int(r.cls, CLASS_UNKNOWN, "  but out is filled");
	return tap_done();
}
