/* arn_parse: every principal ARN form the authenticator logs, the
 * canonical form aws-auth needs, and inputs that must be refused. */
#include <stdlib.h>
#include <string.h>

#include "arn.h"
#include "tap.h"

static struct arn_info ai; /* large: keep it off the stack */

static int parse(const char *s)
{
	return arn_parse(s, strlen(s), &ai);
}

static void check(const char *in, enum principal_type type, const char *account,
		  const char *name, const char *path, const char *canonical)
{
	is_int(parse(in), 0, "parses %s", in);
	is_int(ai.type, type, "  type %s", arn_type_name(type));
	is_str(ai.account, account, "  account");
	is_str(ai.name, name, "  name");
	is_str(ai.path, path, "  path");
	is_str(ai.canonical, canonical, "  canonical");
}

static void refuse(const char *in, const char *why)
{
	ai.type = PRINCIPAL_ROLE;
	is_int(parse(in), -1, "refuses: %s", why); /* the input may hold a newline */
	is_int(ai.type, PRINCIPAL_NONE, "  type reset to NONE");
	is_str(ai.canonical, "", "  canonical cleared");
}

static void test_roles(void)
{
	check("arn:aws:iam::111122223333:role/eks-admin", PRINCIPAL_ROLE, "111122223333",
	      "eks-admin", "/", "arn:aws:iam::111122223333:role/eks-admin");
	is_int(ai.sso, 0, "  plain role is not sso");
	is_str(ai.partition, "aws", "  partition");
	is_str(ai.session, "", "  no session");

	check("arn:aws:iam::111122223333:role/service-role/codebuild-eks", PRINCIPAL_ROLE,
	      "111122223333", "codebuild-eks", "/service-role/",
	      "arn:aws:iam::111122223333:role/codebuild-eks");
	check("arn:aws:iam::123456789012:role/team/developers/dev", PRINCIPAL_ROLE,
	      "123456789012", "dev", "/team/developers/", "arn:aws:iam::123456789012:role/dev");

	check("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-2/"
	      "AWSReservedSSO_X_0123abcd",
	      PRINCIPAL_ROLE, "111122223333", "AWSReservedSSO_X_0123abcd",
	      "/aws-reserved/sso.amazonaws.com/us-east-2/",
	      "arn:aws:iam::111122223333:role/AWSReservedSSO_X_0123abcd");
	is_int(ai.sso, 1, "  sso path sets sso");
	check("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/"
	      "AWSReservedSSO_ViewOnlyAccess_05a3b2c1d0e9f8a7",
	      PRINCIPAL_ROLE, "111122223333", "AWSReservedSSO_ViewOnlyAccess_05a3b2c1d0e9f8a7",
	      "/aws-reserved/sso.amazonaws.com/",
	      "arn:aws:iam::111122223333:role/AWSReservedSSO_ViewOnlyAccess_05a3b2c1d0e9f8a7");
	is_int(ai.sso, 1, "  sso without region segment");
	check("arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123abcd", PRINCIPAL_ROLE,
	      "111122223333", "AWSReservedSSO_Admin_0123abcd", "/",
	      "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123abcd");
	is_int(ai.sso, 1, "  already canonical sso role");

	/* M1 lower-cases the whole ARN */
	check("arn:aws:iam::xxxx:role/github_oidc", PRINCIPAL_ROLE, "xxxx", "github_oidc", "/",
	      "arn:aws:iam::xxxx:role/github_oidc");
	check("arn:aws:iam::111122223333:role/awsreservedsso_admin_0123abcd", PRINCIPAL_ROLE,
	      "111122223333", "awsreservedsso_admin_0123abcd", "/",
	      "arn:aws:iam::111122223333:role/awsreservedsso_admin_0123abcd");
	is_int(ai.sso, 1, "  lower-cased sso name");
}

static void test_assumed_role(void)
{
	check("arn:aws:sts::111122223333:assumed-role/eks-admin/alice@example.com",
	      PRINCIPAL_ASSUMED_ROLE, "111122223333", "eks-admin", "",
	      "arn:aws:iam::111122223333:role/eks-admin");
	is_str(ai.session, "alice@example.com", "  session");
	is_str(arn_type_name(ai.type), "assumed-role", "  type name");

	check("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_PowerUser_0123abcd/bob",
	      PRINCIPAL_ASSUMED_ROLE, "123456789012", "AWSReservedSSO_PowerUser_0123abcd", "",
	      "arn:aws:iam::123456789012:role/AWSReservedSSO_PowerUser_0123abcd");
	is_int(ai.sso, 1, "  sso assumed-role");
	is_str(ai.session, "bob", "  sso session");

	check("arn:aws:sts::111122223333:assumed-role/test_node_group_role/i-0429e7bc1c0bb2932",
	      PRINCIPAL_ASSUMED_ROLE, "111122223333", "test_node_group_role", "",
	      "arn:aws:iam::111122223333:role/test_node_group_role");
	is_str(ai.session, "i-0429e7bc1c0bb2932", "  node session");

	check("arn:aws:sts::xxxxxxxxx:assumed-role/SOME_ROLE/1592118757435271000",
	      PRINCIPAL_ASSUMED_ROLE, "xxxxxxxxx", "SOME_ROLE", "",
	      "arn:aws:iam::xxxxxxxxx:role/SOME_ROLE");
	is_int(ai.sso, 0, "  not sso");
}

static void test_users_and_others(void)
{
	check("arn:aws:iam::123456789012:user/testuser", PRINCIPAL_USER, "123456789012",
	      "testuser", "/", "arn:aws:iam::123456789012:user/testuser");
	check("arn:aws:iam::123456789012:user/division/ops/carol", PRINCIPAL_USER,
	      "123456789012", "carol", "/division/ops/",
	      "arn:aws:iam::123456789012:user/division/ops/carol");
	is_str(arn_type_name(ai.type), "user", "  type name");

	check("arn:aws:sts::111122223333:federated-user/dave", PRINCIPAL_FEDERATED,
	      "111122223333", "dave", "", "arn:aws:sts::111122223333:federated-user/dave");
	check("arn:aws:iam::111122223333:root", PRINCIPAL_ROOT, "111122223333", "", "",
	      "arn:aws:iam::111122223333:root");
	is_str(arn_type_name(PRINCIPAL_FEDERATED), "federated", "federated type name");
	is_str(arn_type_name(PRINCIPAL_ROOT), "root", "root type name");
	is_str(arn_type_name(PRINCIPAL_ROLE), "role", "role type name");
	ok(arn_type_name(PRINCIPAL_NONE) == NULL, "NONE has no type name");
}

static void test_accounts_and_partitions(void)
{
	/* redacted accounts from real documents */
	check("arn:aws:iam::XXXXXXXXXX:role/admin-test-role", PRINCIPAL_ROLE, "XXXXXXXXXX",
	      "admin-test-role", "/", "arn:aws:iam::XXXXXXXXXX:role/admin-test-role");
	check("arn:aws:iam::xxx1:role/AWSWesleyClusterManagerLambda-NodeManagerRole-13LW3Y484DKRN",
	      PRINCIPAL_ROLE, "xxx1", "AWSWesleyClusterManagerLambda-NodeManagerRole-13LW3Y484DKRN",
	      "/", "arn:aws:iam::xxx1:role/AWSWesleyClusterManagerLambda-NodeManagerRole-13LW3Y484DKRN");
	check("arn:aws:iam::0175XXXXXXXX:role/eks-developer", PRINCIPAL_ROLE, "0175XXXXXXXX",
	      "eks-developer", "/", "arn:aws:iam::0175XXXXXXXX:role/eks-developer");

	static const char *const parts[] = {"aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b",
					    "aws-iso-e", "aws-iso-f", "aws-eusc"};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		char in[128], want[128];
		snprintf(in, sizeof(in), "arn:%s:sts::111122223333:assumed-role/ci/s1", parts[i]);
		snprintf(want, sizeof(want), "arn:%s:iam::111122223333:role/ci", parts[i]);
		check(in, PRINCIPAL_ASSUMED_ROLE, "111122223333", "ci", "", want);
		is_str(ai.partition, parts[i], "  partition %s", parts[i]);
	}
}

static void test_garbage(void)
{
	refuse("", "empty");
	refuse("arn", "no fields");
	refuse("arn:aws:iam::111122223333", "no resource");
	refuse("arn:aws:iam::111122223333:", "empty resource");
	refuse("arn:aws:iam:::role/x", "empty account");
	refuse("arn:aws:iam:us-east-1:111122223333:role/x", "region on a global service");
	refuse("arn:aws-xx:iam::111122223333:role/x", "unknown partition");
	refuse("arn:aws:s3:::bucket/key", "not an identity service");
	refuse("arn:aws:iam::111122223333:group/admins", "group is no caller");
	refuse("arn:aws:iam::111122223333:policy/p", "policy is no caller");
	refuse("arn:aws:iam::111122223333:role/", "empty role name");
	refuse("arn:aws:iam::111122223333:role/a//b", "empty path segment");
	refuse("arn:aws:iam::111122223333:rolex/b", "resource type prefix only");
	refuse("arn:aws:iam::111122223333:user", "no user name");
	refuse("arn:aws:sts::111122223333:assumed-role/onlyrole", "assumed-role without session");
	refuse("arn:aws:sts::111122223333:assumed-role//s", "assumed-role without role");
	refuse("arn:aws:sts::111122223333:assumed-role/r/", "empty session");
	refuse("arn:aws:sts::111122223333:federated-user/", "empty federated name");
	refuse("arn:aws:sts::111122223333:role/x", "role under sts");
	refuse("arn:aws:iam::111122223333:assumed-role/r/s", "assumed-role under iam");
	refuse("nra:aws:iam::111122223333:role/x", "wrong prefix");
	refuse("arn:aws:iam::111122223333:role/has space", "blank inside");
	refuse("arn:aws:iam::111122223333:role/x\n", "newline");
	refuse("\"arn:aws:iam::111122223333:role/x\"", "quoted");
	refuse("arn:aws:iam::1111222233334444555566667777888899990000:role/x", "account too long");
	refuse("ARN is not mapped: arn:aws:iam::111122223333:role/x", "sentence around an ARN");

	is_int(arn_parse(NULL, 0, &ai), -1, "NULL input");
	is_int(arn_parse("arn:aws:iam::111122223333:role/x", 5, &ai), -1, "length cuts the ARN");
	is_int(arn_parse("arn:aws:iam::111122223333:role/x", 32, NULL), -1, "NULL out");

	/* the length, not a NUL, ends the input */
	const char *two = "arn:aws:iam::111122223333:role/firstarn:aws:iam::1:role/second";
	is_int(arn_parse(two, 36, &ai), 0, "parses a prefix of a longer buffer");
	is_str(ai.canonical, "arn:aws:iam::111122223333:role/first", "  stops at len");
}

static void test_long(void)
{
	size_t n = ARN_MAX + 64;
	char *s = malloc(n + 1);
	if (!ok(s != NULL, "malloc"))
		return;
	const char *head = "arn:aws:iam::111122223333:role/";
	size_t h = strlen(head);
	memcpy(s, head, h);
	memset(s + h, 'a', n - h);
	s[n] = '\0';
	is_int(arn_parse(s, n, &ai), -1, "refuses an ARN longer than ARN_MAX");
	is_int(arn_parse(s, ARN_MAX, &ai), 0, "accepts exactly ARN_MAX bytes");
	is_int(strlen(ai.name), ARN_MAX - h, "  name fills the rest");

	/* the longest assumed-role still fits canonical (it only shrinks) */
	const char *ar = "arn:aws:sts::111122223333:assumed-role/";
	size_t a = strlen(ar);
	memcpy(s, ar, a);
	memset(s + a, 'r', ARN_MAX - a);
	s[a + 100] = '/';
	is_int(arn_parse(s, ARN_MAX, &ai), 0, "long assumed-role parses");
	is_int(strlen(ai.session), ARN_MAX - a - 101, "  session length");
	is_int(strlen(ai.canonical), strlen("arn:aws:iam::111122223333:role/") + 100,
	       "  canonical length");
	free(s);
}

static void test_kind(void)
{
	is_int(arn_kind("eks-prod-ng2-node-role", "i-0011e1ed5e4b10462"), KIND_EC2_LINUX, "17-digit instance id: node");
	is_int(arn_kind("nodes", "i-0123abcd"), KIND_EC2_LINUX, "8-digit instance id: node");
	is_int(arn_kind(NULL, "i-0123abcd"), KIND_EC2_LINUX, "  the session alone decides");
	is_int(arn_kind("r", "i-0123abc"), KIND_HUMAN, "7 digits: not an instance id");
	is_int(arn_kind("r", "i-0123abcd0"), KIND_HUMAN, "9 digits: not an instance id");
	is_int(arn_kind("r", "i-0123ABCD"), KIND_HUMAN, "upper-case hex: not an instance id");
	is_int(arn_kind("r", "i-0011e1ed5e4b10462x"), KIND_HUMAN, "trailing text: not an instance id");
	is_int(arn_kind("r", "i-"), KIND_HUMAN, "bare prefix");
	is_int(arn_kind("AmazonEKSFargatePodExecutionRole", NULL), KIND_FARGATE, "documented Fargate role name");
	is_int(arn_kind("eksctl-prod-cluster-FargatePodExecutionRole-1A2B3C", "x"), KIND_FARGATE, "eksctl's name");
	is_int(arn_kind("some-role", "fargate-ip-10-0-1-2.eu-west-1.compute.internal"), KIND_FARGATE,
	       "Fargate node session name");
	is_int(arn_kind("eks-admin", "alice@example.com"), KIND_HUMAN, "a person's session");
	is_int(arn_kind("github-deployer", "GitHubActions"), KIND_HUMAN, "a CI session");
	is_int(arn_kind("eks-admin", NULL), KIND_HUMAN, "name only");
	is_int(arn_kind(NULL, NULL), KIND_UNKNOWN, "nothing to go by");
	is_int(arn_kind("", ""), KIND_UNKNOWN, "  empty strings either");
	is_str(arn_kind_name(KIND_EC2_LINUX), "ec2_linux", "kind name");
	is_str(arn_kind_name(KIND_FARGATE), "fargate", "kind name fargate");
	is_str(arn_kind_name((enum principal_kind)42), "unknown", "out of range");
}

static int valid(const char *s)
{
	const char *why = "unset";
	int v = arn_valid_principal(s, strlen(s), &why);
	return v ? why && strcmp(why, "unset") == 0 : -(why && strcmp(why, "unset") != 0);
}

/* Validators for values that go into printed commands (issue 13 item 1). */
static void test_valid(void)
{
	static const char *const good[] = {
		"arn:aws:iam::111122223333:role/admin",
		"arn:aws:iam::111122223333:role/service-role/a+b=c,d.e@f_g-h",
		"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd",
		"arn:aws:iam::111122223333:user/dev/alice",
		"arn:aws:sts::111122223333:assumed-role/node-role/i-0123456789abcdef0",
		"arn:aws:sts::111122223333:assumed-role/ci/alice@example.com",
		"arn:aws-cn:iam::111122223333:root",
		"arn:aws-us-gov:sts::111122223333:federated-user/bob",
		"arn:aws:iam::111122223333:role/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		is_int(valid(good[i]), 1, "valid principal, why untouched: %s", good[i]);
	static const char *const bad[] = {
		"arn:aws:iam::111122223333:role/x$(touch${IFS}pwned)",
		"arn:aws:iam::111122223333:role/a;touch${IFS}pwned3;#",
		"arn:aws:iam::111122223333:role/a`id`",
		"arn:aws:iam::111122223333:role/it's",
		"arn:aws:iam::111122223333:role/p$a/name",
		"arn:aws:iam::XXXXXXXXXXXX:role/redacted",
		"arn:aws:iam::11112222333:role/short-account",
		"arn:aws:iam::111122223333:role/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
		"arn:aws:sts::111122223333:assumed-role/r/s;rm",
		"arn:aws:sts::111122223333:assumed-role/r/x",
		"arn:aws:sts::111122223333:federated-user/b|c",
		"arn:aws:iam::111122223333:group/admins",
		"not an arn",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(valid(bad[i]), -1, "malformed principal, with a reason: %s", bad[i]);
	const char *why = NULL;
	arn_valid_principal(bad[5], strlen(bad[5]), &why);
	is_str(why, "the account is not 12 digits", "the reason names the account");
	ok(!arn_valid_principal(bad[0], strlen(bad[0]), NULL), "why may be NULL");

	static const char *const clusters_ok[] = {"prod", "0-a_b-C", "x", NULL};
	for (size_t i = 0; clusters_ok[i]; i++)
		ok(arn_valid_cluster_name(clusters_ok[i], NULL), "cluster name %s", clusters_ok[i]);
	char c100[102];
	memset(c100, 'c', 100);
	c100[100] = '\0';
	ok(arn_valid_cluster_name(c100, NULL), "cluster name of 100");
	c100[100] = 'c', c100[101] = '\0';
	ok(!arn_valid_cluster_name(c100, &why), "cluster name of 101");
	static const char *const clusters_bad[] = {"", "-a", "_a", "x;touch${IFS}p;#", "a b", "a.b", "a/b", "caf\xc3\xa9",
						   NULL};
	for (size_t i = 0; clusters_bad[i]; i++)
		ok(!arn_valid_cluster_name(clusters_bad[i], &why) && why, "not a cluster name: '%s'", clusters_bad[i]);
	ok(!arn_valid_cluster_name(NULL, NULL), "NULL is no cluster name");

	static const char *const regions_ok[] = {"us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1",
						 "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "cn-north-1",
						 "mx-central-1", "xx-gov-1", "us-iso-1", "us-isolated-1", NULL};
	for (size_t i = 0; regions_ok[i]; i++)
		ok(arn_valid_region(regions_ok[i], NULL), "region %s", regions_ok[i]);
	static const char *const regions_bad[] = {"", "global", "us-east-12", "US-EAST-1", "us-east-1;id", "use-east-1",
						  "us-east-", "us--1", "us-gov-1x", "us-isob-1x", "u-east-1", NULL};
	for (size_t i = 0; regions_bad[i]; i++)
		ok(!arn_valid_region(regions_bad[i], &why) && why, "not a region: '%s'", regions_bad[i]);
}

int main(void)
{
	test_valid();
	test_kind();
	test_roles();
	test_assumed_role();
	test_users_and_others();
	test_accounts_and_partitions();
	test_garbage();
	test_long();
	return tap_done();
}
