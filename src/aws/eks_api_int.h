/* What the unit tests and the fuzz target reach in eks_api.c: the request
 * paths and the parsers of the answers. */
#ifndef AUTHLOG_EKS_API_INT_H
#define AUTHLOG_EKS_API_INT_H

#include "buf.h"
#include "eks_api.h"

/* A nextToken longer than this is a bad answer (tokens are opaque but
 * short; a long one would only grow every following request). */
#define EKS_API_TOKEN_MAX 4096

/* 1 when s is a cluster name the API accepts: 1-100 of [0-9A-Za-z_-], a
 * letter or digit first (CreateCluster's name pattern). */
int eks_api_name_valid(const char *s);
/* 1 when s looks like an ARN that is safe to print and to paste into a
 * command: "arn:" then [A-Za-z0-9:/_+=,.@-], at most EKS_API_ARN_MAX. */
int eks_api_arn_valid(const char *s);

/* The request path: "/clusters" (ListClusters), then "/NAME" when
 * cluster is not NULL, then "/access-entries/ARN" when principal_arn is
 * not NULL, then suffix when not NULL ("/access-entries" for the list,
 * "/access-policies").
 * Each label is percent-encoded as botocore does for a non-greedy URI
 * label (every byte but A-Za-z0-9-._~, so "/" and ":" too); SigV4 then
 * encodes that path once more, as for every service but S3.  AL_OK, or
 * AL_SOFTWARE on out-of-memory. */
int eks_api_path(struct buf *b, const char *cluster, const char *principal_arn, const char *suffix);
/* "maxResults=100[&nextToken=TOKEN]", the token percent-encoded. */
int eks_api_page_query(struct buf *b, const char *next_token);

/* The parsers: AL_OK with out filled (see eks_api.h for what is kept; the
 * list parsers append to out, page after page),
 * or AL_UNAVAILABLE (AL_SOFTWARE on out-of-memory) with err set, for a
 * body that is not JSON or lacks its top-level object (a list answer
 * whose list is absent is an empty page).  next_token gets the page's
 * token ("" when none; a token too long or not printable is an error). */
int eks_api_parse_cluster(const char *body, size_t len, struct eks_cluster *out, char *err, size_t err_sz);
int eks_api_parse_cluster_names(const char *body, size_t len, struct eks_cluster_names *out, char *next_token,
				size_t token_sz, char *err, size_t err_sz);
int eks_api_parse_access_entries(const char *body, size_t len, struct eks_strings *out, char *next_token,
				 size_t token_sz, char *err, size_t err_sz);
int eks_api_parse_access_entry(const char *body, size_t len, struct eks_access_entry *out, char *err,
			       size_t err_sz);
int eks_api_parse_access_policies(const char *body, size_t len, struct eks_access_policies *out,
				  char *next_token, size_t token_sz, char *err, size_t err_sz);

#endif
