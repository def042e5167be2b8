/* Principal ARN parsing and canonicalisation.
 *
 * STS reports a role session as arn:P:sts::A:assumed-role/NAME/SESSION,
 * which carries neither the IAM path nor the iam service, so the only
 * ARN an aws-auth entry can ever match is arn:P:iam::A:role/NAME. Every
 * form the authenticator logs is reduced to that here, so callers can
 * print a mapping that will actually work. */
#include "arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const partitions[] = {
	"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc",
};

#define SSO_PATH "/aws-reserved/sso.amazonaws.com/"
#define SSO_PREFIX "AWSReservedSSO_"

/* A slice of the caller's input, which need not be NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

/* Case-insensitive because the old "ARN is not mapped: <arn>" text is
 * lower-cased by the authenticator. */
static int span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

/* Cuts s after the literal prefix lit; 0 on success, -1 if absent. */
static int span_cut(struct span *s, const char *lit)
{
	size_t n = strlen(lit);
	if (s->n < n || strncasecmp(s->p, lit, n) != 0)
		return -1;
	s->p += n;
	s->n -= n;
	return 0;
}

/* Bounded copy; refuses rather than truncates, a cut ARN is a wrong ARN. */
static int span_copy(char *dst, size_t cap, struct span s)
{
	if (s.n >= cap)
		return -1;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return 0;
}

/* Splits off the text before the next ':'; -1 when there is none. */
static int next_field(struct span *rest, struct span *field)
{
	const char *c = memchr(rest->p, ':', rest->n);
	if (!c)
		return -1;
	field->p = rest->p;
	field->n = (size_t)(c - rest->p);
	rest->p = c + 1;
	rest->n -= field->n + 1;
	return 0;
}

/* ARNs are printable ASCII without blanks; anything else means we were
 * handed a log fragment (a quote, a space, a newline), not an ARN. */
static int printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f)
			return 0;
	}
	return 1;
}

/* "/path/to/NAME" -> path "/path/to/", name "NAME". Empty names and
 * empty path segments ("role//x") are not IAM ARNs. */
static int split_path(struct span body, struct arn_info *out)
{
	if (body.n < 2 || body.p[0] != '/')
		return -1;
	size_t last = body.n - 1;
	while (body.p[last] != '/')
		last--;
	for (size_t i = 1; i <= last; i++)
		if (body.p[i] == '/' && body.p[i - 1] == '/')
			return -1;
	struct span path = {body.p, last + 1};
	struct span name = {body.p + last + 1, body.n - last - 1};
	if (name.n == 0)
		return -1;
	if (span_copy(out->path, sizeof(out->path), path) ||
	    span_copy(out->name, sizeof(out->name), name))
		return -1;
	return 0;
}

static int parse_iam(struct span res, struct arn_info *out)
{
	if (span_eq(res, "root")) {
		out->type = PRINCIPAL_ROOT;
		return 0;
	}
	if (span_cut(&res, "user") == 0) {
		out->type = PRINCIPAL_USER;
	} else if (span_cut(&res, "role") == 0) {
		out->type = PRINCIPAL_ROLE;
	} else {
		return -1; /* groups, policies, instance profiles: not callers */
	}
	if (split_path(res, out))
		return -1;
	if (out->type == PRINCIPAL_ROLE && strncasecmp(out->path, SSO_PATH, strlen(SSO_PATH)) == 0)
		out->sso = 1;
	return 0;
}

static int parse_sts(struct span res, struct arn_info *out)
{
	if (span_cut(&res, "federated-user/") == 0) {
		if (res.n == 0 || memchr(res.p, '/', res.n))
			return -1;
		out->type = PRINCIPAL_FEDERATED;
		return span_copy(out->name, sizeof(out->name), res);
	}
	if (span_cut(&res, "assumed-role/") != 0)
		return -1;
	const char *slash = memchr(res.p, '/', res.n);
	if (!slash)
		return -1;
	struct span name = {res.p, (size_t)(slash - res.p)};
	struct span session = {slash + 1, res.n - name.n - 1};
	if (name.n == 0 || session.n == 0)
		return -1;
	out->type = PRINCIPAL_ASSUMED_ROLE;
	if (span_copy(out->name, sizeof(out->name), name) ||
	    span_copy(out->session, sizeof(out->session), session))
		return -1;
	return 0;
}

/* Joins NULL-terminated parts into dst; the length, or -1 if it does not
 * fit. (snprintf's format parsing showed up in the per-row profile.) */
static int concat(char *dst, size_t dst_sz, const char *const *parts)
{
	size_t o = 0;
	for (; *parts; parts++) {
		size_t n = strlen(*parts);
		if (o + n >= dst_sz)
			return -1;
		memcpy(dst + o, *parts, n);
		o += n;
	}
	dst[o] = '\0';
	return (int)o;
}

static int build_canonical(const char *s, size_t len, struct arn_info *out)
{
	int n;
	switch (out->type) {
	case PRINCIPAL_ROLE:
	case PRINCIPAL_ASSUMED_ROLE:
		n = concat(out->canonical, sizeof(out->canonical),
			   (const char *[]){"arn:", out->partition, ":iam::", out->account, ":role/", out->name, NULL});
		break;
	case PRINCIPAL_USER:
		/* GetCallerIdentity returns users with their path, so keep it. */
		n = concat(out->canonical, sizeof(out->canonical),
			   (const char *[]){"arn:", out->partition, ":iam::", out->account, ":user", out->path,
					    out->name, NULL});
		break;
	default:
		return span_copy(out->canonical, sizeof(out->canonical), (struct span){s, len});
	}
	return n < 0 || (size_t)n >= sizeof(out->canonical) ? -1 : 0;
}

/* Empties every field. Only the first byte of each string: this runs for
 * every stored row, and a full memset of the 8 KiB struct cost more than
 * the parse itself. */
static void arn_reset(struct arn_info *out)
{
	out->type = PRINCIPAL_NONE;
	out->sso = 0;
	out->partition[0] = out->account[0] = out->name[0] = '\0';
	out->session[0] = out->path[0] = out->canonical[0] = '\0';
}

int arn_parse(const char *s, size_t len, struct arn_info *out)
{
	struct span rest = {s, len}, f_arn, f_part, f_svc, f_region, f_acct;
	int rc = -1;

	if (!out)
		return -1;
	arn_reset(out);
	if (!s || len == 0 || len > ARN_MAX || !printable(s, len))
		goto out;
	if (next_field(&rest, &f_arn) || next_field(&rest, &f_part) || next_field(&rest, &f_svc) ||
	    next_field(&rest, &f_region) || next_field(&rest, &f_acct))
		goto out;
	/* rest is now the resource; IAM and STS principal ARNs are global. */
	if (!span_eq(f_arn, "arn") || f_region.n != 0 || f_acct.n == 0 || rest.n == 0)
		goto out;

	size_t i;
	for (i = 0; i < sizeof(partitions) / sizeof(partitions[0]); i++)
		if (span_eq(f_part, partitions[i]))
			break;
	if (i == sizeof(partitions) / sizeof(partitions[0]))
		goto out;
	/* Real documents redact accounts (XXXXXXXXXX, xxx1, 0175XXXXXXXX),
	 * so any non-empty account text is kept as it is. */
	if (span_copy(out->partition, sizeof(out->partition), f_part) ||
	    span_copy(out->account, sizeof(out->account), f_acct))
		goto out;

	if (span_eq(f_svc, "iam"))
		rc = parse_iam(rest, out);
	else if (span_eq(f_svc, "sts"))
		rc = parse_sts(rest, out);
	if (rc == 0 && strncasecmp(out->name, SSO_PREFIX, strlen(SSO_PREFIX)) == 0 &&
	    (out->type == PRINCIPAL_ROLE || out->type == PRINCIPAL_ASSUMED_ROLE))
		out->sso = 1;
	if (rc == 0)
		rc = build_canonical(s, len, out);
out:
	if (rc != 0)
		arn_reset(out); /* no half-filled result, type NONE */
	return rc;
}

/* IAM's name characters, \w plus +=,.@- (CreateRole RoleName,
 * CreateUser UserName, AssumeRole RoleSessionName:
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html). */
static int iam_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_+=,.@-", c));
}

static int iam_name(const char *s, size_t lo, size_t hi)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!iam_name_char((unsigned char)s[n]))
			return 0;
	return n >= lo && n <= hi;
}

/* IAM lets a path hold any of ! through DEL, but the paths AWS makes
 * (/service-role/, /aws-reserved/sso.amazonaws.com/REGION/) and any sane
 * one keep to the name characters; a command is not printed for the rest. */
static int iam_path(const char *p)
{
	size_t n = strlen(p);
	if (n == 0 || n > 512 || p[0] != '/' || p[n - 1] != '/')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] != '/' && !iam_name_char((unsigned char)p[i]))
			return 0;
	return 1;
}

static int invalid(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return 0;
}

int arn_valid_principal(const char *s, size_t len, const char **why)
{
	struct arn_info *ai = malloc(sizeof(*ai)); /* 8 KiB: off the stack */
	const char *reason = NULL;
	if (!ai)
		return invalid(why, "out of memory");
	if (arn_parse(s, len, ai) != 0)
		reason = "not an IAM or STS principal ARN";
	else if (strlen(ai->account) != 12 || strspn(ai->account, "0123456789") != 12)
		reason = "the account is not 12 digits";
	else if (ai->type == PRINCIPAL_ROLE || ai->type == PRINCIPAL_USER) {
		if (!iam_name(ai->name, 1, 64))
			reason = "the name is not 1-64 of A-Z a-z 0-9 _+=,.@-";
		else if (!iam_path(ai->path))
			reason = "the path is not /.../ of A-Z a-z 0-9 _+=,.@-";
	} else if (ai->type == PRINCIPAL_ASSUMED_ROLE) {
		if (!iam_name(ai->name, 1, 64))
			reason = "the role name is not 1-64 of A-Z a-z 0-9 _+=,.@-";
		else if (!iam_name(ai->session, 2, 64))
			reason = "the session name is not 2-64 of A-Z a-z 0-9 _+=,.@-";
	} else if (ai->type == PRINCIPAL_FEDERATED && !iam_name(ai->name, 2, 32)) {
		reason = "the federated user name is not 2-32 of A-Z a-z 0-9 _+=,.@-";
	}
	free(ai);
	return reason ? invalid(why, reason) : 1;
}

/* CreateCluster's name rule
 * (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html). */
int arn_valid_cluster_name(const char *s, const char **why)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 100)
		return invalid(why, "an EKS cluster name is 1-100 characters");
	if (!strchr(alnum, s[0]))
		return invalid(why, "an EKS cluster name starts with a letter or a digit");
	for (size_t i = 1; i < n; i++)
		if (!strchr(alnum, s[i]) && s[i] != '-' && s[i] != '_')
			return invalid(why, "an EKS cluster name is made of A-Z a-z 0-9 - _");
	return 1;
}

static size_t lower_run(const char *s)
{
	size_t n = 0;
	while (s[n] >= 'a' && s[n] <= 'z')
		n++;
	return n;
}

/* "[a-z]+-[0-9]" and the end: "east-1". */
static int region_tail(const char *s)
{
	size_t n = lower_run(s);
	return n > 0 && s[n] == '-' && s[n + 1] >= '0' && s[n + 1] <= '9' && s[n + 2] == '\0';
}

/* The shape of every AWS region name, the partitions' included
 * (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html):
 * [a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9], tried without the middle part
 * too, as the regular expression would. aws_region_valid (aws_config.c)
 * takes any host label, as the SDKs do for the endpoint; a printed fix
 * names a real region. */
int arn_valid_region(const char *s, const char **why)
{
	if (s && lower_run(s) == 2 && s[2] == '-') {
		const char *rest = s + 3;
		if (region_tail(rest))
			return 1;
		if (strncmp(rest, "gov-", 4) == 0 && region_tail(rest + 4))
			return 1;
		if (strncmp(rest, "iso", 3) == 0) {
			rest += 3 + lower_run(rest + 3);
			if (*rest == '-' && region_tail(rest + 1))
				return 1;
		}
	}
	return invalid(why, "not a region name like us-east-1");
}

const char *arn_type_name(enum principal_type t)
{
	switch (t) {
	case PRINCIPAL_USER: return "user";
	case PRINCIPAL_ROLE: return "role";
	case PRINCIPAL_ASSUMED_ROLE: return "assumed-role";
	case PRINCIPAL_FEDERATED: return "federated";
	case PRINCIPAL_ROOT: return "root";
	default: return NULL;
	}
}

/* "i-" and 8 or 17 lowercase hex digits: EC2's two instance id lengths. */
static int instance_id(const char *s)
{
	if (s[0] != 'i' || s[1] != '-')
		return 0;
	size_t n = 0;
	for (s += 2; (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'); s++)
		n++;
	return *s == '\0' && (n == 8 || n == 17);
}

enum principal_kind arn_kind(const char *name, const char *session)
{
	if (session && instance_id(session))
		return KIND_EC2_LINUX;
	/* A Fargate node is named fargate-ip-<address>...; the pod execution
	 * role's session name is that node name, which is why its aws-auth
	 * entry renders system:node:{{SessionName}}. */
	if (session && strncmp(session, "fargate-", 8) == 0)
		return KIND_FARGATE;
	/* The documented name is AmazonEKSFargatePodExecutionRole; eksctl
	 * names it <stack>-FargatePodExecutionRole-<suffix>. */
	if (name && strcasestr(name, "FargatePodExecutionRole"))
		return KIND_FARGATE;
	return (name && *name) || (session && *session) ? KIND_HUMAN : KIND_UNKNOWN;
}

const char *arn_kind_name(enum principal_kind k)
{
	switch (k) {
	case KIND_HUMAN: return "human";
	case KIND_EC2_LINUX: return "ec2_linux";
	case KIND_EC2_WINDOWS: return "ec2_windows";
	case KIND_FARGATE: return "fargate";
	default: return "unknown";
	}
}
