#include "iam_api.h"
#include "iam_api_int.h"

#include <stdio.h>
#include <string.h>

#include "aws_creds.h"
#include "aws_doc.h"
#include "aws_request.h"
#include "aws_secret.h"
#include "buf.h"
#include "http.h"
#include "msg.h"
#include "sigv4.h"
#include "status.h"

/* 1 when s is 1..max letters, digits and bytes of extra: IAM's RoleName
 * is [\w+=,.@-]{1,64}, an ARN adds ':' and the path's '/'. */
static int iam_chars(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(extra, c)))
			return 0;
	}
	return 1;
}

int iam_api_parse_get_role(const char *body, size_t len, char *arn, size_t arn_sz, char *err, size_t err_sz)
{
	struct aws_doc_field f = {"GetRoleResponse.GetRoleResult.Role.Arn", AWS_DOC_ABSENT, NULL};
	int rc = AL_OK;

	if (arn_sz)
		arn[0] = '\0';
	if (aws_doc_is_json_object(body, len)) {
		rc = aws_doc_json(body, len, &f, 1, NULL, 0);
		if (rc == AL_SOFTWARE) {
			msg_set(err, err_sz, "GetRole: out of memory");
			return rc;
		}
	} else {
		f.val = aws_doc_xml_text(body, len, "Role", "Arn");
		f.type = f.val ? AWS_DOC_STRING : AWS_DOC_ABSENT;
	}
	const char *v = rc == AL_OK && f.type == AWS_DOC_STRING ? f.val : NULL;
	/* arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME */
	const char *colon = v && strncmp(v, "arn:", 4) == 0 ? strchr(v + 4, ':') : NULL;
	if (!v || !iam_chars(v, 2048, ":/_+=,.@-") || !colon || strncmp(colon, ":iam::", 6) != 0 ||
	    !strstr(colon + 6, ":role/") || strlen(v) >= arn_sz) {
		msg_set(err, err_sz, "GetRole: the answer has no valid role Arn");
		rc = AL_UNAVAILABLE;
	} else {
		memcpy(arn, v, strlen(v) + 1);
		rc = AL_OK;
	}
	aws_doc_fields_free(&f, 1);
	return rc;
}

int iam_api_get_role_arn(struct aws_client *client, const char *iam_url, const char *signing_region,
			 const struct aws_credentials *creds, const char *role_name, char *arn, size_t arn_sz,
			 char *err, size_t err_sz)
{
	static const struct http_header hdrs[] = {
		{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
	};
	struct buf body = BUF_INIT;
	struct http_response resp;
	struct aws_fault fault;
	char tmp[96];
	int rc;

	if (arn_sz)
		arn[0] = '\0';
	if (!iam_chars(role_name, 64, "_+=,.@-")) {
		msg_set(err, err_sz, "'%s' is not an IAM role name", msg_printable(role_name, tmp, sizeof tmp));
		return AL_DATAERR;
	}
	buf_puts(&body, "Action=GetRole&Version=2010-05-08&RoleName=");
	sigv4_uri_encode(&body, role_name, strlen(role_name), 0);
	if (body.oom) {
		buf_free(&body);
		msg_set(err, err_sz, "out of memory");
		return AL_SOFTWARE;
	}
	struct aws_call call = {
		.operation = "GetRole",
		.endpoint = iam_url,
		.region = signing_region,
		.service = "iam",
		.method = "POST",
		.path = "/",
		.headers = hdrs,
		.nheaders = 1,
		.body = body.data,
		.body_len = body.len,
	};
	rc = aws_request(client, &call, creds, &resp, &fault, err, err_sz);
	if (rc == AL_OK)
		rc = iam_api_parse_get_role(buf_str(&resp.body), resp.body.len, arn, arn_sz, err, err_sz);
	http_response_free(&resp);
	buf_free(&body);
	return rc;
}
