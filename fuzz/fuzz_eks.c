/* The EKS answer parsers (src/aws/eks_api.c) and IAM's GetRole parser
 * (src/aws/iam_api.c) on any bytes: each of the six answers is parsed, and every string kept must be of the form the parser
 * promises (eks_api.h), so a caller may print it or put it in a command.
 * A list page is parsed twice into the same list, as paging does. */
#include "fuzz_common.h"

#include "aws/eks_api.h"
#include "aws/eks_api_int.h"
#include "aws/iam_api_int.h"
#include "status.h"

/* Only bytes a shell command may hold unquoted, and printable. */
static void check_plain(const char *s, size_t max)
{
	size_t n = touch_str(s);
	FUZZ_CHECK(n <= max);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(s[i] > 0x20 && s[i] < 0x7f && !strchr("\"'`\\$;|&<>()*? ", s[i]));
}

static void check_arn(const char *s)
{
	check_plain(s, EKS_API_ARN_MAX);
	FUZZ_CHECK(!*s || eks_api_arn_valid(s));
}

static void check_strings(const struct eks_strings *s, int arn)
{
	FUZZ_CHECK(s->n <= EKS_API_LIST_MAX);
	for (size_t i = 0; i < s->n; i++) {
		FUZZ_CHECK(s->v[i] && *s->v[i]);
		if (arn)
			check_arn(s->v[i]);
		else
			FUZZ_CHECK(touch_str(s->v[i]) <= EKS_API_K8S_NAME_MAX && !strpbrk(s->v[i], "\"'`\\$; \n"));
	}
}

static void check_rc(int rc, const char *err)
{
	FUZZ_CHECK(rc == AL_OK || rc == AL_UNAVAILABLE || rc == AL_SOFTWARE);
	FUZZ_CHECK((rc == AL_OK) == (touch_str(err) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	char err[256], tok[EKS_API_TOKEN_MAX + 1];

	struct eks_cluster c;
	err[0] = '\0';
	int rc = eks_api_parse_cluster(doc, size, &c, err, sizeof(err));
	check_rc(rc, err);
	check_plain(c.name, EKS_API_NAME_MAX);
	FUZZ_CHECK(!*c.name || eks_api_name_valid(c.name));
	check_arn(c.arn);
	FUZZ_CHECK(touch_str(c.account) == 0 ||
		   (strlen(c.account) == 12 && strspn(c.account, "0123456789") == 12 && strstr(c.arn, c.account)));
	check_arn(c.role_arn);
	check_plain(c.status, sizeof(c.status) - 1);
	check_plain(c.version, sizeof(c.version) - 1);
	check_plain(c.endpoint, sizeof(c.endpoint) - 1);
	FUZZ_CHECK(!*c.endpoint || strncmp(c.endpoint, "https://", 8) == 0);
	check_plain(c.mode_text, sizeof(c.mode_text) - 1);
	touch_str(c.ca_data);
	FUZZ_CHECK(c.auth_mode >= AUTH_MODE_UNKNOWN && c.auth_mode <= AUTH_MODE_API);
	FUZZ_CHECK(!c.auth_mode_defaulted || (c.auth_mode == AUTH_MODE_CONFIG_MAP && !*c.mode_text));
	FUZZ_CHECK(c.created_at >= 0 && c.bootstrap_admin >= -1 && c.bootstrap_admin <= 1);
	FUZZ_CHECK((c.logs_enabled & c.logs_disabled) == 0 && ((c.logs_enabled | c.logs_disabled) & ~0x1fu) == 0);
	eks_api_cluster_free(&c);

	/* ListClusters: a kept name goes into a section header and commands;
	 * a rejected one only through the caller's escaping, so it is bounded. */
	struct eks_cluster_names names;
	memset(&names, 0, sizeof(names));
	for (int page = 0; page < 2; page++) {
		err[0] = '\0';
		rc = eks_api_parse_cluster_names(doc, size, &names, tok, sizeof(tok), err, sizeof(err));
		check_rc(rc, err);
		FUZZ_CHECK(touch_str(tok) <= EKS_API_TOKEN_MAX);
	}
	FUZZ_CHECK(names.names.n <= EKS_API_LIST_MAX && names.rejected.n <= EKS_API_LIST_MAX);
	for (size_t i = 0; i < names.names.n; i++) {
		check_plain(names.names.v[i], EKS_API_NAME_MAX);
		FUZZ_CHECK(eks_api_name_valid(names.names.v[i]));
	}
	for (size_t i = 0; i < names.rejected.n; i++)
		FUZZ_CHECK(touch_str(names.rejected.v[i]) <= EKS_API_REJECTED_MAX && !eks_api_name_valid(names.rejected.v[i]));
	eks_api_cluster_names_free(&names);

	struct eks_strings s = {0};
	for (int page = 0; page < 2; page++) {
		err[0] = '\0';
		rc = eks_api_parse_access_entries(doc, size, &s, tok, sizeof(tok), err, sizeof(err));
		check_rc(rc, err);
		FUZZ_CHECK(touch_str(tok) <= EKS_API_TOKEN_MAX);
	}
	check_strings(&s, 1);
	eks_api_strings_free(&s);

	struct eks_access_entry e;
	err[0] = '\0';
	rc = eks_api_parse_access_entry(doc, size, &e, err, sizeof(err));
	check_rc(rc, err);
	check_arn(e.principal_arn);
	check_plain(e.type, sizeof(e.type) - 1);
	FUZZ_CHECK(touch_str(e.username) <= EKS_API_K8S_NAME_MAX && !strpbrk(e.username, "\"'`\\$; \n"));
	check_strings(&e.kubernetes_groups, 0);
	eks_api_access_entry_free(&e);

	struct eks_access_policies p = {0};
	for (int page = 0; page < 2; page++) {
		err[0] = '\0';
		rc = eks_api_parse_access_policies(doc, size, &p, tok, sizeof(tok), err, sizeof(err));
		check_rc(rc, err);
	}
	FUZZ_CHECK(p.n <= EKS_API_LIST_MAX);
	for (size_t i = 0; i < p.n; i++) {
		FUZZ_CHECK(*p.v[i].policy_arn);
		check_arn(p.v[i].policy_arn);
		check_strings(&p.v[i].namespaces, 0);
		FUZZ_CHECK(p.v[i].scope >= EKS_SCOPE_UNKNOWN && p.v[i].scope <= EKS_SCOPE_NAMESPACE);
	}
	eks_api_access_policies_free(&p);

	/* the role ARN goes into a printed command */
	char role[2049];
	err[0] = '\0';
	rc = iam_api_parse_get_role(doc, size, role, sizeof(role), err, sizeof(err));
	check_rc(rc, err);
	check_arn(role);
	FUZZ_CHECK((rc == AL_OK) == (*role != '\0'));
	return 0;
}
