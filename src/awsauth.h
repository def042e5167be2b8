/* The aws-auth ConfigMap (kube-system/aws-auth) as the AWS IAM
 * Authenticator reads it, and what it means for one principal.
 *
 * Input: what `kubectl get configmap aws-auth -n kube-system -o yaml` or
 * `-o json` prints (a ConfigMap, or a List holding one named aws-auth).
 * Its data.mapRoles and data.mapUsers are YAML text inside a string: a
 * list of {rolearn|userarn, username, groups}; data.mapAccounts a list of
 * account ids.
 *
 * The rules are the authenticator's EKSConfigMap mapper
 * (kubernetes-sigs/aws-iam-authenticator pkg/mapper/configmap/configmap.go,
 * mapper.go; pkg/config/mapper.go):
 *  - the principal is matched by its canonical ARN (arn:P:iam::A:role/NAME
 *    with no path; a user with its path, as STS reports it), compared
 *    case-insensitively with each entry's ARN (strings.EqualFold): an
 *    entry with an IAM path or the SSO aws-reserved/sso.amazonaws.com/R/
 *    path, or an sts assumed-role session ARN, never matches;
 *  - mapRoles is searched first, then mapUsers, each with the canonical
 *    ARN, so a role listed under mapUsers still matches;
 *  - entries are stored in a map keyed by the lower-cased rolearn (mapRoles)
 *    or the userarn as written (mapUsers): of two entries with the same key
 *    the later one is used; two mapUsers entries that differ only in case
 *    are both kept and either may be used (Go map order is random);
 *  - a section whose YAML does not parse (an unquoted {{SessionName}} is a
 *    YAML map used as a key: "invalid map key") is dropped whole: every
 *    entry in it is unmapped, nodes included; an entry without rolearn
 *    (userarn) is dropped alone;
 *  - the data keys are case-sensitive: `maproles` is ignored;
 *  - an account in mapAccounts maps every principal of that account,
 *    username = its ARN, no groups. */
#ifndef AUTHLOG_AWSAUTH_H
#define AUTHLOG_AWSAUTH_H

#include <stddef.h>

enum awsauth_section {
	AWSAUTH_NONE = 0,
	AWSAUTH_MAP_ROLES,
	AWSAUTH_MAP_USERS,
	AWSAUTH_MAP_ACCOUNTS,
};

/* One mapRoles / mapUsers entry. Strings are NULL when absent. */
struct awsauth_entry {
	enum awsauth_section section;
	size_t index;      /* 0-based in its section */
	size_t line;       /* 1-based line in the source, 0 when unknown */
	char *arn;         /* rolearn / userarn as written */
	char *username;
	char **groups;
	size_t ngroups;
	int dropped;       /* the authenticator drops it: no ARN, not a mapping, or its section did not parse */
};

struct awsauth_section_info {
	int present;     /* the data key exists */
	int parsed;      /* 1 when the authenticator loads it (present, YAML valid, a list) */
	size_t line;     /* line of its key in the source */
	char *error;     /* why it is dropped, one line, or NULL */
	size_t error_line;
};

/* Where a section's text sits in the source: its lines are the file's for
 * a literal block (`mapRoles: |`, what kubectl -o yaml writes); a JSON or
 * quoted string keeps the whole text on the line of the value. */
struct awsauth_pos {
	size_t base;       /* the line of the `|` (inner line N is base + N), or 0 */
	size_t value_line; /* the line the value starts on */
	size_t max_inner;  /* the text's last line (libyaml may point one past it, at its end) */
};

/* A parsed ConfigMap. */
struct awsauth {
	char *source;   /* the name given to awsauth_parse */
	char *name;     /* metadata.name, or NULL */
	char *namespace_; /* metadata.namespace, or NULL */
	struct awsauth_entry *entries; /* mapRoles then mapUsers, in order */
	size_t nentries;
	char **accounts; /* mapAccounts */
	size_t naccounts;
	size_t *account_lines;
	struct awsauth_section_info roles, users, accounts_info;
	/* the raw texts and where they sit, kept for the checks that need them */
	char *roles_text, *users_text;
	struct awsauth_pos roles_pos, users_pos;
	/* data keys spelled like a section but not exactly (ignored) */
	char **misspelled;
	size_t *misspelled_lines;
	size_t nmisspelled;
};

/* Parses text[0..len) (YAML or JSON). source names it in messages ("FILE",
 * "-", "kube-system/aws-auth"). AL_OK and *out (free with awsauth_free);
 * AL_DATAERR when the text is not YAML at all or not a ConfigMap (no data
 * mapping) — err gets "SOURCE:LINE: ..." —; AL_SOFTWARE when out of memory.
 * Invalid YAML *inside* mapRoles / mapUsers / mapAccounts is not an error
 * here: the authenticator loads the rest, and awsauth_check reports it. */
int awsauth_parse(const char *text, size_t len, const char *source, struct awsauth **out, char *err,
		  size_t err_sz);
void awsauth_free(struct awsauth *a);

/* Finding kinds; the names are stable (JSON, tests). */
enum awsauth_finding_kind {
	AWSAUTH_EXACT_MATCH,        /* exact_match: an entry the authenticator matches to the principal */
	AWSAUTH_ACCOUNT_MAPPED,     /* account_mapped: mapAccounts holds the principal's account */
	AWSAUTH_PATH_IN_ARN,        /* path_in_arn: a role ARN with an IAM path or the SSO path */
	AWSAUTH_ASSUMED_ROLE_ARN,   /* assumed_role_arn: an sts assumed-role session ARN */
	AWSAUTH_OTHER_ACCOUNT,      /* other_account: the principal's name in another account */
	AWSAUTH_NEAR_MISS,          /* near_miss: one edit away from the principal's ARN */
	AWSAUTH_DUPLICATE,          /* duplicate: several entries for one ARN; which one is used */
	AWSAUTH_UNQUOTED_TEMPLATE,  /* unquoted_template: `username: {{SessionName}}` unquoted */
	AWSAUTH_RESERVED_USERNAME,  /* reserved_username: system:/eks:/aws:/amazon:/iam: username */
	AWSAUTH_INVALID_YAML,       /* invalid_yaml: a section the authenticator drops */
	AWSAUTH_WRONG_SECTION,      /* wrong_section: a role under mapUsers or a user under mapRoles */
	AWSAUTH_INVALID_ARN,        /* invalid_arn: an entry ARN that is no IAM principal ARN */
	AWSAUTH_MISSING_ARN,        /* missing_arn: an entry without rolearn / userarn (dropped) */
	AWSAUTH_MISSPELLED_SECTION, /* misspelled_section: `maproles` etc., which is ignored */
	AWSAUTH_FINDING_KINDS
};

struct awsauth_finding {
	enum awsauth_finding_kind kind;
	enum awsauth_section section;
	const struct awsauth_entry *entry; /* the entry it is about, or NULL; points into the struct awsauth
					    * checked, so it lives as long as that does */
	size_t line;                       /* 1-based source line, 0 when unknown */
	int about_principal;               /* concerns the principal checked (else a problem of the ConfigMap) */
	char *detail;                      /* one line; untrusted names pass through msg_printable */
};

struct awsauth_findings {
	struct awsauth_finding *v;
	size_t n;
	/* the verdict for the principal (all 0 / NULL without one) */
	int mapped;                        /* the authenticator maps it (an entry or mapAccounts) */
	const struct awsauth_entry *used;  /* the entry it uses, or NULL (unmapped, or by mapAccounts) */
	int used_uncertain;                /* several mapUsers entries differing in case: either may be used */
};

/* Every finding for principal_arn (any principal ARN: an assumed-role
 * session ARN is reduced to its role first; NULL for the ConfigMap's
 * problems alone), in source order, those about the principal first.
 * AL_OK; AL_USAGE when principal_arn is not a principal ARN; AL_SOFTWARE
 * when out of memory. out is the caller's, freed with awsauth_findings_free
 * (on failure too). */
int awsauth_check(const struct awsauth *a, const char *principal_arn, struct awsauth_findings *out,
		  char *err, size_t err_sz);
void awsauth_findings_free(struct awsauth_findings *f);

/* "exact_match", "path_in_arn", ...; NULL for a value out of range. */
const char *awsauth_finding_name(enum awsauth_finding_kind k);
/* "mapRoles", "mapUsers", "mapAccounts", or NULL. */
const char *awsauth_section_name(enum awsauth_section s);

#endif
