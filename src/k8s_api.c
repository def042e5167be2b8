/* Kubernetes API calls with a bearer token; see k8s_api.h. */
#include "k8s_api.h"
#include "k8s_api_int.h"

#include "aws/aws_doc.h"
#include "aws/aws_secret.h"
#include "msg.h"
#include "status.h"

#include <openssl/evp.h>
#include <yajl/yajl_tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K8S_API_MAX_BODY ((size_t)4 * 1024 * 1024) /* a ConfigMap holds at most 1 MiB of data */
#define PEM_CERT "-----BEGIN CERTIFICATE-----"

struct k8s_api {
	struct http_client *http;
	char *server; /* without a trailing '/' */
};

int k8s_api_new(const struct k8s_api_opts *o, struct k8s_api **out, char *err, size_t err_sz)
{
	struct http_opts ho = {0};
	char q[MSG_QUOTE_MAX + 1];
	*out = NULL;
	if (!o->server || strncmp(o->server, "https://", 8) != 0 || !o->server[8] ||
	    strcspn(o->server + 8, "/?#") == 0 || strpbrk(o->server, "?# \t\r\n")) {
		msg_set(err, err_sz, "the API server '%s' is not https://HOST[:PORT][/PATH]",
			msg_printable(o->server, q, sizeof q));
		return AL_CONFIG;
	}
	if (o->ca_pem && (!memmem(o->ca_pem, o->ca_pem_len, PEM_CERT, sizeof(PEM_CERT) - 1))) {
		msg_set(err, err_sz, "the cluster CA holds no PEM certificate");
		return AL_CONFIG;
	}
	if (o->http)
		ho = *o->http;
	ho.ca_bundle = NULL;
	ho.ca_pem = o->ca_pem;
	ho.ca_pem_len = o->ca_pem_len;
	ho.insecure_loopback = 0;
	if (!ho.max_body)
		ho.max_body = K8S_API_MAX_BODY;
	struct k8s_api *k = calloc(1, sizeof *k);
	if (!k || !(k->server = strdup(o->server)) || http_client_new(&ho, &k->http) != AL_OK) {
		k8s_api_free(k);
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	size_t n = strlen(k->server);
	while (n > 8 && k->server[n - 1] == '/')
		k->server[--n] = '\0';
	*out = k;
	return AL_OK;
}

void k8s_api_free(struct k8s_api *k)
{
	if (!k)
		return;
	http_client_free(k->http);
	free(k->server);
	free(k);
}

int k8s_api_decode_ca(const char *b64, struct buf *pem, char *err, size_t err_sz)
{
	struct buf clean = BUF_INIT;
	int rc = AL_DATAERR;
	buf_reset(pem);
	for (const char *p = b64 ? b64 : ""; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
			continue;
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", *p)) {
			msg_set(err, err_sz, "the cluster CA is not base64");
			goto out;
		}
		buf_putc(&clean, *p);
	}
	if (clean.oom || buf_grow(pem, clean.len / 4 * 3 + 1) != 0) {
		msg_set(err, err_sz, "out of memory");
		rc = AL_SOFTWARE;
		goto out;
	}
	int n = clean.len % 4 == 0 && clean.len ? EVP_DecodeBlock((unsigned char *)pem->data,
								   (const unsigned char *)clean.data, (int)clean.len)
						 : -1;
	if (n < 0) {
		msg_set(err, err_sz, "the cluster CA is not base64");
		goto out;
	}
	/* EVP_DecodeBlock counts the bytes the padding stands for; more
	 * padding than that is not base64 */
	for (size_t i = clean.len; i > 0 && clean.data[i - 1] == '='; i--)
		n--;
	if (n < 0) {
		msg_set(err, err_sz, "the cluster CA is not base64");
		goto out;
	}
	pem->len = (size_t)n;
	pem->data[pem->len] = '\0';
	if (!memmem(pem->data, pem->len, PEM_CERT, sizeof(PEM_CERT) - 1)) {
		msg_set(err, err_sz, "the cluster CA holds no PEM certificate");
		goto out;
	}
	rc = AL_OK;
out:
	buf_free(&clean);
	if (rc != AL_OK)
		buf_reset(pem);
	return rc;
}

/* ---- answers ---- */

/* A bounded string of v, copied; NULL (and *bad set) when v is not one. */
static char *take_str(yajl_val v, int *bad)
{
	const char *s = aws_doc_str(v);
	if (!s || strlen(s) > K8S_API_USER_MAX) {
		*bad = 1;
		return NULL;
	}
	char *c = strdup(s);
	if (!c)
		*bad = 2;
	return c;
}

/* The strings of the array v into out; *bad 1 for a bad answer, 2 OOM. */
static void take_list(yajl_val v, struct eks_strings *out, int *bad)
{
	if (!v || YAJL_IS_NULL(v))
		return;
	if (!YAJL_IS_ARRAY(v) || v->u.array.len > K8S_API_LIST_MAX) {
		*bad = 1;
		return;
	}
	out->v = calloc(v->u.array.len + 1, sizeof(char *));
	if (!out->v) {
		*bad = 2;
		return;
	}
	for (size_t i = 0; i < v->u.array.len && !*bad; i++)
		if ((out->v[out->n] = take_str(v->u.array.values[i], bad)))
			out->n++;
}

/* status.userInfo of a SelfSubjectReview; 0, 1 bad answer, 2 OOM. */
static int take_user(yajl_val tree, struct k8s_api_review *r)
{
	int bad = 0;
	const char *kind = aws_doc_str(aws_doc_member(tree, "kind"));
	yajl_val ui = aws_doc_member(aws_doc_member(tree, "status"), "userInfo");
	if (!kind || strcmp(kind, "SelfSubjectReview") != 0 || !YAJL_IS_OBJECT(ui))
		return 1;
	yajl_val v = aws_doc_member(ui, "username");
	if (v && !(r->username = take_str(v, &bad)))
		return bad;
	if ((v = aws_doc_member(ui, "uid")) && !(r->uid = take_str(v, &bad)))
		return bad;
	take_list(aws_doc_member(ui, "groups"), &r->groups, &bad);
	yajl_val ex = aws_doc_member(ui, "extra");
	if (bad || !ex || YAJL_IS_NULL(ex))
		return bad;
	if (!YAJL_IS_OBJECT(ex) || ex->u.object.len > K8S_API_LIST_MAX)
		return 1;
	if (!(r->extra = calloc(ex->u.object.len + 1, sizeof *r->extra)))
		return 2;
	for (size_t i = 0; i < ex->u.object.len && !bad; i++) {
		struct k8s_api_extra *e = &r->extra[r->n_extra];
		if (strlen(ex->u.object.keys[i]) > K8S_API_USER_MAX)
			return 1;
		if (!(e->key = strdup(ex->u.object.keys[i])))
			return 2;
		r->n_extra++;
		take_list(ex->u.object.values[i], &e->values, &bad);
	}
	return bad;
}

void k8s_api_review_free(struct k8s_api_review *r)
{
	if (!r)
		return;
	free(r->username);
	free(r->uid);
	eks_api_strings_free(&r->groups);
	for (size_t i = 0; i < r->n_extra; i++) {
		free(r->extra[i].key);
		eks_api_strings_free(&r->extra[i].values);
	}
	free(r->extra);
	memset(r, 0, sizeof *r);
}

int k8s_api_parse_review(const char *body, size_t len, struct k8s_api_review *out, char *err, size_t err_sz)
{
	memset(out, 0, sizeof *out);
	yajl_val tree = aws_doc_json_has_nul(body, len) ? NULL : aws_doc_tree(body, len, NULL, 0);
	int bad = tree ? take_user(tree, out) : 1;
	if (tree)
		yajl_tree_free(tree);
	if (bad) {
		k8s_api_review_free(out);
		msg_set(err, err_sz, bad == 2 ? "SelfSubjectReview: out of memory"
					  : "SelfSubjectReview: the answer is not a SelfSubjectReview");
		return bad == 2 ? AL_SOFTWARE : AL_UNAVAILABLE;
	}
	out->accepted = 1;
	return AL_OK;
}

/* ---- calls ---- */

/* One request with the token; AL_OK when an answer arrived (any status). */
static int call(struct k8s_api *k, const char *method, const char *path, const char *body, const char *token,
		struct http_response *resp, struct k8s_api_fault *fault, const char *what, char *err,
		size_t err_sz)
{
	struct buf url = BUF_INIT, auth = BUF_INIT;
	char why[512];
	buf_printf(&url, "%s%s", k->server, path);
	buf_printf(&auth, "Bearer %s", token);
	const struct http_header hdrs[] = {
		{"Authorization", buf_str(&auth)},
		{"Accept", "application/json"},
		{"Content-Type", "application/json"},
	};
	struct http_request req = {
		.method = method,
		.url = buf_str(&url),
		.headers = hdrs,
		.nheaders = body ? 3 : 2,
		.body = body,
		.body_len = body ? strlen(body) : 0,
	};
	int rc = AL_SOFTWARE;
	memset(resp, 0, sizeof *resp);
	if (url.oom || auth.oom)
		msg_set(err, err_sz, "%s: out of memory", what);
	else if ((rc = http_perform(k->http, &req, resp, why, sizeof why)) != AL_OK)
		msg_set(err, err_sz, "%s: %s%s", what, why,
			resp->fail == HTTP_FAIL_TLS ? " (is the cluster's CA the right one?)" : "");
	fault->fail = resp->fail;
	buf_free(&url);
	aws_secret_buf_free(&auth);
	return rc;
}

/* "HTTP 500: the Status message" for an answer that is not usable. */
static void status_error(const struct http_response *resp, const char *what, char *err, size_t err_sz)
{
	char q[MSG_QUOTE_MAX + 1];
	const char *m = NULL;
	yajl_val tree = resp->body.len ? aws_doc_tree(buf_str(&resp->body), resp->body.len, NULL, 0) : NULL;
	if (tree)
		m = aws_doc_str(aws_doc_member(tree, "message"));
	msg_set(err, err_sz, "%s: HTTP %ld%s%s", what, resp->status, m ? ": " : "",
		m ? msg_printable(m, q, sizeof q) : "");
	if (tree)
		yajl_tree_free(tree);
}

int k8s_api_self_subject_review(struct k8s_api *k, const char *token, struct k8s_api_review *out,
				struct k8s_api_fault *fault, char *err, size_t err_sz)
{
	/* v1 from Kubernetes 1.28, v1beta1 (on by default) in 1.27 */
	static const char *const versions[] = {"v1", "v1beta1"};
	memset(out, 0, sizeof *out);
	memset(fault, 0, sizeof *fault);
	if (!token || !*token) {
		msg_set(err, err_sz, "SelfSubjectReview: no token");
		return AL_USAGE;
	}
	for (size_t i = 0; i < 2; i++) {
		struct http_response resp;
		char path[96], body[128];
		snprintf(path, sizeof path, "/apis/authentication.k8s.io/%s/selfsubjectreviews", versions[i]);
		snprintf(body, sizeof body, "{\"apiVersion\":\"authentication.k8s.io/%s\",\"kind\":\"SelfSubjectReview\"}",
			 versions[i]);
		int rc = call(k, "POST", path, body, token, &resp, fault, "SelfSubjectReview", err, err_sz);
		if (rc != AL_OK) {
			http_response_free(&resp);
			return rc;
		}
		out->http_status = fault->http_status = resp.status;
		snprintf(out->api_version, sizeof out->api_version, "%s", versions[i]);
		if (resp.status == 404 && i == 0) {
			http_response_free(&resp);
			continue;
		}
		if (resp.status == 401) {
			http_response_free(&resp);
			return AL_OK;
		}
		if (resp.status != 201 && resp.status != 200) {
			status_error(&resp, "SelfSubjectReview", err, err_sz);
			http_response_free(&resp);
			return AL_UNAVAILABLE;
		}
		rc = k8s_api_parse_review(buf_str(&resp.body), resp.body.len, out, err, err_sz);
		http_response_free(&resp);
		out->http_status = fault->http_status; /* the parse zeroed out */
		snprintf(out->api_version, sizeof out->api_version, "%s", versions[i]);
		return rc;
	}
	return AL_UNAVAILABLE; /* not reached: the second round always returns */
}

/* RFC 1123 subdomain: what namespaces and ConfigMap names are. */
static int k8s_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > K8S_API_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && !((c == '-' || c == '.') && i > 0 && i + 1 < n))
			return 0;
	}
	return 1;
}

int k8s_api_get_configmap(struct k8s_api *k, const char *token, const char *ns, const char *name,
			  struct buf *body, struct k8s_api_fault *fault, char *err, size_t err_sz)
{
	struct http_response resp;
	char path[2 * K8S_API_NAME_MAX + 64], what[2 * K8S_API_NAME_MAX + 16];
	buf_reset(body);
	memset(fault, 0, sizeof *fault);
	if (!k8s_name_ok(ns) || !k8s_name_ok(name)) {
		msg_set(err, err_sz, "ConfigMap: a namespace and a name are lower-case RFC 1123 names");
		return AL_USAGE;
	}
	if (!token || !*token) {
		msg_set(err, err_sz, "ConfigMap: no token");
		return AL_USAGE;
	}
	snprintf(path, sizeof path, "/api/v1/namespaces/%s/configmaps/%s", ns, name);
	snprintf(what, sizeof what, "get configmap %s/%s", ns, name);
	int rc = call(k, "GET", path, NULL, token, &resp, fault, what, err, err_sz);
	if (rc == AL_OK) {
		fault->http_status = resp.status;
		if (resp.status == 200 && aws_doc_json_valid(buf_str(&resp.body), resp.body.len)) {
			if (buf_append(body, resp.body.data, resp.body.len) != 0) {
				msg_set(err, err_sz, "%s: out of memory", what);
				rc = AL_SOFTWARE;
			}
		} else if (resp.status == 200) {
			msg_set(err, err_sz, "%s: HTTP 200 with an answer that is not JSON", what);
			rc = AL_UNAVAILABLE;
		} else {
			status_error(&resp, what, err, err_sz);
			rc = resp.status == 401 || resp.status == 403 ? AL_NOPERM
			     : resp.status == 404			    ? AL_NOINPUT
									    : AL_UNAVAILABLE;
		}
	}
	http_response_free(&resp);
	if (rc != AL_OK)
		buf_reset(body);
	return rc;
}
