/* The fleet file: the clusters one `scan --all` runs, each with its own
 * region, credentials, log group and retention.
 *
 * ~/.config/authlog-scan/clusters ($XDG_CONFIG_HOME/authlog-scan/clusters;
 * `--clusters FILE` names another), in the INI shape of ~/.aws/config and
 * read by its parser (aws_config_load_plain): comments, `key = value`,
 * keys in any case. One section per cluster:
 *
 *   [cluster prod]
 *   region = eu-west-1
 *   profile = prod-readonly          # the credentials: an AWS profile, and/or
 *   role_arn = arn:aws:iam::111122223333:role/authlog-scan
 *   external_id = 8a2f...            # with role_arn only
 *   log_group = /aws/eks/prod/cluster  # the default
 *   account = 111122223333           # checked against the group's account
 *   keep = 90d                       # retention of this cluster's events
 *
 * role_arn is assumed (STS AssumeRole, with external_id) with the source
 * credentials of `profile` when one is given, else of the default chain
 * (environment, AWS_PROFILE, IRSA, Pod Identity, instance): the AWS CLI's
 * role_arn + source_profile, the profile being the source. Without either
 * the cluster uses the default chain, as a scan without --profile does.
 *
 * Every problem is one line "FILE:LINE: KEY: what" (AL_CONFIG): a section
 * that is not [cluster NAME], a name that is not an EKS cluster name or
 * given twice, an unknown key, a key twice, a bad value, a missing region. */
#ifndef AUTHLOG_FLEET_H
#define AUTHLOG_FLEET_H

#include <stddef.h>
#include <stdint.h>

struct fleet_cluster {
	char name[101];
	char region[64];
	char profile[256];      /* "" = none */
	char role_arn[2049];    /* "" = none */
	char external_id[1225]; /* "" = none */
	char log_group[513];
	char account[13];       /* "" = not checked */
	int64_t keep;           /* seconds of events kept; 0 = no retention */
	char keep_text[32];     /* as written ("90d") */
	size_t line;            /* of its section header */
};

struct fleet {
	char path[4096];
	struct fleet_cluster *v;
	size_t n;
};

/* $XDG_CONFIG_HOME/authlog-scan/clusters, else $HOME/.config/authlog-scan/clusters.
 * 0, or -1 with neither set or out too small. */
int fleet_default_path(char *out, size_t out_sz);
/* Reads path into *f (fleet_free it either way). AL_OK, or AL_CONFIG with
 * one line in err ("FILE:LINE: KEY: ..." or "FILE: No such file ..."). */
int fleet_load(const char *path, struct fleet *f, char *err, size_t err_sz);
void fleet_free(struct fleet *f);
/* The cluster of that name, or NULL. */
const struct fleet_cluster *fleet_find(const struct fleet *f, const char *name);

/* An AGE of retention ("90d", "2160h", "12w"): seconds into *out. 0, or -1
 * when it is not a relative time of at least an hour. */
int fleet_parse_keep(const char *s, int64_t *out);
/* The CloudWatch Logs group name pattern, [\.\-_/#A-Za-z0-9]+, 1-512. */
int fleet_log_group_valid(const char *s);

#endif
