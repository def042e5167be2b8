#include "aws_sts.h"
#include "aws_sts_int.h"

#include <stdio.h>
#include <string.h>

#include "aws_creds.h"
#include "aws_creds_int.h"
#include "aws_doc.h"
#include "aws_request.h"
#include "aws_secret.h"
#include "buf.h"
#include "msg.h"
#include "status.h"

/* The fields of an STS answer: in JSON by their full path, in XML by the
 * element names inside scope.  AL_OK, or a status with err set. */
static int read_answer(const char *op, const char *scope, const char *const *names, const char *body,
		       size_t len, struct aws_doc_field *f, size_t nf, char *err, size_t err_sz)
{
	if (aws_doc_is_json_object(body, len)) {
		int r = aws_doc_json(body, len, f, nf, NULL, 0);
		if (r == AL_SOFTWARE)
			msg_set(err, err_sz, "%s: out of memory", op);
		else if (r)
			msg_set(err, err_sz, "%s: the answer is not valid JSON", op);
		return r == AL_OK ? AL_OK : r == AL_SOFTWARE ? AL_SOFTWARE : AL_UNAVAILABLE;
	}
	for (size_t i = 0; i < nf; i++) {
		f[i].val = aws_doc_xml_text(body, len, scope, names[i]);
		f[i].type = f[i].val ? AWS_DOC_STRING : AWS_DOC_ABSENT;
	}
	return AL_OK;
}

int aws_sts_parse_credentials(const char *action, const char *body, size_t len,
			      struct aws_credentials *out, char *err, size_t err_sz)
{
	char p[4][160];
	static const char *const names[4] = {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"};
	static const char *const labels[4] = {"Credentials.AccessKeyId", "Credentials.SecretAccessKey",
					      "Credentials.SessionToken", "Credentials.Expiration"};
	struct aws_doc_field f[4];
	int rc;

	memset(out, 0, sizeof *out);
	memset(f, 0, sizeof f);
	for (int i = 0; i < 4; i++) {
		snprintf(p[i], sizeof p[i], "%sResponse.%sResult.Credentials.%s", action, action, names[i]);
		f[i].path = p[i];
	}
	if ((rc = read_answer(action, "Credentials", names, body, len, f, 4, err, err_sz)) != AL_OK)
		return rc;
	rc = aws_credentials_from_fields(f, labels, 0, 1, action, out, err, err_sz);
	aws_doc_fields_free(f, 4);
	return rc;
}

int aws_sts_parse_caller_identity(const char *body, size_t len, struct aws_caller_identity *out,
				  char *err, size_t err_sz)
{
	struct aws_doc_field f[3] = {
		{"GetCallerIdentityResponse.GetCallerIdentityResult.Arn", AWS_DOC_ABSENT, NULL},
		{"GetCallerIdentityResponse.GetCallerIdentityResult.Account", AWS_DOC_ABSENT, NULL},
		{"GetCallerIdentityResponse.GetCallerIdentityResult.UserId", AWS_DOC_ABSENT, NULL},
	};
	static const char *const names[3] = {"Arn", "Account", "UserId"};
	char *dst[3] = {out->arn, out->account, out->user_id};
	size_t sz[3] = {sizeof out->arn, sizeof out->account, sizeof out->user_id};
	int rc;

	memset(out, 0, sizeof *out);
	rc = read_answer("GetCallerIdentity", "GetCallerIdentityResult", names, body, len, f, 3, err, err_sz);
	if (rc != AL_OK)
		return rc;
	rc = AL_UNAVAILABLE;
	for (int i = 0; i < 3; i++) {
		if (f[i].type != AWS_DOC_STRING || !aws_secret_token_ok(f[i].val) || strlen(f[i].val) >= sz[i]) {
			msg_set(err, err_sz, "GetCallerIdentity: the answer has no valid %s", names[i]);
			memset(out, 0, sizeof *out);
			goto out;
		}
		memcpy(dst[i], f[i].val, strlen(f[i].val) + 1);
	}
	rc = AL_OK;
out:
	aws_doc_fields_free(f, 3);
	return rc;
}

/* One POST to the endpoint's path ("/", under an override's prefix). */
static int sts_post(struct aws_client *client, const char *sts_url, const char *signing_region,
		    const char *action, const char *body, size_t body_len,
		    const struct aws_credentials *signer, struct http_response *resp, char *err, size_t err_sz)
{
	static const struct http_header hdrs[] = {
		{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
		{"Accept", "application/json"},
	};
	struct aws_credentials none = {0};
	struct aws_fault fault;
	struct aws_call call = {
		.operation = action,
		.endpoint = sts_url,
		.region = signing_region && *signing_region ? signing_region : "us-east-1",
		.service = "sts",
		.method = "POST",
		.path = "/",
		.headers = hdrs,
		.nheaders = 2,
		.body = body,
		.body_len = body_len,
		.unsigned_request = signer == NULL,
	};
	return aws_request(client, &call, signer ? signer : &none, resp, &fault, err, err_sz);
}

int aws_sts_credentials(struct aws_client *client, const char *sts_url, const char *signing_region,
			const char *action, const char *body, size_t body_len,
			const struct aws_credentials *signer, struct aws_credentials *out,
			char *err, size_t err_sz)
{
	struct http_response resp;
	int rc = sts_post(client, sts_url, signing_region, action, body, body_len, signer, &resp, err, err_sz);
	if (rc == AL_OK)
		rc = aws_sts_parse_credentials(action, buf_str(&resp.body), resp.body.len, out, err, err_sz);
	http_response_free(&resp);
	return rc;
}

int aws_sts_caller_identity(struct aws_client *client, const char *sts_url, const char *signing_region,
			    const struct aws_credentials *creds, struct aws_caller_identity *out,
			    char *err, size_t err_sz)
{
	static const char body[] = "Action=GetCallerIdentity&Version=2011-06-15";
	struct http_response resp;
	memset(out, 0, sizeof *out);
	int rc = sts_post(client, sts_url, signing_region, "GetCallerIdentity", body, sizeof body - 1, creds,
			  &resp, err, err_sz);
	if (rc == AL_OK)
		rc = aws_sts_parse_caller_identity(buf_str(&resp.body), resp.body.len, out, err, err_sz);
	http_response_free(&resp);
	return rc;
}
