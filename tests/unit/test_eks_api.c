/* The EKS client's pure parts: request paths and queries (as botocore
 * builds them, and what SigV4 makes of them), the answer parsers (every
 * field, absent fields, wrong types, huge and hostile values), and the EKS
 * endpoints (checked against botocore 1.43's resolver). */
#include "aws/aws_config.h"
#include "aws/eks_api.h"
#include "aws/eks_api_int.h"
#include "aws/sigv4.h"
#include "buf.h"
#include "status.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[512];

static const char FULL[] =
	"{\"cluster\":{\"name\":\"prod\",\"arn\":\"arn:aws:eks:eu-west-1:111122223333:cluster/prod\","
	"\"createdAt\":1700000000.123,\"version\":\"1.31\","
	"\"endpoint\":\"https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com\","
	"\"roleArn\":\"arn:aws:iam::111122223333:role/eks-cluster-role\","
	"\"resourcesVpcConfig\":{\"subnetIds\":[\"subnet-1\"]},"
	"\"logging\":{\"clusterLogging\":[{\"types\":[\"api\",\"authenticator\"],\"enabled\":true},"
	"{\"types\":[\"audit\",\"controllerManager\",\"scheduler\"],\"enabled\":false}]},"
	"\"status\":\"ACTIVE\",\"certificateAuthority\":{\"data\":\"LS0tLS1CRUdJTg==\"},"
	"\"platformVersion\":\"eks.10\","
	"\"accessConfig\":{\"bootstrapClusterCreatorAdminPermissions\":true,"
	"\"authenticationMode\":\"API_AND_CONFIG_MAP\"}}}";

static int parse_cluster(const char *json, struct eks_cluster *c)
{
	err[0] = '\0';
	return eks_api_parse_cluster(json, strlen(json), c, err, sizeof(err));
}

/* A cluster answer with one member replaced: {"cluster":{"name":"n",MEMBER}}. */
static int cluster_with(const char *member, struct eks_cluster *c)
{
	char doc[8192];
	snprintf(doc, sizeof(doc), "{\"cluster\":{\"name\":\"n\"%s%s}}", *member ? "," : "", member);
	return parse_cluster(doc, c);
}

static void test_paths(void)
{
	struct buf b = BUF_INIT;
	eks_api_path(&b, "prod", NULL, NULL);
	is_str(buf_str(&b), "/clusters/prod", "DescribeCluster path");
	buf_reset(&b);
	eks_api_path(&b, NULL, NULL, NULL);
	is_str(buf_str(&b), "/clusters", "ListClusters path");
	buf_reset(&b);
	eks_api_path(&b, "prod", NULL, "/access-entries");
	is_str(buf_str(&b), "/clusters/prod/access-entries", "ListAccessEntries path");
	buf_reset(&b);
	/* botocore: percent_encode(arn) for the non-greedy {principalArn}
	 * label, safe characters -._~ only */
	eks_api_path(&b, "prod", "arn:aws:iam::111122223333:role/ops/deploy", NULL);
	is_str(buf_str(&b), "/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fops%2Fdeploy",
	       "DescribeAccessEntry path: ':' and '/' of the ARN encoded");
	buf_reset(&b);
	eks_api_path(&b, "my_cluster-1", "arn:aws:iam::111122223333:user/a+b=c,d.e@f-g", "/access-policies");
	is_str(buf_str(&b),
	       "/clusters/my_cluster-1/access-entries/arn%3Aaws%3Aiam%3A%3A111122223333%3Auser%2Fa%2Bb%3Dc%2Cd.e%40f-g"
	       "/access-policies",
	       "ListAssociatedAccessPolicies path: IAM name characters encoded");
	buf_reset(&b);
	eks_api_page_query(&b, NULL);
	is_str(buf_str(&b), "maxResults=100", "first page query");
	buf_reset(&b);
	eks_api_page_query(&b, "eyJh+b/c==");
	is_str(buf_str(&b), "maxResults=100&nextToken=eyJh%2Bb%2Fc%3D%3D", "next page query: token encoded");
	buf_free(&b);

	/* SigV4 for eks encodes the wire path once more (not S3), as botocore's
	 * SigV4Auth._normalize_url_path: quote(path, safe='/~'). */
	struct sigv4_header h[] = {{"Host", "eks.us-east-1.amazonaws.com"}};
	struct sigv4_request req = {
		.method = "GET",
		.path = "/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr",
		.query = "maxResults=100",
		.headers = h,
		.n_headers = 1,
		.region = "us-east-1",
		.service = "eks",
		.time = 1700000000,
		.normalize_path = 1,
	};
	struct sigv4_credentials cr = {"AKIDEXAMPLE", "secret", NULL, 0};
	struct sigv4_result res;
	memset(&res, 0, sizeof(res));
	is_int(sigv4_sign(&req, &cr, &res, err, sizeof(err)), AL_OK, "sign an EKS GET");
	ok(res.canonical_request &&
		   strncmp(res.canonical_request,
			   "GET\n/clusters/prod/access-entries/arn%253Aaws%253Aiam%253A%253A1%253Arole%252Fr\n"
			   "maxResults=100\n", 90) == 0,
	   "canonical URI double-encodes the ARN");
	sigv4_result_free(&res);
}

static void test_validity(void)
{
	ok(eks_api_name_valid("prod"), "name prod");
	ok(eks_api_name_valid("a_b-C9"), "name with _ and -");
	ok(!eks_api_name_valid("-a"), "name starting with -");
	ok(!eks_api_name_valid(""), "empty name");
	ok(!eks_api_name_valid(NULL), "NULL name");
	ok(!eks_api_name_valid("a/b"), "name with /");
	ok(!eks_api_name_valid("a b"), "name with a space");
	char longname[120];
	memset(longname, 'a', sizeof(longname));
	longname[100] = '\0';
	ok(eks_api_name_valid(longname), "name of 100");
	longname[100] = 'a';
	longname[101] = '\0';
	ok(!eks_api_name_valid(longname), "name of 101");
	ok(eks_api_arn_valid("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123"),
	   "SSO role ARN");
	ok(!eks_api_arn_valid("arn:aws:iam::1:role/x;rm -rf"), "ARN with ; and a space");
	ok(!eks_api_arn_valid("arn:aws:iam::1:role/$(id)"), "ARN with $()");
	ok(!eks_api_arn_valid("aws:iam::1:role/x"), "no arn: prefix");
	ok(!eks_api_arn_valid("arn:aws:iam::1:role/x\n"), "ARN with a newline");
}

static void test_cluster_full(void)
{
	struct eks_cluster c;
	is_int(parse_cluster(FULL, &c), AL_OK, "full DescribeCluster answer");
	is_str(c.name, "prod", "name");
	is_str(c.arn, "arn:aws:eks:eu-west-1:111122223333:cluster/prod", "arn");
	is_str(c.account, "111122223333", "account, from the ARN");
	is_str(c.status, "ACTIVE", "status");
	is_str(c.version, "1.31", "version");
	is_str(c.endpoint, "https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com", "endpoint");
	is_str(c.role_arn, "arn:aws:iam::111122223333:role/eks-cluster-role", "roleArn");
	is_str(c.ca_data, "LS0tLS1CRUdJTg==", "certificateAuthority.data");
	is_int(c.created_at, 1700000000, "createdAt (fraction dropped)");
	is_int(c.auth_mode, AUTH_MODE_API_AND_CONFIG_MAP, "mode API_AND_CONFIG_MAP");
	is_int(c.auth_mode_defaulted, 0, "mode not defaulted");
	is_str(c.mode_text, "API_AND_CONFIG_MAP", "mode text");
	is_int(c.bootstrap_admin, 1, "bootstrapClusterCreatorAdminPermissions");
	is_int(c.logs_enabled, EKS_LOG_API | EKS_LOG_AUTHENTICATOR, "enabled log types");
	is_int(c.logs_disabled, EKS_LOG_AUDIT | EKS_LOG_CONTROLLER_MANAGER | EKS_LOG_SCHEDULER, "disabled log types");
	eks_api_cluster_free(&c);
	ok(c.ca_data == NULL, "free clears");
}

static void test_cluster_modes(void)
{
	struct eks_cluster c;
	static const struct {
		const char *member;
		enum auth_mode mode;
		int defaulted;
		const char *text;
	} cases[] = {
		{"\"accessConfig\":{\"authenticationMode\":\"API\"}", AUTH_MODE_API, 0, "API"},
		{"\"accessConfig\":{\"authenticationMode\":\"CONFIG_MAP\"}", AUTH_MODE_CONFIG_MAP, 0, "CONFIG_MAP"},
		{"\"accessConfig\":{\"authenticationMode\":\"API_AND_CONFIG_MAP\"}", AUTH_MODE_API_AND_CONFIG_MAP, 0,
		 "API_AND_CONFIG_MAP"},
		{"", AUTH_MODE_CONFIG_MAP, 1, ""},                      /* no accessConfig: an old cluster */
		{"\"accessConfig\":{}", AUTH_MODE_CONFIG_MAP, 1, ""},   /* accessConfig without the mode */
		{"\"accessConfig\":null", AUTH_MODE_CONFIG_MAP, 1, ""},
		{"\"accessConfig\":{\"authenticationMode\":null}", AUTH_MODE_CONFIG_MAP, 1, ""},
		{"\"accessConfig\":{\"authenticationMode\":\"API_ONLY_V2\"}", AUTH_MODE_UNKNOWN, 0, "API_ONLY_V2"},
		{"\"accessConfig\":{\"authenticationMode\":\"api\"}", AUTH_MODE_UNKNOWN, 0, ""},
		{"\"accessConfig\":{\"authenticationMode\":\"API\\n\"}", AUTH_MODE_UNKNOWN, 0, ""},
		{"\"accessConfig\":{\"authenticationMode\":7}", AUTH_MODE_CONFIG_MAP, 1, ""},
		{"\"accessConfig\":\"API\"", AUTH_MODE_CONFIG_MAP, 1, ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(cluster_with(cases[i].member, &c), AL_OK, "mode case %zu: {%s}", i, cases[i].member);
		is_int(c.auth_mode, cases[i].mode, "  mode %s", authmode_name(cases[i].mode));
		is_int(c.auth_mode_defaulted, cases[i].defaulted, "  defaulted");
		is_str(c.mode_text, cases[i].text, "  text");
		eks_api_cluster_free(&c);
	}
	is_str(authmode_name(AUTH_MODE_API), "API", "mode name API");
	is_str(authmode_name((enum auth_mode)99), "unknown", "mode name out of range");
}

static void test_cluster_logging(void)
{
	struct eks_cluster c;
	static const struct {
		const char *member;
		unsigned on, off;
	} cases[] = {
		{"", 0, 0},
		{"\"logging\":null", 0, 0},
		{"\"logging\":{\"clusterLogging\":[]}", 0, 0},
		{"\"logging\":{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":true}]}",
		 EKS_LOG_AUTHENTICATOR, 0},
		{"\"logging\":{\"clusterLogging\":[{\"types\":[\"api\",\"audit\",\"authenticator\",\"controllerManager\","
		 "\"scheduler\"],\"enabled\":false}]}",
		 0, 0x1f},
		/* listed both ways: enabled wins */
		{"\"logging\":{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":false},"
		 "{\"types\":[\"authenticator\"],\"enabled\":true}]}",
		 EKS_LOG_AUTHENTICATOR, 0},
		/* wrong types: a string "true", no enabled, types not a list, unknown type */
		{"\"logging\":{\"clusterLogging\":[{\"types\":[\"authenticator\"],\"enabled\":\"true\"},"
		 "{\"types\":[\"api\"]},{\"types\":\"audit\",\"enabled\":true},{\"types\":[\"kubelet\",7,null],"
		 "\"enabled\":true}]}",
		 0, 0},
		{"\"logging\":{\"clusterLogging\":{\"types\":[\"api\"],\"enabled\":true}}", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(cluster_with(cases[i].member, &c), AL_OK, "logging case %zu", i);
		is_int(c.logs_enabled, cases[i].on, "  enabled");
		is_int(c.logs_disabled, cases[i].off, "  disabled");
		eks_api_cluster_free(&c);
	}
	is_str(eks_api_log_type_name(EKS_LOG_AUTHENTICATOR), "authenticator", "log type name");
	is_str(eks_api_log_type_name(EKS_LOG_CONTROLLER_MANAGER), "controllerManager", "log type name (API spelling)");
	is_str(eks_api_log_type_name(3), "", "two bits are no name");
}

static void test_cluster_hostile(void)
{
	struct eks_cluster c;
	char *big = malloc(200000), *doc = malloc(810000);
	/* wrong types everywhere: fields empty, the call fine */
	is_int(parse_cluster("{\"cluster\":{\"name\":7,\"arn\":{},\"status\":[],\"version\":1.31,\"endpoint\":true,"
			     "\"roleArn\":null,\"createdAt\":\"yesterday\",\"certificateAuthority\":\"x\","
			     "\"accessConfig\":[],\"logging\":7}}",
			     &c),
	       AL_OK, "wrong types");
	ok(!c.name[0] && !c.arn[0] && !c.status[0] && !c.version[0] && !c.endpoint[0] && !c.role_arn[0] &&
		   !c.ca_data && c.created_at == 0 && c.bootstrap_admin == -1,
	   "  every field empty");
	eks_api_cluster_free(&c);

	/* values not of their form */
	is_int(parse_cluster("{\"cluster\":{\"name\":\"a\\nb\",\"arn\":\"arn:aws:eks:x:1:cluster/a b\","
			     "\"status\":\"ACTIVE\\u001b[31m\",\"version\":\"1.31; rm\","
			     "\"endpoint\":\"http://plain.example\",\"roleArn\":\"role/x\","
			     "\"certificateAuthority\":{\"data\":\"<script>\"},\"createdAt\":-5}}",
			     &c),
	       AL_OK, "values not of their form");
	ok(!c.name[0] && !c.arn[0] && !c.status[0] && !c.version[0] && !c.endpoint[0] && !c.role_arn[0] &&
		   !c.ca_data && c.created_at == 0,
	   "  every field empty");
	eks_api_cluster_free(&c);

	static const char *const endpoints[] = {
		"https://", "https://a b", "https://host:", "https://host:123456", "https://host/x", "https://host//",
		"ftp://host", "https://host\"",
	};
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		char m[200];
		snprintf(m, sizeof(m), "\"endpoint\":\"%s\"", endpoints[i]);
		cluster_with(m, &c);
		is_str(c.endpoint, "", "endpoint '%s' refused", endpoints[i]);
		eks_api_cluster_free(&c);
	}
	cluster_with("\"endpoint\":\"https://10.0.0.1:8443/\"", &c);
	is_str(c.endpoint, "https://10.0.0.1:8443/", "endpoint with port and '/' (moto's form) kept");
	eks_api_cluster_free(&c);

	/* timestamps */
	static const struct {
		const char *v;
		long long want;
	} times[] = {
		{"1700000000", 1700000000}, {"1700000000.999", 1700000000}, {"\"2023-11-14T22:13:20Z\"", 1700000000},
		{"\"2023-11-14T22:13:20.5+00:00\"", 1700000000}, {"1e300", 0}, {"-1e300", 0},
		{"99999999999999999999", 0}, {"-1", 0}, {"1E11", 0}, {"null", 0}, {"\"\"", 0},
	};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char m[200];
		snprintf(m, sizeof(m), "\"createdAt\":%s", times[i].v);
		is_int(cluster_with(m, &c), AL_OK, "createdAt %s", times[i].v);
		is_int(c.created_at, times[i].want, "  value");
		eks_api_cluster_free(&c);
	}

	/* huge values */
	memset(big, 'a', 199999);
	big[199999] = '\0';
	snprintf(doc, 810000, "{\"cluster\":{\"name\":\"%s\",\"arn\":\"arn:%s\",\"version\":\"%s\","
		 "\"certificateAuthority\":{\"data\":\"%s\"}}}", big, big, big, big);
	is_int(parse_cluster(doc, &c), AL_OK, "200,000-byte values");
	ok(!c.name[0] && !c.arn[0] && !c.version[0] && !c.ca_data, "  all refused");
	eks_api_cluster_free(&c);
	big[100] = '\0';
	snprintf(doc, 210000, "{\"cluster\":{\"name\":\"%s\"}}", big);
	parse_cluster(doc, &c);
	is_str(c.name, big, "a name of 100 kept");
	eks_api_cluster_free(&c);
	big[100] = 'a';
	big[EKS_API_ARN_MAX - 4] = '\0';
	snprintf(doc, 210000, "{\"cluster\":{\"name\":\"n\",\"arn\":\"arn:%s\"}}", big);
	parse_cluster(doc, &c);
	is_int(strlen(c.arn), EKS_API_ARN_MAX, "an ARN of EKS_API_ARN_MAX kept");
	eks_api_cluster_free(&c);
	big[EKS_API_ARN_MAX - 4] = 'a';
	big[EKS_API_ARN_MAX - 3] = '\0';
	snprintf(doc, 210000, "{\"cluster\":{\"name\":\"n\",\"arn\":\"arn:%s\"}}", big);
	parse_cluster(doc, &c);
	is_str(c.arn, "", "an ARN one longer refused");
	eks_api_cluster_free(&c);

	/* not the shape */
	static const char *const bad[] = {
		"", "not json", "[]", "\"cluster\"", "{}", "{\"cluster\":null}", "{\"cluster\":\"prod\"}",
		"{\"cluster\":[{}]}", "{\"cluster\":{\"name\":\"x\"}", "{\"cluster\":{}}garbage",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(parse_cluster(bad[i], &c), AL_UNAVAILABLE, "not a cluster answer: '%s' (%s)", bad[i], err);
		eks_api_cluster_free(&c);
	}
	is_int(parse_cluster("{\"cluster\":{}}", &c), AL_OK, "an empty cluster object is fine");
	is_int(c.auth_mode, AUTH_MODE_CONFIG_MAP, "  and defaults to CONFIG_MAP");
	eks_api_cluster_free(&c);
	/* deep nesting: yajl_tree refuses past its depth, no crash */
	memset(doc, '[', 100000);
	doc[100000] = '\0';
	is_int(parse_cluster(doc, &c), AL_UNAVAILABLE, "100,000 nested arrays");
	eks_api_cluster_free(&c);
	free(big);
	free(doc);
}

static void test_cluster_account(void)
{
	static const struct {
		const char *arn, *account;
	} cases[] = {
		{"arn:aws:eks:eu-west-1:111122223333:cluster/prod", "111122223333"},
		{"arn:aws-cn:eks:cn-north-1:210987654321:cluster/c", "210987654321"},
		{"arn:aws-us-gov:eks:us-gov-west-1:000000000001:cluster/g", "000000000001"},
		{"arn:aws:eks:eu-west-1:11112222333:cluster/short", ""},
		{"arn:aws:eks:eu-west-1:1111222233334:cluster/long", ""},
		{"arn:aws:eks:eu-west-1:111122223333:nodegroup/prod/ng/1", ""},
		{"arn:aws:iam::111122223333:role/cluster/x", ""},
		{"arn:aws:eks:eu-west-1:11112222333a:cluster/x", ""},
		{"arn:aws:eks", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eks_cluster c;
		char member[256];
		snprintf(member, sizeof(member), "\"arn\":\"%s\"", cases[i].arn);
		is_int(cluster_with(member, &c), AL_OK, "cluster ARN %s", cases[i].arn);
		is_str(c.account, cases[i].account, "  account");
		eks_api_cluster_free(&c);
	}
	struct eks_cluster c;
	is_int(cluster_with("\"arn\":\"arn:aws:eks:r:111122223333:cluster/a b\"", &c), AL_OK, "an ARN with a space");
	is_str(c.arn, "", "  not kept");
	is_str(c.account, "", "  no account either");
	eks_api_cluster_free(&c);
}

static void test_cluster_names(void)
{
	struct eks_cluster_names n;
	memset(&n, 0, sizeof(n));
	char tok[EKS_API_TOKEN_MAX + 1];
	const char *p1 = "{\"clusters\":[\"prod\",\"a b\",7,null,\"evil\\u001b[31m\",\"-opt\",\"staging_2\"],"
			 "\"nextToken\":\"t1\"}";
	is_int(eks_api_parse_cluster_names(p1, strlen(p1), &n, tok, sizeof(tok), err, sizeof(err)), AL_OK, "page 1");
	is_int(n.names.n, 2, "  two cluster names");
	is_str(n.names.v[0], "prod", "  in order");
	is_str(n.names.v[1], "staging_2", "  second");
	is_int(n.rejected.n, 3, "  three strings rejected (not the number, not null)");
	is_str(n.rejected.v[0], "a b", "  as sent");
	is_str(n.rejected.v[1], "evil\x1b[31m", "  control bytes kept for the caller to escape");
	is_str(n.rejected.v[2], "-opt", "  a leading '-'");
	is_str(tok, "t1", "  nextToken");
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"clusters\":[\"");
	for (int i = 0; i < 300; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"]}");
	is_int(eks_api_parse_cluster_names(buf_str(&b), b.len, &n, tok, sizeof(tok), err, sizeof(err)), AL_OK,
	       "page 2: a name of 300");
	is_str(tok, "", "  no token: the last page");
	is_int(n.names.n, 2, "  not a name");
	is_int(n.rejected.n, 4, "  rejected");
	is_int((long long)strlen(n.rejected.v[3]), EKS_API_REJECTED_MAX, "  cut to EKS_API_REJECTED_MAX");
	eks_api_cluster_names_free(&n);
	ok(!n.names.v && !n.rejected.v && !n.names.n && !n.rejected.n, "free clears");
	const char *empty[] = {"{}", "{\"clusters\":null}", "{\"clusters\":\"prod\"}", "{\"clusters\":{\"a\":1}}"};
	for (size_t i = 0; i < 4; i++) {
		is_int(eks_api_parse_cluster_names(empty[i], strlen(empty[i]), &n, tok, sizeof(tok), err, sizeof(err)),
		       AL_OK, "empty page %s", empty[i]);
		is_int(n.names.n + n.rejected.n, 0, "  nothing");
	}
	is_int(eks_api_parse_cluster_names("[\"prod\"]", 8, &n, tok, sizeof(tok), err, sizeof(err)), AL_UNAVAILABLE,
	       "an array is a bad answer");
	is_int(eks_api_parse_cluster_names("{\"nextToken\":\"a b\"}", 19, &n, tok, sizeof(tok), err, sizeof(err)),
	       AL_UNAVAILABLE, "a token with a space");
	buf_reset(&b);
	buf_puts(&b, "{\"clusters\":[");
	for (int i = 0; i <= EKS_API_LIST_MAX; i++)
		buf_printf(&b, "%s\"c%d\"", i ? "," : "", i);
	buf_puts(&b, "]}");
	is_int(eks_api_parse_cluster_names(buf_str(&b), b.len, &n, tok, sizeof(tok), err, sizeof(err)), AL_UNAVAILABLE,
	       "%d clusters: %s", EKS_API_LIST_MAX + 1, err);
	eks_api_cluster_names_free(&n);
	buf_free(&b);
}

static void test_access_entries(void)
{
	struct eks_strings s = {0};
	char tok[EKS_API_TOKEN_MAX + 1];
	const char *p1 = "{\"accessEntries\":[\"arn:aws:iam::1:role/a\",\"arn:aws:iam::1:role/b\","
			 "\"not an arn\",7,null,\"arn:aws:iam::1:role/c d\"],\"nextToken\":\"tok+/=1\"}";
	is_int(eks_api_parse_access_entries(p1, strlen(p1), &s, tok, sizeof(tok), err, sizeof(err)), AL_OK,
	       "page 1");
	is_int(s.n, 2, "  two valid ARNs kept");
	is_str(s.v[1], "arn:aws:iam::1:role/b", "  in order");
	is_str(tok, "tok+/=1", "  nextToken");
	const char *p2 = "{\"accessEntries\":[\"arn:aws:iam::1:user/x\"],\"nextToken\":null}";
	is_int(eks_api_parse_access_entries(p2, strlen(p2), &s, tok, sizeof(tok), err, sizeof(err)), AL_OK,
	       "page 2");
	is_int(s.n, 3, "  appended");
	is_str(tok, "", "  null token: last page");
	eks_api_strings_free(&s);
	ok(s.v == NULL && s.n == 0, "free clears");

	const char *empty[] = {"{}", "{\"accessEntries\":null}", "{\"accessEntries\":\"arn:aws:iam::1:role/a\"}",
			       "{\"accessEntries\":[]}"};
	for (size_t i = 0; i < 4; i++) {
		is_int(eks_api_parse_access_entries(empty[i], strlen(empty[i]), &s, tok, sizeof(tok), err, sizeof(err)),
		       AL_OK, "empty page %s", empty[i]);
		is_int(s.n, 0, "  nothing");
		eks_api_strings_free(&s);
	}
	const char *badtok[] = {"{\"nextToken\":\"a b\"}", "{\"nextToken\":\"a\\u0000b\"}", "{\"nextToken\":\"\\u00e9\"}",
				"{\"accessEntries\":[\"arn:aws:iam::1:role/a\\u0000x\"]}"};
	for (size_t i = 0; i < 4; i++) {
		is_int(eks_api_parse_access_entries(badtok[i], strlen(badtok[i]), &s, tok, sizeof(tok), err,
						    sizeof(err)),
		       AL_UNAVAILABLE, "bad token %s: %s", badtok[i], err);
		eks_api_strings_free(&s);
	}
	const char *escaped = "{\"nextToken\":\"\\\\u0000\"}";
	is_int(eks_api_parse_access_entries(escaped, strlen(escaped), &s, tok, sizeof(tok), err, sizeof(err)),
	       AL_OK, "an escaped backslash before u0000 is no NUL");
	is_str(tok, "\\u0000", "  the token as sent");
	is_int(eks_api_parse_access_entries("{\"nextToken\":7}", 15, &s, tok, sizeof(tok), err, sizeof(err)), AL_OK,
	       "a token that is not a string: the last page");
	char *doc = malloc(EKS_API_TOKEN_MAX + 64);
	snprintf(doc, EKS_API_TOKEN_MAX + 64, "{\"nextToken\":\"%0*d\"}", EKS_API_TOKEN_MAX + 1, 0);
	is_int(eks_api_parse_access_entries(doc, strlen(doc), &s, tok, sizeof(tok), err, sizeof(err)),
	       AL_UNAVAILABLE, "a token longer than EKS_API_TOKEN_MAX");
	free(doc);
	is_int(eks_api_parse_access_entries("[1]", 3, &s, tok, sizeof(tok), err, sizeof(err)), AL_UNAVAILABLE,
	       "an array");

	/* more than EKS_API_LIST_MAX */
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"accessEntries\":[");
	for (int i = 0; i <= EKS_API_LIST_MAX; i++)
		buf_printf(&b, "%s\"arn:aws:iam::1:role/r%d\"", i ? "," : "", i);
	buf_puts(&b, "]}");
	is_int(eks_api_parse_access_entries(buf_str(&b), b.len, &s, tok, sizeof(tok), err, sizeof(err)),
	       AL_UNAVAILABLE, "%d entries: %s", EKS_API_LIST_MAX + 1, err);
	is_int(s.n, EKS_API_LIST_MAX, "  kept up to the bound");
	eks_api_strings_free(&s);
	buf_free(&b);
}

static void test_access_entry(void)
{
	struct eks_access_entry e;
	const char *full =
		"{\"accessEntry\":{\"clusterName\":\"prod\",\"principalArn\":\"arn:aws:iam::1:role/ops/node-role\","
		"\"kubernetesGroups\":[\"system:bootstrappers\",\"system:nodes\",\"bad group\",7],"
		"\"accessEntryArn\":\"arn:aws:eks:eu-west-1:1:access-entry/prod/role/1/node-role/x\","
		"\"createdAt\":1700000000.5,\"modifiedAt\":1700000060,\"tags\":{},"
		"\"username\":\"system:node:{{EC2PrivateDNSName}}\",\"type\":\"EC2_LINUX\"}}";
	is_int(eks_api_parse_access_entry(full, strlen(full), &e, err, sizeof(err)), AL_OK, "DescribeAccessEntry");
	is_str(e.principal_arn, "arn:aws:iam::1:role/ops/node-role", "principalArn, path kept");
	is_str(e.username, "system:node:{{EC2PrivateDNSName}}", "username template");
	is_str(e.type, "EC2_LINUX", "type");
	is_int(e.kubernetes_groups.n, 2, "groups: the two valid ones");
	is_str(e.kubernetes_groups.v[0], "system:bootstrappers", "  first");
	is_int(e.created_at, 1700000000, "createdAt");
	is_int(e.modified_at, 1700000060, "modifiedAt");
	eks_api_access_entry_free(&e);

	const char *odd = "{\"accessEntry\":{\"principalArn\":\"x\",\"username\":\"a b\",\"type\":\"ec2 linux\","
			  "\"kubernetesGroups\":\"system:masters\"}}";
	is_int(eks_api_parse_access_entry(odd, strlen(odd), &e, err, sizeof(err)), AL_OK, "odd values");
	ok(!e.principal_arn[0] && !e.username[0] && !e.type[0] && e.kubernetes_groups.n == 0, "  all empty");
	eks_api_access_entry_free(&e);
	is_int(eks_api_parse_access_entry("{}", 2, &e, err, sizeof(err)), AL_UNAVAILABLE, "no accessEntry");
	eks_api_access_entry_free(&e);
	is_int(eks_api_parse_access_entry("{\"accessEntry\":{}}", 18, &e, err, sizeof(err)), AL_OK,
	       "an empty accessEntry");
	is_str(e.type, "", "  no type");
	eks_api_access_entry_free(&e);
}

static void test_access_policies(void)
{
	struct eks_access_policies p = {0};
	char tok[EKS_API_TOKEN_MAX + 1];
	const char *doc =
		"{\"clusterName\":\"prod\",\"principalArn\":\"arn:aws:iam::1:role/r\",\"associatedAccessPolicies\":["
		"{\"policyArn\":\"arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy\","
		"\"accessScope\":{\"type\":\"cluster\",\"namespaces\":[]},\"associatedAt\":1700000000.1,"
		"\"modifiedAt\":1700000001},"
		"{\"policyArn\":\"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy\","
		"\"accessScope\":{\"type\":\"namespace\",\"namespaces\":[\"dev\",\"team-*\",\"Bad_NS\"]}},"
		"{\"policyArn\":\"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy\","
		"\"accessScope\":{\"type\":\"galaxy\"}},"
		"{\"accessScope\":{\"type\":\"cluster\"}},"
		"{\"policyArn\":\"arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy\"},7],"
		"\"nextToken\":\"n2\"}";
	is_int(eks_api_parse_access_policies(doc, strlen(doc), &p, tok, sizeof(tok), err, sizeof(err)), AL_OK,
	       "ListAssociatedAccessPolicies");
	is_int(p.n, 4, "four policies (one without an ARN dropped)");
	is_str(p.v[0].policy_arn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "  ARN");
	is_int(p.v[0].scope, EKS_SCOPE_CLUSTER, "  cluster scope");
	is_int(p.v[0].associated_at, 1700000000, "  associatedAt");
	is_int(p.v[1].scope, EKS_SCOPE_NAMESPACE, "  namespace scope");
	is_int(p.v[1].namespaces.n, 2, "  namespaces: dev and team-* (Bad_NS refused)");
	is_str(p.v[1].namespaces.v[1], "team-*", "  a pattern");
	is_int(p.v[2].scope, EKS_SCOPE_UNKNOWN, "  an unknown scope type");
	is_int(p.v[3].scope, EKS_SCOPE_UNKNOWN, "  no scope");
	is_str(tok, "n2", "nextToken");
	is_str(eks_api_scope_name(p.v[1].scope), "namespace", "scope name");
	eks_api_access_policies_free(&p);
	ok(p.v == NULL && p.n == 0, "free clears");
	is_int(eks_api_parse_access_policies("{\"associatedAccessPolicies\":{}}", 31, &p, tok, sizeof(tok), err,
					     sizeof(err)),
	       AL_OK, "a list that is an object: empty");
	is_int(p.n, 0, "  nothing");
	is_int(eks_api_parse_access_policies("nope", 4, &p, tok, sizeof(tok), err, sizeof(err)), AL_UNAVAILABLE,
	       "not JSON");
	eks_api_access_policies_free(&p);
}

/* EKS endpoints: what botocore 1.43's resolver gives for each case. */
static void test_endpoints(void)
{
	static const struct {
		const char *region;
		int fips, ds;
		const char *url;
	} cases[] = {
		{"us-east-1", 0, 0, "https://eks.us-east-1.amazonaws.com"},
		{"us-east-1", 0, 1, "https://eks.us-east-1.api.aws"},
		{"us-west-2", 1, 0, "https://fips.eks.us-west-2.amazonaws.com"},
		{"us-west-2", 1, 1, "https://eks-fips.us-west-2.api.aws"},
		{"cn-north-1", 0, 0, "https://eks.cn-north-1.amazonaws.com.cn"},
		{"cn-north-1", 1, 0, "https://eks-fips.cn-north-1.amazonaws.com.cn"},
		{"cn-north-1", 1, 1, "https://eks-fips.cn-north-1.api.amazonwebservices.com.cn"},
		{"us-gov-west-1", 0, 0, "https://eks.us-gov-west-1.amazonaws.com"},
		{"us-gov-west-1", 1, 0, "https://eks.us-gov-west-1.amazonaws.com"},
		{"us-gov-west-1", 1, 1, "https://eks-fips.us-gov-west-1.api.aws"},
		{"us-iso-east-1", 1, 0, "https://eks-fips.us-iso-east-1.c2s.ic.gov"},
	};
	struct aws_config *cfg = NULL;
	struct aws_endpoint ep;
	char dir[] = "/tmp/test_eks_api.XXXXXX", path[64], creds[64];
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/config", dir);
	snprintf(creds, sizeof(creds), "%s/credentials", dir);
	FILE *f = fopen(path, "w");
	fputs("[default]\nregion = us-east-1\n[profile local]\nservices = local\n"
	      "[services local]\neks =\n  endpoint_url = http://127.0.0.1:4566\n",
	      f);
	fclose(f);
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_EKS");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	is_int(aws_config_load(path, creds, &cfg, err, sizeof(err)), AL_OK, "config loads");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("AWS_USE_FIPS_ENDPOINT", cases[i].fips ? "true" : "false", 1);
		setenv("AWS_USE_DUALSTACK_ENDPOINT", cases[i].ds ? "true" : "false", 1);
		is_int(aws_config_endpoint(cfg, "default", AWS_SVC_EKS, cases[i].region, NULL, &ep, err, sizeof(err)),
		       AL_OK, "eks %s fips=%d ds=%d", cases[i].region, cases[i].fips, cases[i].ds);
		is_str(ep.url, cases[i].url, "  url");
		is_str(ep.signing_region, cases[i].region, "  signing region");
	}
	unsetenv("AWS_USE_FIPS_ENDPOINT");
	unsetenv("AWS_USE_DUALSTACK_ENDPOINT");
	aws_config_endpoint(cfg, "local", AWS_SVC_EKS, "eu-west-1", NULL, &ep, err, sizeof(err));
	is_str(ep.url, "http://127.0.0.1:4566", "[services] eks key");
	is_int(ep.source, AWS_ENDPOINT_FROM_SERVICES, "  source services");
	aws_config_endpoint(cfg, "local", AWS_SVC_LOGS, "eu-west-1", NULL, &ep, err, sizeof(err));
	is_str(ep.url, "https://logs.eu-west-1.amazonaws.com", "  not used for logs");
	setenv("AWS_ENDPOINT_URL_EKS", "http://127.0.0.1:9000", 1);
	aws_config_endpoint(cfg, "local", AWS_SVC_EKS, "eu-west-1", NULL, &ep, err, sizeof(err));
	is_str(ep.url, "http://127.0.0.1:9000", "AWS_ENDPOINT_URL_EKS beats the services section");
	is_str(ep.origin, "AWS_ENDPOINT_URL_EKS", "  origin");
	aws_config_endpoint(cfg, "default", AWS_SVC_STS, "eu-west-1", NULL, &ep, err, sizeof(err));
	is_str(ep.url, "https://sts.eu-west-1.amazonaws.com", "  not used for sts");
	unsetenv("AWS_ENDPOINT_URL_EKS");
	aws_config_free(cfg);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_paths();
	test_validity();
	test_cluster_full();
	test_cluster_modes();
	test_cluster_logging();
	test_cluster_hostile();
	test_cluster_account();
	test_cluster_names();
	test_access_entries();
	test_access_entry();
	test_access_policies();
	test_endpoints();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
