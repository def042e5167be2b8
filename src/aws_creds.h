/* AWS credentials: the SDK's default chain (env, shared profile with
 * static keys / credential_process / assume-role / SSO / web identity,
 * web identity env (IRSA), container (ECS, EKS Pod Identity), EC2 IMDSv2),
 * refreshed before expiry. Secrets are wiped when released. */
#ifndef AUTHLOG_AWS_CREDS_H
#define AUTHLOG_AWS_CREDS_H

#include <stddef.h>
#include <stdint.h>

struct aws_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;   /* NULL for long-term keys */
	int64_t expiration;    /* epoch seconds, 0 = does not expire */
	char source[96];       /* "env", "profile:NAME (static)", "web-identity", "container", "imds", ... */
};

/* Wipes (OPENSSL_cleanse) and frees the strings; safe on a zeroed struct. */
void aws_credentials_clear(struct aws_credentials *c);

/* "AKIA…WXYZ": first 4 and last 4 characters; never more. */
void aws_credentials_mask(const char *access_key_id, char *out, size_t out_sz);

#endif
