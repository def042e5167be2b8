/* A cluster's authentication mode (EKS DescribeCluster's
 * accessConfig.authenticationMode): which of the aws-auth ConfigMap and
 * access entries the cluster reads
 * (https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html).
 * One enum for the EKS client that reads it, the clusters table that
 * stores it and the fixes it picks. */
#ifndef AUTHLOG_AUTHMODE_H
#define AUTHLOG_AUTHMODE_H

enum auth_mode {
	AUTH_MODE_UNKNOWN = 0,        /* not known, or a value this build does not know */
	AUTH_MODE_CONFIG_MAP,         /* aws-auth only */
	AUTH_MODE_API_AND_CONFIG_MAP, /* access entries first, then aws-auth */
	AUTH_MODE_API,                /* access entries only: aws-auth is ignored */
};

/* "CONFIG_MAP", "API_AND_CONFIG_MAP", "API"; "unknown" for the rest. */
const char *authmode_name(enum auth_mode m);

/* The mode named exactly as the API names it; AUTH_MODE_UNKNOWN for NULL
 * or anything else. */
enum auth_mode authmode_from_name(const char *name);

#endif
