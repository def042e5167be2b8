/* The EKS bearer token; see eks_token.h. */
#include "eks_token.h"

#include "aws_creds.h"
#include "aws_request_int.h"
#include "aws_secret.h"
#include "msg.h"
#include "sigv4.h"
#include "status.h"

#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLUSTER_MAX 255
/* botocore serializes the operation's parameters first, in this order. */
#define STS_QUERY "Action=GetCallerIdentity&Version=2011-06-15"

static int cluster_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > CLUSTER_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* "k8s-aws-v1." + base64url(url) without '=' padding, in one allocation
 * (a growing buffer would leave copies of the signature behind). */
static char *encode_token(const char *url)
{
	size_t n = strlen(url), prefix = sizeof(EKS_TOKEN_PREFIX) - 1;
	size_t b64 = 4 * ((n + 2) / 3);
	char *tok = malloc(prefix + b64 + 1);
	if (!tok)
		return NULL;
	memcpy(tok, EKS_TOKEN_PREFIX, prefix);
	int len = EVP_EncodeBlock((unsigned char *)tok + prefix, (const unsigned char *)url, (int)n);
	if (len < 0) {
		aws_secret_free(tok);
		return NULL;
	}
	char *p = tok + prefix, *end = p + len;
	while (end > p && end[-1] == '=')
		end--;
	*end = '\0';
	for (; p < end; p++)
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	return tok;
}

int eks_token_make(const struct eks_token_request *req, const struct aws_credentials *creds, char **token,
		   char *err, size_t err_sz)
{
	struct aws_request_endpoint ep;
	struct sigv4_result res;
	char why[256];
	*token = NULL;
	if (!cluster_ok(req->cluster)) {
		msg_set(err, err_sz, "a cluster name is 1-%d printable characters without spaces", CLUSTER_MAX);
		return AL_USAGE;
	}
	if (!creds || !creds->access_key_id || !*creds->access_key_id || !creds->secret_access_key ||
	    !*creds->secret_access_key) {
		msg_set(err, err_sz, "no credentials to sign the token with");
		return AL_CONFIG;
	}
	if (!req->sts_url || aws_request_split_endpoint(req->sts_url, &ep) != 0) {
		char q[MSG_QUOTE_MAX + 1];
		msg_set(err, err_sz, "the STS endpoint '%s' is not http(s)://host[:port][/path]",
			msg_printable(req->sts_url, q, sizeof q));
		return AL_DATAERR;
	}
	const struct sigv4_header hdrs[] = {
		{"Host", ep.host_header},
		{"x-k8s-aws-id", req->cluster},
	};
	const char *path = ep.prefix[0] ? ep.prefix : "/";
	struct sigv4_request sr = {
		.method = "GET",
		.path = path,
		.query = STS_QUERY,
		.headers = hdrs,
		.n_headers = 2,
		/* botocore presigns with an empty body's hash, not UNSIGNED-PAYLOAD */
		.body = "",
		.body_len = 0,
		.region = req->signing_region && *req->signing_region ? req->signing_region : "us-east-1",
		.service = "sts",
		.time = req->time,
		.normalize_path = 1,
		.mode = SIGV4_MODE_QUERY,
		.expires = EKS_TOKEN_URL_EXPIRES,
	};
	struct sigv4_credentials sc = {creds->access_key_id, creds->secret_access_key, creds->session_token, 0};
	int rc = sigv4_sign(&sr, &sc, &res, why, sizeof why);
	if (rc != AL_OK) {
		msg_set(err, err_sz, "cannot sign the token: %s", why);
		sigv4_result_free(&res);
		return rc;
	}
	/* The parameters in the order the CLI's URL has them (sigv4.h:
	 * presign_params is the SDKs' order), so the token is byte for byte
	 * the CLI's. */
	size_t url_sz = strlen(ep.scheme) + 3 + strlen(ep.host_header) + strlen(path) + 1 +
			sizeof(STS_QUERY) + 1 + strlen(res.presign_params) + 1;
	char *url = malloc(url_sz);
	if (url)
		snprintf(url, url_sz, "%s://%s%s?" STS_QUERY "&%s", ep.scheme, ep.host_header, path,
			 res.presign_params);
	sigv4_result_free(&res);
	*token = url ? encode_token(url) : NULL;
	aws_secret_free(url);
	if (!*token) {
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	return AL_OK;
}

void eks_token_free(char *token)
{
	aws_secret_free(token);
}

void eks_token_expiration(time_t made, char out[21])
{
	time_t t = made + EKS_TOKEN_LIFETIME;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}
