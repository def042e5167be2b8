/* One AWS session for every command that talks to AWS: the shared config
 * files, the profile, the region, the HTTP and retry settings, the
 * credentials provider, and how much of it all -v logs. The resolution
 * follows the AWS SDKs' order (see aws_config.h and aws_creds.h);
 * endpoints are asked for per service.
 *
 * Verbosity (o->verbose, the count of -v), the same for every command:
 *   1: each credential step, and the command's own one line per call
 *      (a scan's Logs calls: operation, status, latency, attempts);
 *   2: also each attempt and each HTTP exchange (headers redacted);
 *   3: also the canonical request SigV4 signs (secrets redacted).
 * A scan makes hundreds of calls a day of windows: its -v must stay
 * readable, so the exchanges wait for -vv. */
#ifndef AUTHLOG_AWS_SESSION_H
#define AUTHLOG_AWS_SESSION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "aws_config.h"
#include "aws_creds.h"
#include "aws_request.h"

struct aws_session_opts {
	const char *profile; /* --profile, or NULL */
	const char *region;  /* --region, or NULL */
	/* A role to assume with the resolved credentials as its source (a
	 * fleet file's role_arn, external_id), or NULL: see aws_creds.h. */
	const char *role_arn, *external_id;
	int verbose;
	double time_scale;   /* in (0, 1): tests shrink the client's backoff; else 1 */
	/* whoami: build the credentials chain without failing on the way and
	 * fetch once, recording the outcome in creds_rc/creds_err; a missing
	 * region is left to the caller too, so that all that was found can be
	 * shown first. */
	int inspect;
	/* For every client of the session, the credential chain's too (see
	 * http.h and aws_request.h): a signal handler's flag that aborts
	 * transfers, a deadline (time_mono_ms), and whether signed requests
	 * may go to a plain http:// endpoint that is not loopback. */
	const atomic_int *cancel;
	int64_t deadline_ms;
	int allow_insecure_endpoint;
};

struct aws_session {
	struct aws_config *cfg;
	struct aws_creds_provider *prov; /* NULL when the chain could not be built */
	struct aws_client_opts copts;    /* for every client of the session */
	char profile[256];
	enum aws_profile_source psrc;
	char region[64];
	enum aws_region_source rsrc;
	int have_region;
	char region_err[512];            /* why there is no region */
	/* inspect only: */
	int creds_rc;                    /* AL_OK: creds holds the credentials */
	struct aws_credentials creds;
	char creds_err[1024];
};

/* AL_OK, or AL_CONFIG for a bad config file, profile, setting or (unless
 * inspect) a missing region, or the credential chain's status; err gets
 * one line. The caller calls aws_session_close either way. */
int aws_session_open(struct aws_session *s, const struct aws_session_opts *o, char *err, size_t err_sz);
void aws_session_close(struct aws_session *s);

/* The endpoint of svc in the session's region (url: --endpoint-url, or
 * NULL). AL_OK, or AL_CONFIG with err set. */
int aws_session_endpoint(const struct aws_session *s, enum aws_service svc, const char *url,
			 struct aws_endpoint *ep, char *err, size_t err_sz);

#endif
