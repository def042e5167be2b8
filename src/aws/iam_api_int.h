/* What the unit tests reach in iam_api.c. */
#ifndef AUTHLOG_IAM_API_INT_H
#define AUTHLOG_IAM_API_INT_H

#include <stddef.h>

/* The Arn of a GetRoleResponse (<GetRoleResult><Role><Arn>, or the same
 * path in JSON): AL_OK, or AL_UNAVAILABLE (AL_SOFTWARE on out-of-memory)
 * with err set when it is absent, not a role ARN or longer than arn_sz. */
int iam_api_parse_get_role(const char *body, size_t len, char *arn, size_t arn_sz, char *err, size_t err_sz);

#endif
