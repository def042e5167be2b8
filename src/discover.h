/* What `authlog-scan clusters discover` finds: the EKS clusters of the
 * account in one region (ListClusters, then DescribeCluster for each),
 * with what a fleet file section needs (region, profile, account) and
 * what a scan of each depends on (the authentication mode, whether the
 * authenticator log is on), written as fleet file sections to paste or as
 * JSON. It only reads AWS.
 *
 * The names and values come from the API and are not trusted: a listed
 * name that is not an EKS cluster name gets no section (it is said, escaped,
 * in a comment, and kept exactly in the JSON), and DescribeCluster's
 * fields are the checked ones of eks_api.h. */
#ifndef AUTHLOG_DISCOVER_H
#define AUTHLOG_DISCOVER_H

#include <stddef.h>

#include "aws/eks_api.h"
#include "buf.h"

struct discover_opts {
	const char *region, *profile; /* --region, --profile; NULL: the SDK chain's */
	int verbose;
	int allow_insecure_endpoint;
};

/* One listed cluster. */
struct discover_cluster {
	char name[EKS_API_NAME_MAX + 1];
	int described;          /* DescribeCluster answered: eks holds it */
	struct eks_cluster eks;
	int status;             /* not described: DescribeCluster's status */
	char error[512];        /*   and why (one line, as aws_request wrote it) */
};

struct discover_result {
	char region[64];
	char profile[256];      /* --profile as given, "" without one */
	struct discover_cluster *v; /* by name; those DescribeCluster did not find are dropped */
	size_t n;
	struct eks_strings invalid; /* listed strings that are not cluster names, as sent (cut) */
	struct eks_strings gone;    /* listed, then not found by DescribeCluster (deleted meanwhile) */
};

/* AL_OK with r filled (some clusters may not be described: see
 * discover_exit_code), or the status of what stopped it with err set: a
 * profile that cannot be written on one line (AL_USAGE), no region or
 * credentials (AL_CONFIG), ListClusters denied (AL_NOPERM) or
 * unreachable (AL_UNAVAILABLE). r is zeroed first; free it either way. */
int discover_run(const struct discover_opts *o, struct discover_result *r, char *err, size_t err_sz);
void discover_result_free(struct discover_result *r);

/* AL_OK when every listed cluster was described; else the status of
 * the first that was not (AL_NOPERM: DescribeCluster denied), and err
 * says how many, which and why. */
int discover_exit_code(const struct discover_result *r, char *err, size_t err_sz);

/* Fleet file sections ([cluster NAME], region, profile, account, and
 * comments: the mode, the log, the command that turns it on). 0, or -1
 * when out of memory. */
int discover_format_text(const struct discover_result *r, struct buf *out);
/* One JSON object (README "clusters discover"). 0 or -1. */
int discover_format_json(const struct discover_result *r, struct buf *out);

#endif
