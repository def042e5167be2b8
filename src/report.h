/* The report: what the stored events say about a time window — totals,
 * denials by class and principal, the filled-in fix for each finding,
 * a broken aws-auth ConfigMap, new principals, the cluster creator and a
 * per-hour histogram — gathered once, rendered as text, markdown or JSON. */
#ifndef AUTHLOG_REPORT_H
#define AUTHLOG_REPORT_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "classify.h"

/* PROMETHEUS: node_exporter's textfile collector; LINES: one line per
 * finding for a chat webhook or logger (report only). */
enum report_format { REPORT_TEXT, REPORT_MARKDOWN, REPORT_JSON, REPORT_PROMETHEUS, REPORT_LINES };

struct report_opts {
	const char *since, *until; /* time_format() bounds or NULL */
	enum report_format format;
	int top;                   /* rows per ranking (default 10) */
	const char *cluster;       /* only this cluster's events (NULL: every cluster) */
	const char *region;        /* the region of the fixes, and picks a cluster's row */
	enum fix_grant grant;      /* what a person or CI principal's fix gives */
	int color;                 /* text only */
	int width;                 /* text: prose is wrapped to this many columns (0: 80);
				    * commands never are */
	int64_t new_from;          /* report --new: only denials (class, principal) and
				    * principals no event with a smaller id had; the
				    * first event id of the run (store_import_first_event);
				    * 0 = everything */
	int64_t news_from;         /* the last run's first event id, for each cluster's
				    * new findings (the summary lines, prometheus'
				    * authlog_scan_new_findings); 0: none counted */
};

struct report_creator {
	char *arn;
	char *cluster; /* "" when the events name none */
	char *first_seen, *last_seen;
	long long grants;
};

/* Writes the report to out (NULL: only count). *denials = denials in the
 * window (for --exit-code). Returns AL_OK or an al_status with err set. */
int report_run(sqlite3 *db, const struct report_opts *o, FILE *out, long long *denials, char *err,
	       size_t err_sz);

/* What a run stored that a cron job should mail (report --new's rule):
 * the (class, principal) denial pairs and the principals no event before
 * first_id had, and the aws-auth config errors from first_id on.
 * first_id 0: everything counts. */
int report_news(sqlite3 *db, int64_t first_id, long long *news, char *err, size_t err_sz);

/* 1234567 -> "1.2 MB" (decimal units, as AWS bills). */
void report_bytes(double bytes, char *out, size_t out_sz);

/* Who authenticated as kubernetes-admin (the identity that created the
 * cluster), oldest first, one entry per cluster and principal; cluster
 * non-NULL: only that cluster's. Caller frees with report_creators_free. */
int report_creators(sqlite3 *db, const char *cluster, struct report_creator **out, size_t *n, char *err,
		    size_t err_sz);
void report_creators_free(struct report_creator *c, size_t n);

#endif
