/* AWS STS over the query protocol (POST Action=...&Version=2011-06-15,
 * answered in XML, or JSON when asked with Accept: application/json):
 * GetCallerIdentity, and the AssumeRole* calls the credential chain makes
 * (https://docs.aws.amazon.com/STS/latest/APIReference/). */
#ifndef AUTHLOG_AWS_STS_H
#define AUTHLOG_AWS_STS_H

#include <stddef.h>

struct aws_client;
struct aws_credentials;

struct aws_caller_identity {
	char arn[2049];
	char account[64];
	char user_id[256];
};

/* GetCallerIdentity, signed with creds.  sts_url is the endpoint URL (an
 * override may carry a path prefix).  AL_OK, or aws_request()'s status
 * with err set. */
int aws_sts_caller_identity(struct aws_client *client, const char *sts_url, const char *signing_region,
			    const struct aws_credentials *creds, struct aws_caller_identity *out,
			    char *err, size_t err_sz);

/* One call answered with credentials: action is "AssumeRole" or
 * "AssumeRoleWithWebIdentity", body its form-encoded parameters (it may
 * hold a token: the caller wipes it); signed with signer, unsigned when
 * signer is NULL.  AL_OK and *out, or a status with err set. */
int aws_sts_credentials(struct aws_client *client, const char *sts_url, const char *signing_region,
			const char *action, const char *body, size_t body_len,
			const struct aws_credentials *signer, struct aws_credentials *out,
			char *err, size_t err_sz);

#endif
