/* The diagnosis behind `authlog-scan doctor` (see doctor.h). The order of
 * the steps and the precedence of the causes are issue 14's contract:
 * credentials_failed, then a log class saying the token itself failed,
 * then the mapping classes, then not_mapped, then logging_disabled. */
#include "doctor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arn.h"
#include "aws/aws_session.h"
#include "aws/aws_sts.h"
#include "aws/eks_token.h"
#include "aws/iam_api.h"
#include "aws/sigv4.h"
#include "esc.h"
#include "k8s_api.h"
#include "kubeconfig.h"
#include "lock.h"
#include "msg.h"
#include "scan.h"
#include "status.h"
#include "store.h"
#include "timeutil.h"

/* The aws-auth ConfigMap read from a file or stdin: kubeconfig.h's limit. */
#define DOCTOR_AWS_AUTH_MAX (1u << 20)

static const char *const class_names[] = {
	[DOCTOR_OK] = "ok",
	[DOCTOR_LOG_CLASS] = NULL,
	[DOCTOR_NO_ACCESS_ENTRY] = "no_access_entry",
	[DOCTOR_CONFIGMAP_IGNORED] = "configmap_ignored",
	[DOCTOR_MAPPING_HAS_PATH] = "mapping_has_path",
	[DOCTOR_MAPPING_WRONG_ARN] = "mapping_wrong_arn",
	[DOCTOR_CREDENTIALS_FAILED] = "credentials_failed",
	[DOCTOR_LOGGING_DISABLED] = "logging_disabled",
	[DOCTOR_UNKNOWN] = "unknown",
};

const char *doctor_class_name(const struct doctor_result *r)
{
	if (r->cls == DOCTOR_LOG_CLASS)
		return classify_name(r->log_class);
	return class_names[r->cls];
}

const char *doctor_status_name(enum doctor_status s)
{
	return s == DOCTOR_STATUS_OK ? "ok" : s == DOCTOR_STATUS_DENIED ? "denied" : "unknown";
}

int doctor_exit_code(const struct doctor_result *r)
{
	return r->status == DOCTOR_STATUS_OK ? AL_OK : AL_FINDINGS;
}

void doctor_result_free(struct doctor_result *r)
{
	eks_api_cluster_free(&r->eks);
	free(r->username);
	eks_api_strings_free(&r->groups);
	eks_api_access_entry_free(&r->entry);
	eks_api_access_policies_free(&r->policies);
	awsauth_findings_free(&r->findings);
	awsauth_free(r->aws_auth);
	buf_free(&r->cause);
	buf_free(&r->notes);
	buf_free(&r->fix);
	memset(r, 0, sizeof *r);
}

/* ---- identity -------------------------------------------------------- */

/* STS AssumeRole of role_arn with base, as kubectl's token would be made
 * with `aws eks get-token --role-arn`. */
static int assume_role(struct aws_client *client, const struct aws_endpoint *sts, const char *role_arn,
		       const struct aws_credentials *base, struct aws_credentials *out, char *err, size_t err_sz)
{
	struct buf body = BUF_INIT;
	buf_puts(&body, "Action=AssumeRole&Version=2011-06-15&RoleSessionName=authlog-scan-doctor&RoleArn=");
	sigv4_uri_encode(&body, role_arn, strlen(role_arn), 0);
	if (body.oom) {
		buf_free(&body);
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	int rc = aws_sts_credentials(client, sts->url, sts->signing_region, "AssumeRole", body.data, body.len, base,
				     out, err, err_sz);
	buf_free(&body);
	return rc;
}

/* ---- aws-auth -------------------------------------------------------- */

static int read_all(const char *path, struct buf *b, char *err, size_t err_sz)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	char chunk[8192], tmp[128];
	size_t n;
	if (!f) {
		msg_set(err, err_sz, "%s: %s", msg_printable(path, tmp, sizeof tmp), strerror(errno));
		return AL_NOINPUT;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b->len <= DOCTOR_AWS_AUTH_MAX)
		buf_append(b, chunk, n);
	int bad = ferror(f);
	if (!is_stdin)
		fclose(f);
	if (bad) {
		msg_set(err, err_sz, "%s: read error", msg_printable(path, tmp, sizeof tmp));
		return AL_NOINPUT;
	}
	if (b->len > DOCTOR_AWS_AUTH_MAX) {
		msg_set(err, err_sz, "%s: larger than 1 MiB", msg_printable(path, tmp, sizeof tmp));
		return AL_DATAERR;
	}
	return b->oom ? AL_SOFTWARE : AL_OK;
}

/* ---- logs ------------------------------------------------------------ */

/* The authenticator records of the principal since o->since, and the
 * denials without an ARN (a token that failed before STS named anyone),
 * as `scan` or `import` stored them. Only reads the database. */
static void read_logs(const struct doctor_opts *o, struct doctor_result *r)
{
	struct store *st = NULL;
	char e[512], since[TIME_ISO_LEN];
	static const char sql[] =
		"SELECT error_class, outcome, COUNT(*) FROM events"
		" WHERE ts >= ?1 AND (cluster = ?2 OR log_group = '/aws/eks/' || ?2 || '/cluster')"
		" AND (principal_arn = ?3 OR (outcome = 'denied' AND arn IS NULL))"
		" GROUP BY error_class, outcome";
	sqlite3_stmt *q = NULL;

	if (!o->db_path) {
		snprintf(r->logs_note, sizeof r->logs_note, "no database to read");
		return;
	}
	if (store_open(o->db_path, STORE_READONLY, &st, e, sizeof e) != AL_OK) {
		snprintf(r->logs_note, sizeof r->logs_note, "no database yet (run authlog-scan scan first)");
		return;
	}
	time_format(o->since, since);
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL) != SQLITE_OK) {
		snprintf(r->logs_note, sizeof r->logs_note, "the database cannot be read");
		goto out;
	}
	sqlite3_bind_text(q, 1, since, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, r->principal_arn, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *cls = (const char *)sqlite3_column_text(q, 0);
		const char *outcome = (const char *)sqlite3_column_text(q, 1);
		long long n = sqlite3_column_int64(q, 2);
		enum error_class c;
		r->log_records += n;
		if (!outcome || strcmp(outcome, "denied") != 0)
			continue;
		r->log_denials += n;
		if (cls && classify_from_name(cls, &c) == 0)
			r->log_classes[c] += n;
	}
	if (rc == SQLITE_DONE)
		r->logs_checked = 1;
	else
		snprintf(r->logs_note, sizeof r->logs_note, "the database cannot be read");
out:
	sqlite3_finalize(q);
	store_close(st);
}

/* Fetches the cluster's authenticator records over [o->since, now] into
 * the database as `scan --cluster NAME --since T` does (the bundled scan
 * query; rows deduplicated against what is stored; the run recorded).
 * A failure here is said in fetch_note, not fatal: the diagnosis does not
 * need the logs, and what is stored is still read. */
static void fetch_logs(const struct doctor_opts *o, struct doctor_result *r, const struct aws_session *s,
		       const struct aws_credentials *creds)
{
	struct aws_endpoint ep;
	struct buf query = BUF_INIT;
	struct lock *lock = NULL;
	struct scan *sc = NULL;
	char e[1024], group[160];
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (o->since >= now) {
		snprintf(r->fetch_note, sizeof r->fetch_note, "--since is not in the past");
		return;
	}
	if ((rc = read_all(o->query_file, &query, e, sizeof e)) == AL_OK && query.len == 0)
		msg_set(e, sizeof e, "%s is empty", o->query_file), rc = AL_DATAERR;
	if (rc == AL_OK)
		rc = aws_session_endpoint(s, AWS_SVC_LOGS, NULL, &ep, e, sizeof e);
	if (rc == AL_OK)
		rc = lock_acquire(o->db_path, LOCK_NOWAIT, &lock, e, sizeof e);
	if (rc != AL_OK)
		goto out;
	snprintf(group, sizeof group, "/aws/eks/%s/cluster", r->cluster);
	const char *groups[] = {group}, *clusters[] = {r->cluster};
	struct logs_target target = {ep.url, s->region, NULL, creds, o->verbose > 0};
	struct scan_opts so = {
		.groups = groups,
		.clusters = clusters,
		.ngroups = 1,
		.since = o->since,
		.until = now,
		.query = buf_str(&query),
		.query_name = "scan",
		.concurrency = 2,
		.time_scale = o->time_scale > 0 && o->time_scale <= 1 ? o->time_scale : 1,
		.verbose = o->verbose > 0,
		.target = &target,
		.client = s->copts,
	};
	struct scan_outcome oc = {0};
	char end_err[512];
	if ((rc = scan_open(&so, o->db_path, &sc, e, sizeof e)) == AL_OK &&
	    (rc = scan_resolve(sc, e, sizeof e)) == AL_OK && (rc = scan_plan(sc, "doctor", e, sizeof e)) == AL_OK) {
		rc = scan_fetch(sc, &oc, e, sizeof e);
		int erc = scan_end(sc, &oc, e, end_err, sizeof end_err);
		if (rc == AL_OK && erc != AL_OK)
			snprintf(e, sizeof e, "%s", end_err), rc = erc;
		if (rc == AL_OK && (rc = scan_partial_status(sc, 0)) != AL_OK)
			msg_set(e, sizeof e, "some windows failed (the next scan fetches them)");
	}
out:
	if (rc == AL_OK)
		r->logs_fetched = 1;
	else
		snprintf(r->fetch_note, sizeof r->fetch_note, "not fetched: %s", e);
	scan_free(sc);
	lock_release(lock);
	buf_free(&query);
}

/* ---- access entries -------------------------------------------------- */

static int eks_denied(int rc, const char *action, const char *e, char *err, size_t err_sz)
{
	if (rc == AL_NOPERM)
		msg_set(err, err_sz, "eks:%s denied: %s", action, e);
	else
		msg_set(err, err_sz, "%s", e);
	return rc;
}

static int check_entries(struct aws_client *client, const struct aws_target *t, struct doctor_result *r,
			 const struct arn_info *me, char *err, size_t err_sz)
{
	struct eks_strings list = {0};
	struct aws_fault f = {0};
	struct arn_info *a = calloc(1, sizeof *a);
	char e[1024];
	int rc = a ? AL_OK : AL_SOFTWARE;
	if (rc == AL_OK)
		rc = eks_api_list_access_entries(client, t, r->cluster, &list, &f, e, sizeof e);
	if (rc != AL_OK) {
		rc = a ? eks_denied(rc, "ListAccessEntries", e, err, err_sz) : rc;
		goto out;
	}
	r->entries_checked = 1;
	/* An entry names the role with its IAM path; the authenticator
	 * matches it by the path-less ARN. */
	for (size_t i = 0; i < list.n; i++) {
		if (arn_parse(list.v[i], strlen(list.v[i]), a) == 0 && strcmp(a->canonical, me->canonical) == 0) {
			snprintf(r->iam_arn, sizeof r->iam_arn, "%s", list.v[i]);
			r->entry_found = 1;
			break;
		}
	}
	if (!r->entry_found)
		goto out;
	rc = eks_api_describe_access_entry(client, t, r->cluster, r->iam_arn, &r->entry, &f, e, sizeof e);
	if (rc != AL_OK) {
		rc = eks_denied(rc, "DescribeAccessEntry", e, err, err_sz);
		goto out;
	}
	rc = eks_api_list_associated_access_policies(client, t, r->cluster, r->iam_arn, &r->policies, &f, e,
						     sizeof e);
	if (rc != AL_OK) {
		rc = eks_denied(rc, "ListAssociatedAccessPolicies", e, err, err_sz);
		goto out;
	}
	enum principal_kind kind = arn_kind(me->name, me->session);
	r->entry_wrong_type =
		(kind == KIND_EC2_LINUX || kind == KIND_EC2_WINDOWS) && strcmp(r->entry.type, "STANDARD") == 0;
	if (r->entry_wrong_type)
		snprintf(r->entry_problem, sizeof r->entry_problem,
			 "a node role with a STANDARD access entry: nodes need type EC2_LINUX (or EC2_WINDOWS), "
			 "which puts them in system:nodes");
	else if (strcmp(r->entry.type, "STANDARD") == 0 && r->policies.n == 0 && r->entry.kubernetes_groups.n == 0)
		snprintf(r->entry_problem, sizeof r->entry_problem,
			 "the access entry has no access policy and no Kubernetes group: authenticated but allowed "
			 "nothing, kubectl says Forbidden, not Unauthorized");
out:
	eks_api_strings_free(&list);
	free(a);
	return rc;
}

/* ---- the verdict ----------------------------------------------------- */

static void fix_for(struct doctor_result *r, enum error_class c, const struct arn_info *me)
{
	struct fix_ctx ctx = {
		.arn = r->principal_arn,
		.cluster = r->cluster,
		.region = r->region,
		.mode = r->eks.auth_mode,
		.kind = arn_kind(me->name, me->session),
		.iam_arn = r->iam_arn[0] ? r->iam_arn : NULL,
		.grant = GRANT_ADMIN,
	};
	classify_fix(c, &ctx, &r->notes, &r->fix);
}

/* aws eks delete-access-entry for the entry found, before one is made
 * anew (a re-created principal, a node entry of the wrong type). */
static void fix_delete_entry(struct doctor_result *r)
{
	if (!arn_valid_principal(r->iam_arn, strlen(r->iam_arn), NULL) || !arn_valid_cluster_name(r->cluster, NULL) ||
	    !arn_valid_region(r->region, NULL))
		return;
	buf_puts(&r->fix, "aws eks delete-access-entry --cluster-name ");
	esc_shell(&r->fix, r->cluster, strlen(r->cluster));
	buf_puts(&r->fix, " --region ");
	esc_shell(&r->fix, r->region, strlen(r->region));
	buf_puts(&r->fix, " --principal-arn ");
	esc_shell(&r->fix, r->iam_arn, strlen(r->iam_arn));
	buf_putc(&r->fix, '\n');
}

static void fix_logging(struct doctor_result *r)
{
	if (classify_fix_enable_logging(&r->fix, r->cluster, r->region) == 0)
		buf_putc(&r->fix, '\n');
}

/* " --profile P" when one was named and can be one shell word. */
static int put_profile(struct doctor_result *r)
{
	if (!r->profile[0] || strcmp(r->profile, "default") == 0)
		return 0;
	size_t len = r->fix.len;
	buf_puts(&r->fix, " --profile ");
	if (r->profile[0] == '-' || esc_shell(&r->fix, r->profile, strlen(r->profile)) != 0) {
		r->fix.len = len;
		return -1;
	}
	return 0;
}

/* The commands that renew the credentials and show whether they work
 * (the role's trust policy is not something a command can fix blind). */
static void fix_credentials(struct doctor_result *r)
{
	if (r->sso) {
		buf_puts(&r->fix, "aws sso login");
		put_profile(r);
		buf_putc(&r->fix, '\n');
	}
	if (r->role_arn[0] && arn_valid_principal(r->role_arn, strlen(r->role_arn), NULL)) {
		buf_puts(&r->fix, "aws sts assume-role --role-session-name authlog-scan-doctor --role-arn ");
		esc_shell(&r->fix, r->role_arn, strlen(r->role_arn));
		put_profile(r);
		buf_putc(&r->fix, '\n');
		buf_puts(&r->notes, "The role's trust policy must let the caller assume it (sts:AssumeRole), and the "
				    "caller's own policies must allow it.\n");
	} else {
		buf_puts(&r->fix, "aws sts get-caller-identity");
		put_profile(r);
		buf_putc(&r->fix, '\n');
	}
}

/* The short name of the principal ("role/deploy", "user/alice"). */
static const char *short_name(const struct arn_info *me, char *out, size_t out_sz)
{
	const char *type = me->type == PRINCIPAL_USER ? "user" : me->type == PRINCIPAL_ROOT ? "root" : "role";
	snprintf(out, out_sz, "%s/%s", type, me->name);
	return out;
}

static const struct awsauth_finding *finding(const struct doctor_result *r, enum awsauth_finding_kind k,
					     int about)
{
	for (size_t i = 0; i < r->findings.n; i++)
		if (r->findings.v[i].kind == k && (!about || r->findings.v[i].about_principal))
			return &r->findings.v[i];
	return NULL;
}

/* The log class saying the token itself failed (anything but
 * not_mapped and unknown), the most frequent one; CLASS_NONE if none. */
static enum error_class token_log_class(const struct doctor_result *r)
{
	enum error_class best = CLASS_NONE;
	for (int c = CLASS_NONE + 1; c < CLASS__COUNT; c++)
		if (c != CLASS_NOT_MAPPED && c != CLASS_UNKNOWN && r->log_classes[c] > 0 &&
		    (best == CLASS_NONE || r->log_classes[c] > r->log_classes[best]))
			best = (enum error_class)c;
	return best;
}

static void verdict(struct doctor_result *r, const struct arn_info *me)
{
	char who[2100], tmp[2100];
	enum auth_mode mode = r->eks.auth_mode;
	int reads_cm = mode != AUTH_MODE_API, reads_api = mode == AUTH_MODE_API || mode == AUTH_MODE_API_AND_CONFIG_MAP;
	int mapped_cm = r->aws_auth && r->findings.mapped;
	const struct awsauth_finding *f;
	enum error_class lc;

	short_name(me, who, sizeof who);
	if (r->accepted) {
		r->status = DOCTOR_STATUS_OK;
		r->cls = DOCTOR_OK;
		buf_printf(&r->cause, "%s is accepted as %s", who, r->username ? r->username : "(no username)");
		if (r->entry_problem[0]) {
			buf_printf(&r->cause, ", but %s", r->entry_problem);
			if (r->entry_wrong_type) {
				fix_delete_entry(r);
				fix_for(r, CLASS_NOT_MAPPED, me);
			}
		}
		return;
	}
	r->status = DOCTOR_STATUS_DENIED;
	if (!r->token_made) {
		r->cls = DOCTOR_CREDENTIALS_FAILED;
		buf_printf(&r->cause, "no token could be made: %s", r->identity_err);
		fix_credentials(r);
		return;
	}
	if ((lc = token_log_class(r)) != CLASS_NONE) {
		r->cls = DOCTOR_LOG_CLASS;
		r->log_class = lc;
		buf_printf(&r->cause, "the authenticator refused the token: %s", classify_cause(lc));
		fix_for(r, lc, me);
		return;
	}
	if (r->entry_found) {
		/* An entry exists for the ARN and still the token is refused: the
		 * principal was deleted and re-created (the entry holds the old
		 * unique id). */
		r->cls = DOCTOR_LOG_CLASS;
		r->log_class = CLASS_NOT_MAPPED;
		buf_printf(&r->cause, "%s has an access entry and is still refused: the principal was probably "
				      "deleted and re-created, and the entry still holds the old one's unique id", who);
		fix_delete_entry(r);
		fix_for(r, CLASS_NOT_MAPPED, me);
		return;
	}
	if (reads_cm && r->aws_auth && !mapped_cm) {
		if ((f = finding(r, AWSAUTH_PATH_IN_ARN, 1)) != NULL) {
			struct arn_info *p = calloc(1, sizeof *p);
			r->cls = DOCTOR_MAPPING_HAS_PATH;
			if (p && f->entry && f->entry->arn && arn_parse(f->entry->arn, strlen(f->entry->arn), p) == 0) {
				buf_printf(&r->cause, "%s is mapped in aws-auth with its path ", who);
				esc_term(&r->cause, p->path, strlen(p->path));
				buf_puts(&r->cause, ", which never matches");
			} else {
				buf_printf(&r->cause, "%s is mapped in aws-auth with a path, which never matches", who);
			}
			free(p);
			fix_for(r, CLASS_NOT_MAPPED, me);
			return;
		}
		if ((f = finding(r, AWSAUTH_ASSUMED_ROLE_ARN, 1)) || (f = finding(r, AWSAUTH_OTHER_ACCOUNT, 1)) ||
		    (f = finding(r, AWSAUTH_NEAR_MISS, 1))) {
			r->cls = DOCTOR_MAPPING_WRONG_ARN;
			buf_printf(&r->cause, "aws-auth maps %s (%s), which never matches %s",
				   f->entry && f->entry->arn ? msg_printable(f->entry->arn, tmp, sizeof tmp) : "an ARN",
				   awsauth_finding_name(f->kind), r->principal_arn);
			fix_for(r, CLASS_NOT_MAPPED, me);
			return;
		}
	}
	if (mode == AUTH_MODE_API && r->aws_auth && r->findings.mapped) {
		r->cls = DOCTOR_CONFIGMAP_IGNORED;
		buf_printf(&r->cause, "%s is mapped only in aws-auth, which the cluster's API mode ignores", who);
		fix_for(r, CLASS_NOT_MAPPED, me);
		return;
	}
	if (reads_api && r->entries_checked && (mode == AUTH_MODE_API || !mapped_cm)) {
		r->cls = DOCTOR_NO_ACCESS_ENTRY;
		buf_printf(&r->cause, "%s has no access entry", who);
		if (mode == AUTH_MODE_API_AND_CONFIG_MAP && !r->aws_auth)
			buf_puts(&r->notes, "aws-auth was not seen: --aws-auth FILE would show whether it maps the "
					    "principal with a path or a near-miss ARN.\n");
		fix_for(r, CLASS_NOT_MAPPED, me);
		return;
	}
	if ((mode == AUTH_MODE_CONFIG_MAP && r->aws_auth && !mapped_cm) || r->log_classes[CLASS_NOT_MAPPED] > 0) {
		r->cls = DOCTOR_LOG_CLASS;
		r->log_class = CLASS_NOT_MAPPED;
		if ((f = finding(r, AWSAUTH_INVALID_YAML, 0)) != NULL) {
			/* eksctl cannot add to a section it cannot parse either:
			 * the section is repaired by hand, as the findings say. */
			buf_printf(&r->cause, "%s is not mapped: aws-auth's %s does not parse (line %zu), so the "
					      "authenticator drops every entry in it",
				   who, awsauth_section_name(f->section), f->line);
			for (size_t i = 0; i < r->findings.n; i++)
				if (r->findings.v[i].kind == AWSAUTH_INVALID_YAML ||
				    r->findings.v[i].kind == AWSAUTH_UNQUOTED_TEMPLATE)
					buf_printf(&r->notes, "line %zu: %s\n", r->findings.v[i].line,
						   r->findings.v[i].detail ? r->findings.v[i].detail : "");
			buf_puts(&r->fix, "kubectl edit configmap aws-auth -n kube-system\n");
			return;
		}
		buf_printf(&r->cause, "%s is not mapped in aws-auth", who);
		fix_for(r, CLASS_NOT_MAPPED, me);
		return;
	}
	if (r->logging == 0) {
		r->cls = DOCTOR_LOGGING_DISABLED;
		buf_printf(&r->cause, "%s is refused, no cause was found in the mappings, and the authenticator "
				      "log type is off",
			   who);
		if (!r->aws_auth)
			buf_puts(&r->notes, "aws-auth was not seen: pass --aws-auth FILE (kubectl get configmap aws-auth "
					    "-n kube-system -o yaml, as an admin) to check it.\n");
		fix_logging(r);
		return;
	}
	r->status = DOCTOR_STATUS_UNKNOWN;
	r->cls = DOCTOR_UNKNOWN;
	/* Say what was checked, so the reader knows what is left. */
	buf_printf(&r->cause, "%s is refused and no cause was found (checked: the token", who);
	if (r->entries_checked)
		buf_puts(&r->cause, ", the access entries");
	if (r->aws_auth)
		buf_puts(&r->cause, ", aws-auth");
	if (r->logs_checked)
		buf_puts(&r->cause, ", the logs");
	buf_putc(&r->cause, ')');
	if (!r->aws_auth)
		buf_puts(&r->notes, "aws-auth was not seen: pass --aws-auth FILE to check it.\n");
}

/* ---- the run --------------------------------------------------------- */

struct run {
	struct kubeconfig kc;
	int have_kc;
	struct aws_session s;
	int session_open;
	struct aws_client *client;
	struct aws_credentials creds;
	struct arn_info *me;
	struct buf ca, cm;
	struct k8s_api *k8s;
	char *token;
};

static int load_kubeconfig(const struct doctor_opts *o, struct run *x, char *err, size_t err_sz)
{
	char path[4096];
	if (kubeconfig_default_path(o->kubeconfig, path, sizeof path, NULL, err, err_sz) != AL_OK)
		return o->kubeconfig || o->context || !o->cluster ? AL_CONFIG : AL_OK;
	/* Without one, the flags alone are enough. */
	if (!o->kubeconfig && !o->context && access(path, F_OK) != 0)
		return AL_OK;
	int rc = kubeconfig_load(path, o->context, &x->kc, err, err_sz);
	if (rc != AL_OK && !o->kubeconfig && !o->context && o->cluster)
		return AL_OK;
	x->have_kc = rc == AL_OK;
	return rc;
}

static void creds_failed(struct doctor_result *r, const char *why)
{
	snprintf(r->identity_err, sizeof r->identity_err, "%s", why);
}

/* An access entry must name the role with its IAM path, which STS never
 * shows (and EKS refuses the path-less ARN of an SSO role): IAM GetRole
 * has it.  The call is optional: when it fails, the fix looks the ARN up
 * with aws iam get-role, and a note says why.  AL_OK, or AL_SOFTWARE. */
static int get_role_arn(struct run *x, struct doctor_result *r)
{
	struct aws_endpoint iam;
	char e[1024], arn[sizeof r->iam_arn];
	struct arn_info *a = calloc(1, sizeof *a);
	int rc = a ? aws_session_endpoint(&x->s, AWS_SVC_IAM, NULL, &iam, e, sizeof e) : AL_SOFTWARE;
	if (rc == AL_OK)
		rc = iam_api_get_role_arn(x->client, iam.url, iam.signing_region, &x->creds, x->me->name, arn,
					  sizeof arn, e, sizeof e);
	/* Only the caller's own role, whatever the answer says. */
	if (rc == AL_OK && (arn_parse(arn, strlen(arn), a) != 0 || strcmp(a->canonical, x->me->canonical) != 0)) {
		msg_set(e, sizeof e, "GetRole answered %s, another role", arn);
		rc = AL_UNAVAILABLE;
	}
	if (rc == AL_OK)
		snprintf(r->iam_arn, sizeof r->iam_arn, "%s", arn);
	else if (rc == AL_NOPERM)
		buf_printf(&r->notes, "iam:GetRole was not allowed (%s): the fix looks the role's ARN, with its path, "
				      "up with aws iam get-role.\n", e);
	else if (rc != AL_SOFTWARE)
		buf_printf(&r->notes, "IAM GetRole failed (%s): the fix looks the role's ARN, with its path, up with "
				      "aws iam get-role.\n", e);
	free(a);
	return rc == AL_SOFTWARE ? rc : AL_OK;
}

static int run_steps(const struct doctor_opts *o, struct doctor_result *r, struct run *x, char *err,
		     size_t err_sz)
{
	char e[1024], tmp[128];
	int rc;

	if ((rc = load_kubeconfig(o, x, err, err_sz)) != AL_OK)
		return rc;
	const struct kubeconfig_eks *ke = x->have_kc ? &x->kc.eks : NULL;
	const char *cluster = o->cluster ? o->cluster : ke ? ke->cluster : NULL;
	const char *region = o->region ? o->region : ke ? ke->region : NULL;
	const char *profile = o->profile ? o->profile : ke ? ke->profile : NULL;
	const char *role = o->role_arn ? o->role_arn : ke ? ke->role_arn : NULL;
	if (!cluster) {
		msg_set(err, err_sz, "no cluster: give --cluster, or a kubeconfig context that runs aws eks get-token");
		return AL_CONFIG;
	}
	if (!arn_valid_cluster_name(cluster, NULL)) {
		msg_set(err, err_sz, "'%s' is not an EKS cluster name", msg_printable(cluster, tmp, sizeof tmp));
		return AL_CONFIG;
	}
	if (role && !arn_valid_principal(role, strlen(role), NULL)) {
		msg_set(err, err_sz, "role '%s' is not an IAM role ARN", msg_printable(role, tmp, sizeof tmp));
		return AL_CONFIG;
	}
	snprintf(r->cluster, sizeof r->cluster, "%s", cluster);

	struct aws_session_opts so = {.profile = profile, .region = region, .verbose = o->verbose, .inspect = 1};
	rc = aws_session_open(&x->s, &so, err, err_sz);
	x->session_open = 1;
	if (rc != AL_OK)
		return rc;
	if (!x->s.have_region) {
		msg_set(err, err_sz, "%s", x->s.region_err);
		return AL_CONFIG;
	}
	snprintf(r->region, sizeof r->region, "%s", x->s.region);
	if (!x->s.prov) {
		msg_set(err, err_sz, "%s", x->s.creds_err);
		return AL_CONFIG;
	}
	aws_creds_provider_describe(x->s.prov, r->source, sizeof r->source);
	snprintf(r->profile, sizeof r->profile, "%s", x->s.profile);
	snprintf(r->role_arn, sizeof r->role_arn, "%s", role ? role : "");
	r->sso = aws_creds_provider_kind(x->s.prov) == AWS_CREDS_SSO;

	struct aws_endpoint sts, eks;
	if ((rc = aws_session_endpoint(&x->s, AWS_SVC_STS, NULL, &sts, err, err_sz)) != AL_OK ||
	    (rc = aws_session_endpoint(&x->s, AWS_SVC_EKS, NULL, &eks, err, err_sz)) != AL_OK)
		return rc;
	if (aws_client_new(&x->s.copts, &x->client) != 0 || !x->client) {
		msg_set(err, err_sz, "cannot create the HTTP client");
		return AL_SOFTWARE;
	}

	/* 1. identity */
	if (x->s.creds_rc != AL_OK) {
		creds_failed(r, x->s.creds_err);
		return AL_OK;
	}
	if (role) {
		size_t n = strlen(r->source);
		snprintf(r->source + n, sizeof r->source - n, " -> AssumeRole %s", role);
		rc = assume_role(x->client, &sts, role, &x->s.creds, &x->creds, e, sizeof e);
		if (rc == AL_UNAVAILABLE) {
			msg_set(err, err_sz, "STS AssumeRole: %s", e);
			return rc;
		}
		if (rc != AL_OK) {
			creds_failed(r, e);
			return AL_OK;
		}
	} else if ((rc = aws_credentials_copy(&x->creds, &x->s.creds)) != AL_OK) {
		msg_set(err, err_sz, "out of memory");
		return rc;
	}
	struct aws_caller_identity id;
	rc = aws_sts_caller_identity(x->client, sts.url, sts.signing_region, &x->creds, &id, e, sizeof e);
	if (rc == AL_UNAVAILABLE) {
		msg_set(err, err_sz, "STS GetCallerIdentity: %s", e);
		return rc;
	}
	if (rc != AL_OK) {
		creds_failed(r, e);
		return AL_OK;
	}
	snprintf(r->caller_arn, sizeof r->caller_arn, "%s", id.arn);
	snprintf(r->account, sizeof r->account, "%s", id.account);
	if (!(x->me = calloc(1, sizeof *x->me)))
		return AL_SOFTWARE;
	if (arn_parse(id.arn, strlen(id.arn), x->me) != 0) {
		msg_set(err, err_sz, "STS answered a caller ARN that is not a principal ARN");
		return AL_UNAVAILABLE;
	}
	snprintf(r->principal_arn, sizeof r->principal_arn, "%s", x->me->canonical);
	if (x->me->type == PRINCIPAL_USER || (x->me->type == PRINCIPAL_ROLE && !x->me->sso))
		snprintf(r->iam_arn, sizeof r->iam_arn, "%s", id.arn);
	r->identity_ok = 1;

	/* 2. cluster */
	struct aws_target t = {.endpoint = eks.url, .region = eks.signing_region, .static_creds = &x->creds,
			       .verbose = o->verbose};
	struct aws_fault f = {0};
	rc = eks_api_describe_cluster(x->client, &t, r->cluster, &r->eks, &f, e, sizeof e);
	if (rc == AL_NOINPUT) {
		msg_set(err, err_sz, "no cluster %s in %s: %s", r->cluster, r->region, e);
		return AL_CONFIG;
	}
	if (rc != AL_OK)
		return eks_denied(rc, "DescribeCluster", e, err, err_sz);
	r->described = 1;
	r->logging = r->eks.logs_enabled & EKS_LOG_AUTHENTICATOR ? 1 : r->eks.logs_disabled & EKS_LOG_AUTHENTICATOR ? 0 : -1;

	/* 3. token */
	struct eks_token_request req = {r->cluster, sts.url, sts.signing_region, time(NULL)};
	rc = eks_token_make(&req, &x->creds, &x->token, e, sizeof e);
	if (rc == AL_CONFIG) {
		creds_failed(r, e);
		return AL_OK;
	}
	if (rc != AL_OK) {
		msg_set(err, err_sz, "token: %s", e);
		return rc;
	}
	r->token_made = 1;
	const char *server = r->eks.endpoint[0] ? r->eks.endpoint : x->have_kc ? x->kc.server : NULL;
	if (r->eks.ca_data)
		rc = k8s_api_decode_ca(r->eks.ca_data, &x->ca, e, sizeof e);
	else if (x->have_kc && x->kc.ca_data)
		rc = buf_append(&x->ca, x->kc.ca_data, x->kc.ca_data_len) == 0 ? AL_OK : AL_SOFTWARE;
	else
		msg_set(e, sizeof e, "DescribeCluster gave no certificate authority"), rc = AL_UNAVAILABLE;
	if (rc == AL_OK && !server)
		msg_set(e, sizeof e, "DescribeCluster gave no endpoint"), rc = AL_UNAVAILABLE;
	struct http_opts ho = {.verbose = o->verbose > 1, .timeout_ms = 20000};
	if (rc == AL_OK) {
		struct k8s_api_opts ko = {server, buf_str(&x->ca), x->ca.len, &ho};
		rc = k8s_api_new(&ko, &x->k8s, e, sizeof e);
	}
	struct k8s_api_review rv = {0};
	struct k8s_api_fault kf = {0};
	if (rc == AL_OK)
		rc = k8s_api_self_subject_review(x->k8s, x->token, &rv, &kf, e, sizeof e);
	if (rc != AL_OK) {
		k8s_api_review_free(&rv);
		msg_set(err, err_sz, "the cluster's API: %s", e);
		return rc;
	}
	r->reviewed = 1;
	r->accepted = rv.accepted;
	r->http_status = rv.http_status;
	r->username = rv.username;
	rv.username = NULL;
	r->groups = rv.groups;
	memset(&rv.groups, 0, sizeof rv.groups);
	k8s_api_review_free(&rv);

	/* 4. mappings */
	if (r->eks.auth_mode == AUTH_MODE_API || r->eks.auth_mode == AUTH_MODE_API_AND_CONFIG_MAP) {
		if ((rc = check_entries(x->client, &t, r, x->me, err, err_sz)) != AL_OK)
			return rc;
		if (!r->iam_arn[0] && (x->me->type == PRINCIPAL_ROLE || x->me->type == PRINCIPAL_ASSUMED_ROLE) &&
		    (rc = get_role_arn(x, r)) != AL_OK)
			return rc;
	}
	const char *src_name = NULL;
	if (o->aws_auth) {
		if ((rc = read_all(o->aws_auth, &x->cm, err, err_sz)) != AL_OK)
			return rc;
		r->aws_auth_source = strcmp(o->aws_auth, "-") == 0 ? "stdin" : "file";
		src_name = o->aws_auth;
	} else if (r->accepted) {
		struct k8s_api_fault cf = {0};
		if (k8s_api_get_configmap(x->k8s, x->token, "kube-system", "aws-auth", &x->cm, &cf, e, sizeof e) == AL_OK) {
			r->aws_auth_source = "api";
			src_name = "kube-system/aws-auth";
		} else {
			snprintf(r->aws_auth_err, sizeof r->aws_auth_err, "%s", e);
		}
	}
	if (src_name) {
		rc = awsauth_parse(buf_str(&x->cm), x->cm.len, src_name, &r->aws_auth, err, err_sz);
		if (rc != AL_OK)
			return rc;
		rc = awsauth_check(r->aws_auth, r->principal_arn, &r->findings, err, err_sz);
		if (rc != AL_OK)
			return rc;
	}

	/* 5. logs */
	if (o->no_logs)
		snprintf(r->logs_note, sizeof r->logs_note, "--no-logs");
	else if (r->logging == 0)
		snprintf(r->logs_note, sizeof r->logs_note, "the authenticator log type is off");
	else {
		if (o->query_file && o->db_path)
			fetch_logs(o, r, &x->s, &x->creds);
		read_logs(o, r);
	}
	return AL_OK;
}

int doctor_run(const struct doctor_opts *o, struct doctor_result *r, char *err, size_t err_sz)
{
	struct run x;
	memset(r, 0, sizeof *r);
	memset(&x, 0, sizeof x);
	r->logging = -1;
	int rc = run_steps(o, r, &x, err, err_sz);
	/* 6. verdict */
	if (rc == AL_OK) {
		static const struct arn_info none;
		verdict(r, x.me ? x.me : &none);
		if (r->cause.oom || r->notes.oom || r->fix.oom) {
			msg_set(err, err_sz, "out of memory");
			rc = AL_SOFTWARE;
		}
	}
	eks_token_free(x.token);
	k8s_api_free(x.k8s);
	buf_free(&x.ca);
	buf_free(&x.cm);
	free(x.me);
	aws_credentials_clear(&x.creds);
	aws_client_free(x.client);
	if (x.session_open)
		aws_session_close(&x.s);
	kubeconfig_free(&x.kc); /* loaded or not: the loader leaves it freeable */
	return rc;
}

/* ---- output ---------------------------------------------------------- */

static void term(struct buf *b, const char *s)
{
	esc_term(b, s, strlen(s));
}

static void each_line(struct buf *out, const char *lines, const char *indent)
{
	for (const char *p = lines; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_puts(out, indent);
		esc_term(out, p, n);
		buf_putc(out, '\n');
		p += n + (nl ? 1 : 0);
	}
}

int doctor_format_text(const struct doctor_result *r, struct buf *out)
{
	static const char *const heads[] = {"OK", "DENIED", "UNKNOWN"};
	buf_printf(out, "%s: ", heads[r->status]);
	term(out, buf_str(&r->cause));
	buf_printf(out, " [%s]\n\n", doctor_class_name(r));

	buf_puts(out, "identity      ");
	if (r->identity_ok) {
		term(out, r->principal_arn);
		buf_puts(out, " (caller ");
		term(out, r->caller_arn);
		buf_puts(out, ")\n");
	} else {
		buf_puts(out, "not confirmed: ");
		term(out, r->identity_err);
		buf_putc(out, '\n');
	}
	buf_puts(out, "  credentials ");
	term(out, r->source[0] ? r->source : "(none)");
	buf_putc(out, '\n');

	buf_puts(out, "cluster       ");
	term(out, r->cluster);
	buf_puts(out, " in ");
	term(out, r->region);
	if (r->described) {
		buf_printf(out, ": mode %s, authenticator logging %s\n", authmode_name(r->eks.auth_mode),
			   r->logging == 1 ? "on" : r->logging == 0 ? "off" : "unknown");
		buf_puts(out, "  endpoint    ");
		term(out, r->eks.endpoint);
		buf_putc(out, '\n');
	} else {
		buf_puts(out, ": not described\n");
	}

	buf_puts(out, "token         ");
	if (!r->token_made)
		buf_puts(out, "not made\n");
	else if (r->accepted) {
		buf_printf(out, "accepted (%ld) as ", r->http_status);
		term(out, r->username ? r->username : "");
		buf_puts(out, ", groups");
		for (size_t i = 0; i < r->groups.n; i++) {
			buf_putc(out, ' ');
			term(out, r->groups.v[i]);
		}
		buf_putc(out, '\n');
	} else
		buf_printf(out, "refused (%ld)\n", r->http_status);

	if (r->entries_checked) {
		buf_puts(out, "access entry  ");
		if (r->entry_found) {
			term(out, r->entry.principal_arn);
			buf_puts(out, " type ");
			term(out, r->entry.type);
			buf_printf(out, ", %zu access polic%s, %zu group%s\n", r->policies.n, r->policies.n == 1 ? "y" : "ies",
				   r->entry.kubernetes_groups.n, r->entry.kubernetes_groups.n == 1 ? "" : "s");
			for (size_t i = 0; i < r->policies.n; i++) {
				buf_puts(out, "  policy      ");
				term(out, r->policies.v[i].policy_arn);
				buf_printf(out, " (%s)\n", eks_api_scope_name(r->policies.v[i].scope));
			}
		} else
			buf_puts(out, "none for this principal\n");
	}

	buf_puts(out, "aws-auth      ");
	if (r->aws_auth) {
		buf_printf(out, "from %s: %s\n", r->aws_auth_source,
			   r->findings.mapped ? "maps the principal" : "does not map the principal");
		for (size_t i = 0; i < r->findings.n; i++) {
			const struct awsauth_finding *f = &r->findings.v[i];
			buf_printf(out, "  %-11s ", awsauth_finding_name(f->kind));
			if (f->line)
				buf_printf(out, "line %zu: ", f->line);
			term(out, f->detail ? f->detail : "");
			buf_putc(out, '\n');
		}
	} else {
		buf_puts(out, "not seen");
		if (r->aws_auth_err[0]) {
			buf_puts(out, " (");
			term(out, r->aws_auth_err);
			buf_putc(out, ')');
		}
		buf_puts(out, ": --aws-auth FILE would add its entries and problems\n");
	}

	buf_puts(out, "logs          ");
	if (r->logs_checked) {
		buf_printf(out, "%lld records, %lld denials", r->log_records, r->log_denials);
		for (int c = 1; c < CLASS__COUNT; c++)
			if (r->log_classes[c])
				buf_printf(out, ", %s %lld", classify_name((enum error_class)c), r->log_classes[c]);
		buf_puts(out, r->logs_fetched ? " (fetched from CloudWatch Logs)\n" : " (in the database)\n");
		if (r->fetch_note[0]) {
			buf_puts(out, "  fetch       ");
			term(out, r->fetch_note);
			buf_putc(out, '\n');
		}
	} else {
		buf_puts(out, "not read: ");
		term(out, r->logs_note);
		buf_putc(out, '\n');
	}

	if (r->notes.len) {
		buf_puts(out, "\nnotes:\n");
		each_line(out, buf_str(&r->notes), "  ");
	}
	if (r->fix.len) {
		buf_puts(out, "\nfix:\n");
		/* Commands are validated and shell-quoted when they are made:
		 * escaping again changes nothing (esc_term is idempotent). */
		each_line(out, buf_str(&r->fix), "  ");
	}
	return out->oom ? -1 : 0;
}

static void jkey(struct buf *b, const char *k)
{
	if (b->len && b->data[b->len - 1] != '{' && b->data[b->len - 1] != '[')
		buf_putc(b, ',');
	buf_json_string(b, k, strlen(k));
	buf_putc(b, ':');
}

static void jstr(struct buf *b, const char *k, const char *v)
{
	jkey(b, k);
	if (v && *v)
		buf_json_string(b, v, strlen(v));
	else
		buf_puts(b, "null");
}

static void jstrings(struct buf *b, const char *k, const struct eks_strings *s)
{
	jkey(b, k);
	buf_json_strings(b, s->v, s->n);
}

static void jlines(struct buf *b, const char *k, const char *lines)
{
	jkey(b, k);
	buf_putc(b, '[');
	int first = 1;
	for (const char *p = lines; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (!first)
			buf_putc(b, ',');
		buf_json_string(b, p, n);
		first = 0;
		p += n + (nl ? 1 : 0);
	}
	buf_putc(b, ']');
}

static int is_match(enum awsauth_finding_kind k)
{
	return k == AWSAUTH_EXACT_MATCH || k == AWSAUTH_ACCOUNT_MAPPED;
}

static void jfindings(struct buf *b, const char *k, const struct doctor_result *r, int matches)
{
	jkey(b, k);
	buf_putc(b, '[');
	for (size_t i = 0; i < r->findings.n; i++) {
		const struct awsauth_finding *f = &r->findings.v[i];
		if (is_match(f->kind) != matches)
			continue;
		if (b->data[b->len - 1] != '[')
			buf_putc(b, ',');
		buf_putc(b, '{');
		jstr(b, "kind", awsauth_finding_name(f->kind));
		jstr(b, "section", awsauth_section_name(f->section));
		jkey(b, "line");
		buf_printf(b, "%zu", f->line);
		jstr(b, "arn", f->entry ? f->entry->arn : NULL);
		jstr(b, "detail", f->detail);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

int doctor_format_json(const struct doctor_result *r, struct buf *b)
{
	buf_putc(b, '{');
	jkey(b, "identity");
	buf_putc(b, '{');
	jstr(b, "source", r->source);
	jstr(b, "caller_arn", r->caller_arn);
	jstr(b, "principal_arn", r->principal_arn);
	jstr(b, "account", r->account);
	buf_putc(b, '}');

	jkey(b, "cluster");
	buf_putc(b, '{');
	jstr(b, "name", r->cluster);
	jstr(b, "region", r->region);
	jstr(b, "authentication_mode", r->described ? authmode_name(r->eks.auth_mode) : NULL);
	jkey(b, "authenticator_logging");
	buf_puts(b, r->logging == 1 ? "true" : r->logging == 0 ? "false" : "null");
	jstr(b, "endpoint", r->described ? r->eks.endpoint : NULL);
	buf_putc(b, '}');

	jkey(b, "token");
	buf_putc(b, '{');
	jkey(b, "accepted");
	buf_puts(b, r->accepted ? "true" : "false");
	jkey(b, "http_status");
	if (r->reviewed)
		buf_printf(b, "%ld", r->http_status);
	else
		buf_puts(b, "null");
	jstr(b, "username", r->username);
	if (r->accepted)
		jstrings(b, "groups", &r->groups);
	else {
		jkey(b, "groups");
		buf_puts(b, "null");
	}
	buf_putc(b, '}');

	jkey(b, "access_entry");
	if (!r->entry_found)
		buf_puts(b, "null");
	else {
		buf_putc(b, '{');
		jstr(b, "principal_arn", r->entry.principal_arn);
		jstr(b, "type", r->entry.type);
		jstr(b, "username", r->entry.username);
		jstrings(b, "kubernetes_groups", &r->entry.kubernetes_groups);
		jkey(b, "access_policies");
		buf_putc(b, '[');
		for (size_t i = 0; i < r->policies.n; i++) {
			if (i)
				buf_putc(b, ',');
			buf_putc(b, '{');
			jstr(b, "policy_arn", r->policies.v[i].policy_arn);
			jstr(b, "scope", eks_api_scope_name(r->policies.v[i].scope));
			jstrings(b, "namespaces", &r->policies.v[i].namespaces);
			buf_putc(b, '}');
		}
		buf_putc(b, ']');
		jstr(b, "problem", r->entry_problem);
		buf_putc(b, '}');
	}

	jkey(b, "aws_auth");
	buf_putc(b, '{');
	jstr(b, "source", r->aws_auth ? r->aws_auth_source : NULL);
	jfindings(b, "matches", r, 1);
	jfindings(b, "problems", r, 0);
	buf_putc(b, '}');

	jkey(b, "log");
	if (!r->logs_checked)
		buf_puts(b, "null");
	else {
		buf_putc(b, '{');
		jkey(b, "records");
		buf_printf(b, "%lld", r->log_records);
		jkey(b, "denials");
		buf_printf(b, "%lld", r->log_denials);
		jkey(b, "classes");
		buf_putc(b, '{');
		for (int c = 1; c < CLASS__COUNT; c++)
			if (r->log_classes[c]) {
				jkey(b, classify_name((enum error_class)c));
				buf_printf(b, "%lld", r->log_classes[c]);
			}
		buf_putc(b, '}');
		buf_putc(b, '}');
	}

	jkey(b, "verdict");
	buf_putc(b, '{');
	jstr(b, "status", doctor_status_name(r->status));
	jstr(b, "class", doctor_class_name(r));
	jstr(b, "cause", buf_str(&r->cause));
	jlines(b, "fix", buf_str(&r->fix));
	buf_putc(b, '}');
	buf_puts(b, "}\n");
	return b->oom ? -1 : 0;
}
