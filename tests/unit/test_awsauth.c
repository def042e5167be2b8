/* awsauth_parse / awsauth_check: the ConfigMap as kubectl prints it (YAML,
 * JSON, a List), every finding kind at its line, and the verdict the
 * authenticator's EKSConfigMap mapper would reach (which entry it uses). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awsauth.h"
#include "status.h"
#include "tap.h"

static char err[512];
static char text[1 << 16];

static const char *load_fixture(const char *name, size_t *len)
{
	const char *root = getenv("AUTHLOG_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof path, "%s/fixtures/aws-auth/%s", root ? root : ".", name);
	FILE *f = fopen(path, "r");
	*len = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[*len] = '\0';
	return text;
}

static struct awsauth *parse_fixture(const char *name)
{
	size_t len;
	struct awsauth *a = NULL;
	load_fixture(name, &len);
	int rc = awsauth_parse(text, len, name, &a, err, sizeof err);
	is_int(rc, AL_OK, "%s parses (%s)", name, rc ? err : "");
	return a;
}

static struct awsauth *parse_text(const char *t)
{
	struct awsauth *a = NULL;
	int rc = awsauth_parse(t, strlen(t), "inline", &a, err, sizeof err);
	is_int(rc, AL_OK, "inline text parses (%s)", rc ? err : "");
	return a;
}

/* "kind@line" for every finding, about-principal ones marked '*'. */
static const char *summary(const struct awsauth_findings *f)
{
	static char s[2048];
	size_t o = 0;
	s[0] = '\0';
	for (size_t i = 0; i < f->n && o < sizeof s; i++)
		o += (size_t)snprintf(s + o, sizeof s - o, "%s%s%s@%zu", i ? " " : "",
				      f->v[i].about_principal ? "*" : "", awsauth_finding_name(f->v[i].kind),
				      f->v[i].line);
	return s;
}

static const struct awsauth_finding *find(const struct awsauth_findings *f, enum awsauth_finding_kind k,
					  size_t line)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].kind == k && (!line || f->v[i].line == line))
			return &f->v[i];
	return NULL;
}

static void check(const struct awsauth *a, const char *principal, struct awsauth_findings *f)
{
	int rc = awsauth_check(a, principal, f, err, sizeof err);
	is_int(rc, AL_OK, "check %s", principal ? principal : "(no principal)");
}

static void test_problems(void)
{
	struct awsauth *a = parse_fixture("problems.yaml");
	struct awsauth_findings f;
	if (!a)
		return;
	is_str(a->name, "aws-auth", "  metadata.name");
	is_str(a->namespace_, "kube-system", "  metadata.namespace");
	is_int(a->nentries, 12, "  10 mapRoles + 2 mapUsers entries");

	check(a, "arn:aws:iam::111122223333:role/deploy", &f);
	is_str(summary(&f),
	       "*path_in_arn@9 *other_account@17 *near_miss@19 *assumed_role_arn@34 path_in_arn@13 duplicate@21 "
	       "reserved_username@27 missing_arn@29 wrong_section@31 wrong_section@38 misspelled_section@40",
	       "  role/deploy: every finding, its own first, in line order");
	ok(!f.mapped && !f.used, "  not mapped");
	const struct awsauth_finding *x = find(&f, AWSAUTH_PATH_IN_ARN, 9);
	ok(x && strstr(x->detail, "IAM path /ci/") && strstr(x->detail, "map arn:aws:iam::111122223333:role/deploy"),
	   "  path_in_arn names the path and the ARN to map");
	ok(x && x->entry && x->entry->index == 1 && x->section == AWSAUTH_MAP_ROLES, "  and its entry");
	x = find(&f, AWSAUTH_PATH_IN_ARN, 13);
	ok(x && strstr(x->detail, "IAM Identity Center path /aws-reserved/sso.amazonaws.com/eu-west-1/") &&
		   strstr(x->detail, "map arn:aws:iam::111122223333:role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"),
	   "  the SSO path, and the path-less ARN");
	x = find(&f, AWSAUTH_DUPLICATE, 21);
	ok(x && strstr(x->detail, "uses the last, mapRoles entry 7 (username 'platform-2')"),
	   "  duplicate: the last entry is used (case aside)");
	x = find(&f, AWSAUTH_ASSUMED_ROLE_ARN, 34);
	ok(x && x->section == AWSAUTH_MAP_USERS, "  assumed-role ARN in mapUsers");
	for (size_t i = 0; i < f.n; i++)
		ok(f.v[i].detail && *f.v[i].detail && !strchr(f.v[i].detail, '\n'), "  detail %zu is one line", i);
	awsauth_findings_free(&f);

	/* a session of role/platform: mapped twice, differing in case */
	check(a, "arn:aws:sts::111122223333:assumed-role/platform/session-1", &f);
	ok(f.mapped && f.used && f.used->line == 24 && !f.used_uncertain, "  platform: mapped by the later entry");
	is_str(f.used ? f.used->username : NULL, "platform-2", "  its username");
	ok(f.n >= 3 && f.v[0].kind == AWSAUTH_EXACT_MATCH && f.v[0].line == 21 &&
		   strstr(f.v[0].detail, "not used: mapRoles entry 7 (line 24) is"),
	   "  the earlier exact match says it is not used");
	ok(find(&f, AWSAUTH_EXACT_MATCH, 24) && strstr(find(&f, AWSAUTH_EXACT_MATCH, 24)->detail, "in case only"),
	   "  the case-only spelling still matches");
	ok(find(&f, AWSAUTH_DUPLICATE, 21) && find(&f, AWSAUTH_DUPLICATE, 21)->about_principal,
	   "  the duplicate is about it");
	awsauth_findings_free(&f);

	/* one transposition away */
	check(a, "arn:aws:iam::111122223333:role/dpeloy", &f);
	is_str(summary(&f),
	       "*path_in_arn@9 *near_miss@9 *assumed_role_arn@34 *near_miss@34 path_in_arn@13 duplicate@21 "
	       "reserved_username@27 missing_arn@29 wrong_section@31 wrong_section@38 misspelled_section@40",
	       "  dpeloy: one swap from deploy (depoly is two)");
	awsauth_findings_free(&f);

	/* a role under mapUsers matches (both lists are searched) */
	check(a, "arn:aws:iam::111122223333:role/reporting", &f);
	ok(f.mapped && f.used && f.used->section == AWSAUTH_MAP_USERS, "  role/reporting mapped from mapUsers");
	x = find(&f, AWSAUTH_WRONG_SECTION, 38);
	ok(x && x->about_principal && strstr(x->detail, "still matches"), "  wrong_section says it still matches");
	awsauth_findings_free(&f);

	/* nothing about a principal */
	check(a, NULL, &f);
	ok(f.n == 9 && !f.mapped, "  no principal: the ConfigMap's 9 problems (%s)", summary(&f));
	for (size_t i = 0; i < f.n; i++)
		ok(!f.v[i].about_principal, "  finding %zu not about a principal", i);
	awsauth_findings_free(&f);

	is_int(awsauth_check(a, "arn:aws:iam::111122223333:group/devs", &f, err, sizeof err), AL_USAGE,
	       "a group ARN is no principal");
	is_str(err, "'arn:aws:iam::111122223333:group/devs' is not an IAM role, user or assumed-role ARN",
	       "  message");
	awsauth_findings_free(&f);
	awsauth_free(a);
}

static void test_eksctl(void)
{
	struct awsauth *a = parse_fixture("eksctl.yaml");
	struct awsauth_findings f;
	if (!a)
		return;
	check(a, "arn:aws:sts::111122223333:assumed-role/eks-admin/jane", &f);
	is_str(summary(&f), "*exact_match@9", "  eks-admin: one exact match, no problem");
	ok(f.mapped && f.used && f.used->line == 9, "  used");
	ok(f.n && strstr(f.v[0].detail, "username 'eks-admin', groups [system:masters]"), "  username and groups");
	awsauth_findings_free(&f);

	check(a, "arn:aws:iam::111122223333:user/ops/alice", &f);
	ok(f.mapped && f.used && f.used->section == AWSAUTH_MAP_USERS, "  a user with its path is mapped");
	awsauth_findings_free(&f);

	check(a, "arn:aws:iam::111122223333:user/alice", &f);
	is_str(summary(&f), "*near_miss@18", "  the same user without its path: a near miss");
	ok(!f.mapped, "  not mapped");
	awsauth_findings_free(&f);

	check(a, "arn:aws:iam::123456789012:role/anything", &f);
	is_str(summary(&f), "*account_mapped@23", "  mapAccounts maps the other account");
	ok(f.mapped && !f.used, "  mapped, by no entry");
	awsauth_findings_free(&f);

	check(a, "arn:aws:iam::111122223333:role/eksctl-prod-cluster-FargatePodExecutionRole-1UV9ZT3WWVPB2", &f);
	ok(f.mapped && !find(&f, AWSAUTH_RESERVED_USERNAME, 0), "  system:node:{{SessionName}} is not reserved");
	awsauth_findings_free(&f);
	awsauth_free(a);
}

static void test_broken_sections(void)
{
	struct awsauth *a = parse_fixture("unquoted-template.yaml");
	struct awsauth_findings f;
	if (a) {
		check(a, "arn:aws:iam::111122223333:role/developer", &f);
		is_str(summary(&f), "*exact_match@13 invalid_yaml@14 unquoted_template@14",
		       "  unquoted {{SessionName}}: the entry, the dropped section, the template");
		ok(!f.mapped, "  not mapped: the section is dropped");
		ok(f.n && strstr(f.v[0].detail, "but the authenticator drops mapRoles"), "  the match says so");
		const struct awsauth_finding *x = find(&f, AWSAUTH_UNQUOTED_TEMPLATE, 14);
		ok(x && strstr(x->detail, "quote it: \"{{SessionName}}\""), "  the fix quotes it");
		awsauth_findings_free(&f);
		check(a, "arn:aws:iam::111122223333:role/eksctl-prod-nodegroup-ng-1-NodeInstanceRole-1DBQZQ8HJ3TZV", &f);
		ok(!f.mapped, "  the node role, in the same section, is unmapped too");
		awsauth_findings_free(&f);
		check(a, "arn:aws:iam::111122223333:user/ops/alice", &f);
		ok(f.mapped, "  mapUsers still works");
		awsauth_findings_free(&f);
		awsauth_free(a);
	}

	a = parse_fixture("invalid-yaml.yaml");
	if (a) {
		check(a, "arn:aws:iam::111122223333:user/ops/alice", &f);
		is_str(summary(&f), "*exact_match@17 invalid_yaml@13", "  invalid mapRoles: its line in the file");
		ok(f.mapped, "  alice (mapUsers) mapped");
		const struct awsauth_finding *x = find(&f, AWSAUTH_INVALID_YAML, 13);
		ok(x && strstr(x->detail, "mapRoles:6:12: invalid YAML: ") &&
			   strstr(x->detail, "the authenticator drops all of mapRoles"),
		   "  libyaml's problem, the inner line");
		awsauth_findings_free(&f);
		check(a, "arn:aws:iam::111122223333:role/eks-admin", &f);
		ok(!f.mapped && !find(&f, AWSAUTH_EXACT_MATCH, 0), "  eks-admin (broken mapRoles) unmapped");
		awsauth_findings_free(&f);
		awsauth_free(a);
	}

	a = parse_text("kind: ConfigMap\ndata:\n  mapRoles:\n    - rolearn: arn:aws:iam::1:role/x\n"
		       "  mapUsers: '\"\"'\n  mapAccounts: |\n    a: b\n");
	if (a) {
		check(a, "arn:aws:iam::1:role/x", &f);
		is_str(summary(&f), "invalid_yaml@4 invalid_yaml@7",
		       "  mapRoles without '|' and mapAccounts not a list; an empty mapUsers is fine");
		ok(f.n && strstr(f.v[0].detail, "mapRoles is not a string"), "  says what is wrong");
		ok(!f.mapped, "  not mapped");
		awsauth_findings_free(&f);
		awsauth_free(a);
	}
}

static void test_json(void)
{
	struct awsauth *a = parse_fixture("configmap.json");
	struct awsauth_findings f;
	if (a) {
		check(a, "arn:aws:iam::111122223333:role/eks-admin", &f);
		is_str(summary(&f), "*exact_match@4 *duplicate@4 *exact_match@4 path_in_arn@4",
		       "  JSON: the same findings, at the line of the string");
		ok(f.mapped && f.used && f.used->index == 3, "  the last duplicate is used");
		awsauth_findings_free(&f);
		awsauth_free(a);
	}
	a = parse_fixture("list.json");
	if (a) {
		is_str(a->name, "aws-auth", "  the List's aws-auth item");
		is_int(a->nentries, 5, "  its entries");
		awsauth_free(a);
	}
}

static void test_inline(void)
{
	struct awsauth_findings f;
	struct awsauth *a = parse_text(
		"data:\n  mapUsers: |\n"
		"    - userarn: arn:aws:iam::1:user/Bob\n      username: a\n"
		"    - userarn: arn:aws:iam::1:user/bob\n      username: b\n"
		"    - userarn: arn:aws:iam::1:user/carol\n      username: system:admin\n"
		"    - userarn: arn:aws:iam:1:user/dave\n      username: d\n"
		"    - userarn: arn:aws:iam::1:user/carol\n      username: e\n"
		"  mapRoles: |\n    - rolearn: arn:aws:iam::1:user/carol\n      username: from-roles\n");
	if (!a)
		return;
	check(a, "arn:aws:iam::1:user/bob", &f);
	ok(f.mapped && f.used_uncertain, "  two mapUsers spellings of one user: either is used");
	ok(find(&f, AWSAUTH_DUPLICATE, 3) && strstr(find(&f, AWSAUTH_DUPLICATE, 3)->detail, "at random"),
	   "  the duplicate says so");
	awsauth_findings_free(&f);

	check(a, "arn:aws:iam::1:user/carol", &f);
	ok(f.mapped && f.used && f.used->section == AWSAUTH_MAP_ROLES && !f.used_uncertain,
	   "  mapRoles is searched first");
	ok(find(&f, AWSAUTH_RESERVED_USERNAME, 7) != NULL, "  system:admin is reserved");
	awsauth_findings_free(&f);

	check(a, "arn:aws:iam::1:user/dave", &f);
	const struct awsauth_finding *x = find(&f, AWSAUTH_NEAR_MISS, 9);
	ok(x && x->about_principal, "  an ARN missing a colon: invalid and a near miss");
	ok(find(&f, AWSAUTH_INVALID_ARN, 9) != NULL, "  invalid_arn");
	awsauth_findings_free(&f);
	awsauth_free(a);

	/* names are stable and unique */
	int unique = 1;
	for (int i = 0; i < AWSAUTH_FINDING_KINDS; i++)
		for (int j = 0; j < i; j++)
			unique &= awsauth_finding_name(i) && strcmp(awsauth_finding_name(i), awsauth_finding_name(j)) != 0;
	ok(unique, "finding names are set and unique");
	ok(awsauth_finding_name(AWSAUTH_FINDING_KINDS) == NULL, "  none past the end");
	is_str(awsauth_finding_name(AWSAUTH_UNQUOTED_TEMPLATE), "unquoted_template", "  a name");
}

static void parse_error(const char *t, const char *want)
{
	struct awsauth *a = (struct awsauth *)&a;
	is_int(awsauth_parse(t, strlen(t), "cm.yaml", &a, err, sizeof err), AL_DATAERR, "refused: %s", want);
	ok(a == NULL, "  no result");
	is_str(err, want, "  message");
}

static void test_parse_errors(void)
{
	parse_error("data: [\n", "cm.yaml:2:1: invalid YAML: did not find expected node content while parsing a flow node");
	parse_error("kind: Secret\ndata: {}\n", "cm.yaml:1: kind: Secret is not a ConfigMap");
	parse_error("metadata: {name: aws-auth}\n", "cm.yaml:1: no data: not a ConfigMap");
	parse_error("kind: List\nitems: []\n", "cm.yaml:1: the List holds no ConfigMap named aws-auth");
	parse_error("kind: ConfigMap\ndata: [a]\n", "cm.yaml:2: data: not a mapping");
	parse_error("", "cm.yaml: not a ConfigMap (an empty file?)");
}

int main(void)
{
	test_problems();
	test_eksctl();
	test_broken_sections();
	test_json();
	test_inline();
	test_parse_errors();
	return tap_done();
}
