/* AWS IAM over the query protocol (POST Action=...&Version=2010-05-08,
 * answered in XML): GetRole, for a role's ARN with its IAM path, which STS
 * never shows (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html). */
#ifndef AUTHLOG_IAM_API_H
#define AUTHLOG_IAM_API_H

#include <stddef.h>

struct aws_client;
struct aws_credentials;

/* GetRole for role_name, signed with creds for service iam in
 * signing_region; iam_url is the endpoint URL (an override may carry a
 * path prefix).  AL_OK and the role's ARN in arn; AL_DATAERR for a name IAM
 * would refuse; else aws_request()'s status (AL_NOPERM for AccessDenied)
 * or AL_UNAVAILABLE for an answer without a valid ARN, with err set. */
int iam_api_get_role_arn(struct aws_client *client, const char *iam_url, const char *signing_region,
			 const struct aws_credentials *creds, const char *role_name, char *arn, size_t arn_sz,
			 char *err, size_t err_sz);

#endif
