#include "eks_api.h"
#include "eks_api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "aws_doc.h"
#include "msg.h"
#include "sigv4.h"
#include "status.h"
#include "timeutil.h"

/* 1,000 pages of 100: far more clusters, access entries or policies than
 * an account or a cluster has; a service that keeps answering with a
 * token is not followed further. */
#define MAX_PAGES 1000
#define CA_DATA_MAX 65536 /* a PEM bundle of a few certificates, base64 */

/* ---- what a string may hold ---- */

static int all_of(const char *s, size_t max, const char *extra, int lower, int upper, int digit)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char ch = s[n];
		int ok = (lower && ch >= 'a' && ch <= 'z') || (upper && ch >= 'A' && ch <= 'Z') ||
			 (digit && ch >= '0' && ch <= '9') || (extra && strchr(extra, ch));
		if (!ok || n >= max)
			return 0;
	}
	return n > 0;
}

int eks_api_name_valid(const char *s)
{
	return s && ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) &&
	       all_of(s, EKS_API_NAME_MAX, "_-", 1, 1, 1);
}

int eks_api_arn_valid(const char *s)
{
	return s && strncmp(s, "arn:", 4) == 0 && all_of(s, EKS_API_ARN_MAX, ":/_+=,.@-", 1, 1, 1);
}

/* Kubernetes user and group names as EKS takes them: "system:masters",
 * "alice@example.com", "system:node:{{EC2PrivateDNSName}}". */
static int k8s_name_valid(const char *s)
{
	return all_of(s, EKS_API_K8S_NAME_MAX, ":._-@{}/=+,", 1, 1, 1);
}

/* A namespace (a DNS label) or a pattern of them ("dev-*"). */
static int namespace_valid(const char *s)
{
	return all_of(s, 63, "-*", 1, 0, 1);
}

/* Enum-like words the API sends: "ACTIVE", "EC2_LINUX", "API_AND_CONFIG_MAP". */
static int word_valid(const char *s, size_t max)
{
	return all_of(s, max, "_", 0, 1, 1);
}

static int version_valid(const char *s)
{
	return all_of(s, 15, ".", 0, 0, 1);
}

/* https://HOST[:PORT][/] */
static int endpoint_valid(const char *s)
{
	if (strncmp(s, "https://", 8) != 0)
		return 0;
	size_t h = strspn(s + 8, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
	const char *p = s + 8 + h;
	if (h == 0)
		return 0;
	if (*p == ':') {
		size_t d = strspn(p + 1, "0123456789");
		if (d == 0 || d > 5)
			return 0;
		p += 1 + d;
	}
	if (*p == '/')
		p++;
	return *p == '\0' && strlen(s) < sizeof(((struct eks_cluster *)0)->endpoint);
}

static int base64_valid(const char *s)
{
	return all_of(s, CA_DATA_MAX, "+/=\n", 1, 1, 1);
}

/* Printable, no blank: an opaque token we send back. */
static int token_valid(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f || n >= EKS_API_TOKEN_MAX)
			return 0;
	return 1;
}

/* Copies v's string into out when valid(s) holds and it fits; else out is "". */
static void take(yajl_val v, int (*valid)(const char *), char *out, size_t out_sz)
{
	const char *s = aws_doc_str(v);
	out[0] = '\0';
	if (s && valid(s) && strlen(s) < out_sz)
		memcpy(out, s, strlen(s) + 1);
}

static int status_valid(const char *s)
{
	return word_valid(s, 15);
}

static int type_valid(const char *s)
{
	return word_valid(s, 31);
}

/* A timestamp: epoch seconds (the REST-JSON default, fractions allowed)
 * or an RFC 3339 string; 0 when absent or out of range. */
static int64_t time_of(yajl_val v)
{
	int64_t t = 0;
	if (YAJL_IS_INTEGER(v))
		t = YAJL_GET_INTEGER(v);
	else if (YAJL_IS_DOUBLE(v)) {
		double d = YAJL_GET_DOUBLE(v);
		t = d >= 0 && d < 1e13 ? (int64_t)d : 0;
	} else if (YAJL_IS_STRING(v) && time_parse(v->u.string, strlen(v->u.string), &t) != 0)
		t = 0;
	return t >= 0 && t < 100000000000LL ? t : 0; /* before the year 5138 */
}

/* ---- names ---- */

static const char *const log_type_names[EKS_LOG_TYPES] = {
	"api", "audit", "authenticator", "controllerManager", "scheduler",
};

const char *eks_api_log_type_name(unsigned bit)
{
	for (unsigned i = 0; i < EKS_LOG_TYPES; i++)
		if (bit == 1u << i)
			return log_type_names[i];
	return "";
}

const char *eks_api_scope_name(enum eks_scope s)
{
	return s == EKS_SCOPE_CLUSTER ? "cluster" : s == EKS_SCOPE_NAMESPACE ? "namespace" : "unknown";
}

/* ---- freeing ---- */

void eks_api_cluster_free(struct eks_cluster *c)
{
	free(c->ca_data);
	memset(c, 0, sizeof(*c));
}

void eks_api_strings_free(struct eks_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void eks_api_cluster_names_free(struct eks_cluster_names *n)
{
	eks_api_strings_free(&n->names);
	eks_api_strings_free(&n->rejected);
}

void eks_api_access_entry_free(struct eks_access_entry *e)
{
	eks_api_strings_free(&e->kubernetes_groups);
	memset(e, 0, sizeof(*e));
}

void eks_api_access_policies_free(struct eks_access_policies *p)
{
	for (size_t i = 0; i < p->n; i++)
		eks_api_strings_free(&p->v[i].namespaces);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* ---- requests ---- */

static void label(struct buf *b, const char *s)
{
	buf_putc(b, '/');
	sigv4_uri_encode(b, s, strlen(s), 0);
}

int eks_api_path(struct buf *b, const char *cluster, const char *principal_arn, const char *suffix)
{
	buf_puts(b, "/clusters");
	if (cluster)
		label(b, cluster);
	if (principal_arn) {
		buf_puts(b, "/access-entries");
		label(b, principal_arn);
	}
	if (suffix)
		buf_puts(b, suffix);
	return b->oom ? AL_SOFTWARE : AL_OK;
}

int eks_api_page_query(struct buf *b, const char *next_token)
{
	buf_puts(b, "maxResults=100");
	if (next_token && *next_token) {
		buf_puts(b, "&nextToken=");
		sigv4_uri_encode(b, next_token, strlen(next_token), 0);
	}
	return b->oom ? AL_SOFTWARE : AL_OK;
}

/* ---- answers ---- */

/* The tree of body when it is a JSON object; NULL with err set otherwise. */
static yajl_val object_tree(const char *body, size_t len, char *err, size_t err_sz)
{
	if (aws_doc_json_has_nul(body, len)) {
		msg_set(err, err_sz, "the response has a string holding a NUL");
		return NULL;
	}
	yajl_val tree = aws_doc_tree(body, len, err, err_sz);
	if (tree && !YAJL_IS_OBJECT(tree)) {
		msg_set(err, err_sz, "the response is not a JSON object");
		yajl_tree_free(tree);
		return NULL;
	}
	return tree;
}

/* Appends the first len bytes of s to out. AL_OK, AL_UNAVAILABLE past
 * EKS_API_LIST_MAX, AL_SOFTWARE on OOM. */
static int push_string(struct eks_strings *out, const char *s, size_t len, char *err, size_t err_sz)
{
	if (out->n >= EKS_API_LIST_MAX) {
		msg_set(err, err_sz, "the response lists more than %d items", EKS_API_LIST_MAX);
		return AL_UNAVAILABLE;
	}
	char **nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
	char *copy = nv ? strndup(s, len) : NULL;
	if (nv)
		out->v = nv;
	if (!copy) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	out->v[out->n++] = copy;
	return AL_OK;
}

/* Appends the valid strings of the array v to out, and with rejected
 * non-NULL the other strings, cut to EKS_API_REJECTED_MAX bytes (a
 * non-array is empty). The status of push_string. */
static int take_strings_or_rejects(yajl_val v, int (*valid)(const char *), struct eks_strings *out,
				   struct eks_strings *rejected, char *err, size_t err_sz)
{
	int rc = AL_OK;
	for (size_t i = 0; YAJL_IS_ARRAY(v) && i < v->u.array.len && rc == AL_OK; i++) {
		const char *s = aws_doc_str(v->u.array.values[i]);
		if (s && valid(s))
			rc = push_string(out, s, strlen(s), err, err_sz);
		else if (s && rejected)
			rc = push_string(rejected, s, strnlen(s, EKS_API_REJECTED_MAX), err, err_sz);
	}
	return rc;
}

static int take_strings(yajl_val v, int (*valid)(const char *), struct eks_strings *out, char *err,
			size_t err_sz)
{
	return take_strings_or_rejects(v, valid, out, NULL, err, err_sz);
}

static int take_token(yajl_val tree, char *next_token, size_t token_sz, char *err, size_t err_sz)
{
	const char *tok = aws_doc_str(aws_doc_member(tree, "nextToken"));
	next_token[0] = '\0';
	if (!tok)
		return AL_OK; /* absent or null: the last page */
	if (!token_valid(tok) || strlen(tok) >= token_sz) {
		msg_set(err, err_sz, "the response's nextToken is too long or not printable");
		return AL_UNAVAILABLE;
	}
	memcpy(next_token, tok, strlen(tok) + 1);
	return AL_OK;
}

static unsigned log_types_of(yajl_val types)
{
	unsigned bits = 0;
	if (!YAJL_IS_ARRAY(types))
		return 0;
	for (size_t i = 0; i < types->u.array.len; i++) {
		const char *s = aws_doc_str(types->u.array.values[i]);
		for (unsigned k = 0; s && k < EKS_LOG_TYPES; k++)
			if (strcmp(s, log_type_names[k]) == 0)
				bits |= 1u << k;
	}
	return bits;
}

static void take_logging(yajl_val logging, struct eks_cluster *out)
{
	yajl_val setups = aws_doc_member(logging, "clusterLogging");
	if (!YAJL_IS_ARRAY(setups))
		return;
	for (size_t i = 0; i < setups->u.array.len; i++) {
		yajl_val s = setups->u.array.values[i], en = aws_doc_member(s, "enabled");
		unsigned bits = log_types_of(aws_doc_member(s, "types"));
		if (YAJL_IS_TRUE(en))
			out->logs_enabled |= bits;
		else if (YAJL_IS_FALSE(en))
			out->logs_disabled |= bits;
	}
	/* A type listed both ways is reported enabled: its logs may arrive. */
	out->logs_disabled &= ~out->logs_enabled;
}

/* ACCOUNT of arn:PARTITION:eks:REGION:ACCOUNT:cluster/NAME (arn is
 * eks_api_arn_valid or ""); "" for any other ARN. */
static void take_account(const char *arn, char out[13])
{
	const char *p = arn;
	out[0] = '\0';
	if (strncmp(p, "arn:", 4) != 0 || !(p = strchr(p + 4, ':')) || strncmp(p, ":eks:", 5) != 0 ||
	    !(p = strchr(p + 5, ':')))
		return;
	p++;
	if (strspn(p, "0123456789") == 12 && strncmp(p + 12, ":cluster/", 9) == 0) {
		memcpy(out, p, 12);
		out[12] = '\0';
	}
}

static void take_access_config(yajl_val ac, struct eks_cluster *out)
{
	yajl_val b = aws_doc_member(ac, "bootstrapClusterCreatorAdminPermissions");
	out->bootstrap_admin = YAJL_IS_TRUE(b) ? 1 : YAJL_IS_FALSE(b) ? 0 : -1;
	take(aws_doc_member(ac, "authenticationMode"), type_valid, out->mode_text, sizeof(out->mode_text));
	if (!aws_doc_str(aws_doc_member(ac, "authenticationMode"))) {
		/* No mode: CONFIG_MAP, see auth_mode_defaulted in eks_api.h. */
		out->auth_mode = AUTH_MODE_CONFIG_MAP;
		out->auth_mode_defaulted = 1;
		return;
	}
	out->auth_mode = authmode_from_name(out->mode_text);
}

int eks_api_parse_cluster(const char *body, size_t len, struct eks_cluster *out, char *err, size_t err_sz)
{
	memset(out, 0, sizeof(*out));
	out->bootstrap_admin = -1;
	yajl_val tree = object_tree(body, len, err, err_sz);
	if (!tree)
		return AL_UNAVAILABLE;
	yajl_val c = aws_doc_member(tree, "cluster");
	int rc = AL_OK;
	if (!YAJL_IS_OBJECT(c)) {
		msg_set(err, err_sz, "the response has no cluster object");
		rc = AL_UNAVAILABLE;
		goto out;
	}
	take(aws_doc_member(c, "name"), eks_api_name_valid, out->name, sizeof(out->name));
	take(aws_doc_member(c, "arn"), eks_api_arn_valid, out->arn, sizeof(out->arn));
	take_account(out->arn, out->account);
	take(aws_doc_member(c, "status"), status_valid, out->status, sizeof(out->status));
	take(aws_doc_member(c, "version"), version_valid, out->version, sizeof(out->version));
	take(aws_doc_member(c, "endpoint"), endpoint_valid, out->endpoint, sizeof(out->endpoint));
	take(aws_doc_member(c, "roleArn"), eks_api_arn_valid, out->role_arn, sizeof(out->role_arn));
	out->created_at = time_of(aws_doc_member(c, "createdAt"));
	const char *ca = aws_doc_str(aws_doc_member(aws_doc_member(c, "certificateAuthority"), "data"));
	if (ca && base64_valid(ca) && !(out->ca_data = strdup(ca))) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
		goto out;
	}
	take_access_config(aws_doc_member(c, "accessConfig"), out);
	take_logging(aws_doc_member(c, "logging"), out);
out:
	yajl_tree_free(tree);
	return rc;
}

int eks_api_parse_cluster_names(const char *body, size_t len, struct eks_cluster_names *out, char *next_token,
				size_t token_sz, char *err, size_t err_sz)
{
	next_token[0] = '\0';
	yajl_val tree = object_tree(body, len, err, err_sz);
	if (!tree)
		return AL_UNAVAILABLE;
	int rc = take_strings_or_rejects(aws_doc_member(tree, "clusters"), eks_api_name_valid, &out->names,
					 &out->rejected, err, err_sz);
	if (rc == AL_OK)
		rc = take_token(tree, next_token, token_sz, err, err_sz);
	yajl_tree_free(tree);
	return rc;
}

int eks_api_parse_access_entries(const char *body, size_t len, struct eks_strings *out, char *next_token,
				 size_t token_sz, char *err, size_t err_sz)
{
	next_token[0] = '\0';
	yajl_val tree = object_tree(body, len, err, err_sz);
	if (!tree)
		return AL_UNAVAILABLE;
	int rc = take_strings(aws_doc_member(tree, "accessEntries"), eks_api_arn_valid, out, err, err_sz);
	if (rc == AL_OK)
		rc = take_token(tree, next_token, token_sz, err, err_sz);
	yajl_tree_free(tree);
	return rc;
}

int eks_api_parse_access_entry(const char *body, size_t len, struct eks_access_entry *out, char *err,
			       size_t err_sz)
{
	memset(out, 0, sizeof(*out));
	yajl_val tree = object_tree(body, len, err, err_sz);
	if (!tree)
		return AL_UNAVAILABLE;
	yajl_val e = aws_doc_member(tree, "accessEntry");
	int rc = AL_OK;
	if (!YAJL_IS_OBJECT(e)) {
		msg_set(err, err_sz, "the response has no accessEntry object");
		rc = AL_UNAVAILABLE;
	} else {
		take(aws_doc_member(e, "principalArn"), eks_api_arn_valid, out->principal_arn,
		     sizeof(out->principal_arn));
		take(aws_doc_member(e, "username"), k8s_name_valid, out->username, sizeof(out->username));
		take(aws_doc_member(e, "type"), type_valid, out->type, sizeof(out->type));
		out->created_at = time_of(aws_doc_member(e, "createdAt"));
		out->modified_at = time_of(aws_doc_member(e, "modifiedAt"));
		rc = take_strings(aws_doc_member(e, "kubernetesGroups"), k8s_name_valid, &out->kubernetes_groups,
				  err, err_sz);
	}
	yajl_tree_free(tree);
	return rc;
}

static int take_policy(yajl_val p, struct eks_access_policies *out, char *err, size_t err_sz)
{
	struct eks_access_policy ap;
	memset(&ap, 0, sizeof(ap));
	take(aws_doc_member(p, "policyArn"), eks_api_arn_valid, ap.policy_arn, sizeof(ap.policy_arn));
	if (!ap.policy_arn[0])
		return AL_OK; /* nothing to say about a policy without its name */
	if (out->n >= EKS_API_LIST_MAX) {
		msg_set(err, err_sz, "the response lists more than %d policies", EKS_API_LIST_MAX);
		return AL_UNAVAILABLE;
	}
	yajl_val scope = aws_doc_member(p, "accessScope");
	const char *type = aws_doc_str(aws_doc_member(scope, "type"));
	ap.scope = !type ? EKS_SCOPE_UNKNOWN
		   : strcmp(type, "cluster") == 0 ? EKS_SCOPE_CLUSTER
		   : strcmp(type, "namespace") == 0 ? EKS_SCOPE_NAMESPACE : EKS_SCOPE_UNKNOWN;
	ap.associated_at = time_of(aws_doc_member(p, "associatedAt"));
	ap.modified_at = time_of(aws_doc_member(p, "modifiedAt"));
	int rc = take_strings(aws_doc_member(scope, "namespaces"), namespace_valid, &ap.namespaces, err, err_sz);
	struct eks_access_policy *nv = rc == AL_OK ? realloc(out->v, (out->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		eks_api_strings_free(&ap.namespaces);
		if (rc == AL_OK) {
			msg_set(err, err_sz, "out of memory");
			rc = AL_SOFTWARE;
		}
		return rc;
	}
	out->v = nv;
	out->v[out->n++] = ap;
	return AL_OK;
}

int eks_api_parse_access_policies(const char *body, size_t len, struct eks_access_policies *out,
				  char *next_token, size_t token_sz, char *err, size_t err_sz)
{
	next_token[0] = '\0';
	yajl_val tree = object_tree(body, len, err, err_sz);
	if (!tree)
		return AL_UNAVAILABLE;
	yajl_val list = aws_doc_member(tree, "associatedAccessPolicies");
	int rc = AL_OK;
	for (size_t i = 0; YAJL_IS_ARRAY(list) && i < list->u.array.len && rc == AL_OK; i++)
		rc = take_policy(list->u.array.values[i], out, err, err_sz);
	if (rc == AL_OK)
		rc = take_token(tree, next_token, token_sz, err, err_sz);
	yajl_tree_free(tree);
	return rc;
}

/* ---- calls ---- */

/* What the caller passed, checked before anything goes on the wire. */
static int check_args(const char *op, const char *cluster, const char *principal_arn, struct aws_fault *f,
		      char *err, size_t err_sz)
{
	char tmp[MSG_QUOTE_MAX + 1];
	memset(f, 0, sizeof(*f));
	if (!eks_api_name_valid(cluster))
		return aws_error_fail(f, AWS_ERR_VALIDATION, AL_USAGE, op, err, err_sz,
				      "'%s' is not an EKS cluster name", msg_printable(cluster, tmp, sizeof(tmp)));
	if (principal_arn && !eks_api_arn_valid(principal_arn))
		return aws_error_fail(f, AWS_ERR_VALIDATION, AL_USAGE, op, err, err_sz,
				      "'%s' is not an IAM principal ARN",
				      msg_printable(principal_arn, tmp, sizeof(tmp)));
	return AL_OK;
}

/* One signed GET of path?query. */
static int get(struct aws_client *c, const struct aws_target *t, const char *op, const struct buf *path,
	       const struct buf *query, struct http_response *resp, struct aws_fault *f, char *err, size_t err_sz)
{
	memset(resp, 0, sizeof(*resp));
	if (path->oom || (query && query->oom))
		return aws_error_fail(f, AWS_ERR_OTHER, AL_SOFTWARE, op, err, err_sz, "out of memory");
	const struct http_header headers[] = {{"Accept", "application/json"}};
	const struct aws_call ac = {
		.operation = op,
		.service = "eks",
		.method = "GET",
		.path = buf_str(path),
		.query = query ? buf_str(query) : NULL,
		.headers = headers,
		.nheaders = 1,
	};
	return aws_request_target(c, t, &ac, resp, f, err, err_sz);
}

static const char *body_of(const struct http_response *resp)
{
	return resp->body.data ? resp->body.data : "";
}

/* A parser's failure (why) as the call's: AL_UNAVAILABLE is a bad answer. */
static int bad_answer(int rc, const char *op, const struct http_response *resp, const char *why,
		      struct aws_fault *f, char *err, size_t err_sz)
{
	return aws_error_fail(f, rc == AL_SOFTWARE ? AWS_ERR_OTHER : AWS_ERR_BAD_RESPONSE, rc, op, err, err_sz,
			      "%s (HTTP %ld, %zu bytes)", why, resp->status, resp->body.len);
}

int eks_api_describe_cluster(struct aws_client *c, const struct aws_target *t, const char *name,
			     struct eks_cluster *out, struct aws_fault *f, char *err, size_t err_sz)
{
	static const char op[] = "DescribeCluster";
	struct buf path = BUF_INIT;
	struct http_response resp;
	char why[256];
	memset(out, 0, sizeof(*out));
	int rc = check_args(op, name, NULL, f, err, err_sz);
	if (rc)
		return rc;
	eks_api_path(&path, name, NULL, NULL);
	rc = get(c, t, op, &path, NULL, &resp, f, err, err_sz);
	if (rc == AL_OK && (rc = eks_api_parse_cluster(body_of(&resp), resp.body.len, out, why, sizeof(why))))
		rc = bad_answer(rc, op, &resp, why, f, err, err_sz);
	http_response_free(&resp);
	buf_free(&path);
	return rc;
}

int eks_api_describe_access_entry(struct aws_client *c, const struct aws_target *t, const char *cluster,
				  const char *principal_arn, struct eks_access_entry *out,
				  struct aws_fault *f, char *err, size_t err_sz)
{
	static const char op[] = "DescribeAccessEntry";
	struct buf path = BUF_INIT;
	struct http_response resp;
	char why[256];
	memset(out, 0, sizeof(*out));
	int rc = check_args(op, cluster, principal_arn, f, err, err_sz);
	if (rc)
		return rc;
	eks_api_path(&path, cluster, principal_arn, NULL);
	rc = get(c, t, op, &path, NULL, &resp, f, err, err_sz);
	if (rc == AL_OK &&
	    (rc = eks_api_parse_access_entry(body_of(&resp), resp.body.len, out, why, sizeof(why))))
		rc = bad_answer(rc, op, &resp, why, f, err, err_sz);
	http_response_free(&resp);
	buf_free(&path);
	return rc;
}

/* One page of a list: its parser appends to out and sets the token. */
typedef int (*page_parser)(const char *body, size_t len, void *out, char *next_token, size_t token_sz,
			   char *err, size_t err_sz);

static int parse_names_page(const char *body, size_t len, void *out, char *tok, size_t tok_sz, char *err,
			    size_t err_sz)
{
	return eks_api_parse_cluster_names(body, len, out, tok, tok_sz, err, err_sz);
}

static int parse_entries_page(const char *body, size_t len, void *out, char *tok, size_t tok_sz, char *err,
			      size_t err_sz)
{
	return eks_api_parse_access_entries(body, len, out, tok, tok_sz, err, err_sz);
}

static int parse_policies_page(const char *body, size_t len, void *out, char *tok, size_t tok_sz, char *err,
			       size_t err_sz)
{
	return eks_api_parse_access_policies(body, len, out, tok, tok_sz, err, err_sz);
}

/* Every page of a list operation, following nextToken; cluster NULL:
 * ListClusters. */
static int list_all(struct aws_client *c, const struct aws_target *t, const char *op, const char *cluster,
		    const char *principal_arn, const char *suffix, page_parser parse, void *out,
		    struct aws_fault *f, char *err, size_t err_sz)
{
	struct buf path = BUF_INIT, query = BUF_INIT;
	struct http_response resp;
	char token[EKS_API_TOKEN_MAX + 1] = "", why[256];
	int rc = AL_OK;
	memset(f, 0, sizeof(*f));
	if (cluster && (rc = check_args(op, cluster, principal_arn, f, err, err_sz)))
		return rc;
	memset(&resp, 0, sizeof(resp));
	eks_api_path(&path, cluster, principal_arn, suffix);
	for (int page = 0;; page++) {
		if (page == MAX_PAGES) {
			rc = aws_error_fail(f, AWS_ERR_BAD_RESPONSE, AL_UNAVAILABLE, op, err, err_sz,
					    "still a nextToken after %d pages", MAX_PAGES);
			break;
		}
		buf_reset(&query);
		eks_api_page_query(&query, token);
		http_response_free(&resp);
		rc = get(c, t, op, &path, &query, &resp, f, err, err_sz);
		if (rc)
			break;
		if ((rc = parse(body_of(&resp), resp.body.len, out, token, sizeof(token), why, sizeof(why)))) {
			rc = bad_answer(rc, op, &resp, why, f, err, err_sz);
			break;
		}
		if (!*token)
			break;
	}
	http_response_free(&resp);
	buf_free(&path);
	buf_free(&query);
	return rc;
}

int eks_api_list_clusters(struct aws_client *c, const struct aws_target *t, struct eks_cluster_names *out,
			  struct aws_fault *f, char *err, size_t err_sz)
{
	memset(out, 0, sizeof(*out));
	return list_all(c, t, "ListClusters", NULL, NULL, NULL, parse_names_page, out, f, err, err_sz);
}

int eks_api_list_access_entries(struct aws_client *c, const struct aws_target *t, const char *cluster,
				struct eks_strings *out, struct aws_fault *f, char *err, size_t err_sz)
{
	memset(out, 0, sizeof(*out));
	return list_all(c, t, "ListAccessEntries", cluster, NULL, "/access-entries", parse_entries_page, out, f, err,
			err_sz);
}

int eks_api_list_associated_access_policies(struct aws_client *c, const struct aws_target *t,
					    const char *cluster, const char *principal_arn,
					    struct eks_access_policies *out, struct aws_fault *f,
					    char *err, size_t err_sz)
{
	memset(out, 0, sizeof(*out));
	return list_all(c, t, "ListAssociatedAccessPolicies", cluster, principal_arn, "/access-policies",
			parse_policies_page, out, f, err, err_sz);
}
