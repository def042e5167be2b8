/* What the unit tests reach in aws_sts.c. */
#ifndef AUTHLOG_AWS_STS_INT_H
#define AUTHLOG_AWS_STS_INT_H

#include <stddef.h>

struct aws_credentials;
struct aws_caller_identity;

/* Credentials out of an <action>Response (JSON or XML).  AL_OK, or
 * AL_UNAVAILABLE (AL_SOFTWARE on out-of-memory) with err set. */
int aws_sts_parse_credentials(const char *action, const char *body, size_t len,
			      struct aws_credentials *out, char *err, size_t err_sz);
/* A GetCallerIdentityResponse (JSON or XML). */
int aws_sts_parse_caller_identity(const char *body, size_t len, struct aws_caller_identity *out,
				  char *err, size_t err_sz);

#endif
