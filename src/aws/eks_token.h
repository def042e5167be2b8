/* The bearer token kubectl sends to an Amazon EKS cluster, made the way
 * `aws eks get-token` makes it (awscli customizations/eks/get_token.py):
 * botocore presigns STS GetCallerIdentity as
 *
 *   GET https://STS-HOST/?Action=GetCallerIdentity&Version=2011-06-15
 *       &X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2FDATE%2FREGION%2Fsts%2Faws4_request
 *       &X-Amz-Date=YYYYMMDDTHHMMSSZ&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id
 *       [&X-Amz-Security-Token=TOKEN]&X-Amz-Signature=HEX
 *
 * with the header `x-k8s-aws-id: CLUSTER` signed but not sent (the API
 * server's authenticator adds its own cluster name when it replays the URL
 * to STS, so a token made for another cluster fails there), and the token is
 * "k8s-aws-v1." + the URL in base64url without padding.  STS-HOST is the STS
 * endpoint the SDK rules pick (aws_config_endpoint(AWS_SVC_STS): regional
 * sts.REGION.amazonaws.com, the global sts.amazonaws.com without a region);
 * the aws-iam-authenticator accepts only those hosts, over https, path "/"
 * (https://github.com/kubernetes-sigs/aws-iam-authenticator, pkg/token).
 *
 * The token is a credential for as long as it lives (15 minutes at the
 * server, whatever X-Amz-Expires says): it is never logged or put in a
 * message, and it is wiped when freed. */
#ifndef AUTHLOG_EKS_TOKEN_H
#define AUTHLOG_EKS_TOKEN_H

#include <stddef.h>
#include <time.h>

struct aws_credentials;

#define EKS_TOKEN_PREFIX "k8s-aws-v1."
/* X-Amz-Expires of the presigned URL, as the CLI sets it. */
#define EKS_TOKEN_URL_EXPIRES 60
/* client-go refreshes an exec token at the expirationTimestamp the CLI
 * gives it: 14 minutes after it was made. */
#define EKS_TOKEN_LIFETIME 840

struct eks_token_request {
	const char *cluster;        /* x-k8s-aws-id: the cluster name (or an Outposts cluster id) */
	const char *sts_url;        /* aws_endpoint.url of AWS_SVC_STS: scheme://host[:port][/prefix] */
	const char *signing_region; /* aws_endpoint.signing_region: us-east-1 for the global host */
	time_t time;                /* signing time (UTC seconds) */
};

/* Makes the token for req signed with creds into *token (NUL-terminated,
 * the caller releases it with eks_token_free).  AL_OK, or AL_USAGE (no
 * cluster name, or one with bytes outside printable ASCII), AL_CONFIG
 * (credentials without keys), AL_DATAERR (an endpoint URL that is not
 * scheme://host...), AL_SOFTWARE (out of memory, a crypto failure), with
 * err set and *token NULL.  err never holds a secret. */
int eks_token_make(const struct eks_token_request *req, const struct aws_credentials *creds, char **token,
		   char *err, size_t err_sz);

/* Wipes and frees a token; NULL is fine. */
void eks_token_free(char *token);

/* The expirationTimestamp `aws eks get-token` puts beside the token
 * (made + 14 min) as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" into out[21]. */
void eks_token_expiration(time_t made, char out[21]);

#endif
