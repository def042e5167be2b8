/* IAM / STS principal ARNs as the authenticator logs them, and the
 * canonical form that aws-auth mapRoles/mapUsers and access entries need. */
#ifndef AUTHLOG_ARN_H
#define AUTHLOG_ARN_H

#include <stddef.h>

enum principal_type {
	PRINCIPAL_NONE = 0,     /* not an ARN we understand */
	PRINCIPAL_USER,         /* arn:aws:iam::A:user[/path]/name */
	PRINCIPAL_ROLE,         /* arn:aws:iam::A:role[/path]/name */
	PRINCIPAL_ASSUMED_ROLE, /* arn:aws:sts::A:assumed-role/name/session */
	PRINCIPAL_FEDERATED,    /* arn:aws:sts::A:federated-user/name */
	PRINCIPAL_ROOT,         /* arn:aws:iam::A:root */
};

#define ARN_MAX 2048 /* IAM's documented maximum ARN length */

struct arn_info {
	enum principal_type type;
	char partition[32];        /* aws, aws-cn, aws-us-gov, aws-iso, ... */
	char account[32];          /* 12 digits in real data; redacted forms kept verbatim */
	char name[ARN_MAX + 1];    /* role/user name without any path */
	char session[ARN_MAX + 1]; /* assumed-role session name, else "" */
	char path[ARN_MAX + 1];    /* "/" or "/service-role/" etc.; SSO path included */
	int sso;                   /* role is an IAM Identity Center AWSReservedSSO_ role */
	/* What aws-auth / access entries must contain: arn:P:iam::A:role/NAME
	 * (path and SSO region segment removed, assumed-role turned into its
	 * role), users keep their path; federated and root are verbatim. */
	char canonical[ARN_MAX + 1];
};

/* What a principal is to the cluster, which decides the mapping it needs
 * (https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html,
 * https://docs.aws.amazon.com/eks/latest/userguide/pod-execution-role.html). */
enum principal_kind {
	KIND_UNKNOWN = 0, /* nothing to go by (no ARN, no session) */
	KIND_HUMAN,       /* a person's or a CI job's role or user */
	KIND_EC2_LINUX,   /* an EC2 node role (Windows nodes look the same in the log) */
	KIND_EC2_WINDOWS, /* an EC2 Windows node role: only a caller that knows says so */
	KIND_FARGATE,     /* a Fargate pod execution role */
};

/* 0 on success; -1 when s is not a principal ARN (out->type = NONE). */
int arn_parse(const char *s, size_t len, struct arn_info *out);
/* Whether a value may go into a printed command: 1 when it is in its real
 * character set, else 0 with *why (may be NULL) set to a static phrase
 * naming what is wrong ("the account is not 12 digits"). arn_parse
 * accepts more (redacted accounts, any printable path), which is right
 * for storing what a log says but not for a command someone will paste.
 *   arn_valid_principal    a principal ARN arn_parse takes, with a 12-digit
 *                          account; role, user and role-session names in
 *                          IAM's [A-Za-z0-9_+=,.@-] (1-64; sessions 2-64,
 *                          federated users 2-32); a path "/" or "/a/b/" of
 *                          the same characters, up to 512
 *   arn_valid_cluster_name an EKS cluster name: [0-9A-Za-z][A-Za-z0-9_-]*,
 *                          up to 100
 *   arn_valid_region       [a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]
 *                          (us-east-1, us-gov-west-1, us-isob-east-1) */
int arn_valid_principal(const char *s, size_t len, const char **why);
int arn_valid_cluster_name(const char *s, const char **why);
int arn_valid_region(const char *s, const char **why);

/* "user", "role", "assumed-role", "federated", "root" or NULL. */
const char *arn_type_name(enum principal_type t);

/* The kind of a principal from its role (or user) name and one STS
 * session name of it; either may be NULL. A session that is an EC2
 * instance id means a node (the authenticator's {{EC2PrivateDNSName}}
 * template needs exactly that); a Fargate session or a role named like
 * the Fargate pod execution role means Fargate; any other name is a
 * person or a CI job. Windows nodes cannot be told from Linux ones by
 * either name, so a node is KIND_EC2_LINUX. */
enum principal_kind arn_kind(const char *name, const char *session);
/* "human", "ec2_linux", "ec2_windows", "fargate" or "unknown". */
const char *arn_kind_name(enum principal_kind k);

#endif
