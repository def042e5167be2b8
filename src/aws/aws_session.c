#include "aws_session.h"

#include <string.h>

#include "msg.h"
#include "status.h"

/* Config files, profile, region, and the client settings that follow
 * from them (and from -v and the time scale). */
static int load_config(struct aws_session *s, const struct aws_session_opts *o, char *err, size_t err_sz)
{
	if (aws_config_load(NULL, NULL, &s->cfg, err, err_sz) != 0)
		return AL_CONFIG;
	if (aws_config_select_profile(s->cfg, o->profile, s->profile, sizeof(s->profile), &s->psrc, err, err_sz) != 0)
		return AL_CONFIG;
	s->have_region = aws_config_region(s->cfg, s->profile, o->region, s->region, sizeof(s->region), &s->rsrc,
					   s->region_err, sizeof(s->region_err)) == 0;
	if (!o->inspect && !s->have_region && s->rsrc != AWS_REGION_NONE) {
		msg_set(err, err_sz, "%s", s->region_err); /* configured, but not a region name */
		return AL_CONFIG;
	}
	if (aws_client_opts_from_config(s->cfg, s->profile, &s->copts, err, err_sz) != 0)
		return AL_CONFIG;
	if (o->time_scale > 0 && o->time_scale < 1) {
		long base = (long)(50 * o->time_scale), max = (long)(20000 * o->time_scale);
		s->copts.retry.base_ms = base > 0 ? base : 1;
		s->copts.retry.max_backoff_ms = max > 0 ? max : 1;
	}
	s->copts.verbose = o->verbose > 1 ? o->verbose - 1 : 0;
	s->copts.http.verbose = o->verbose > 1;
	s->copts.http.cancel = o->cancel;
	s->copts.http.deadline_ms = o->deadline_ms;
	s->copts.allow_insecure_endpoint = o->allow_insecure_endpoint;
	return AL_OK;
}

int aws_session_open(struct aws_session *s, const struct aws_session_opts *o, char *err, size_t err_sz)
{
	char scratch[512];
	memset(s, 0, sizeof(*s));
	int rc = load_config(s, o, err, err_sz);
	if (rc)
		return rc;
	struct aws_creds_opts co = {
		.cfg = s->cfg,
		.profile = o->profile,
		.region = s->have_region ? s->region : NULL,
		.client = &s->copts,
		.verbose = o->verbose > 0,
		.no_fetch = o->inspect, /* so the source shows even when fetching from it fails */
		.role_arn = o->role_arn,
		.external_id = o->external_id,
	};
	s->creds_rc = aws_creds_provider_new(&co, &s->prov, s->creds_err, sizeof(s->creds_err));
	if (s->creds_rc == AL_OK && o->inspect)
		s->creds_rc = aws_creds_get(s->prov, &s->creds, s->creds_err, sizeof(s->creds_err));
	if (s->creds_rc != AL_OK && !o->inspect) {
		msg_set(err, err_sz, "%s", s->creds_err);
		return s->creds_rc;
	}
	/* Nothing configures a region: an instance knows its own. */
	if (!s->have_region && s->rsrc == AWS_REGION_NONE && s->creds_rc == AL_OK &&
	    aws_creds_provider_kind(s->prov) == AWS_CREDS_IMDS &&
	    aws_creds_imds_region(&co, s->region, sizeof(s->region), scratch, sizeof(scratch)) == AL_OK) {
		s->have_region = 1;
		s->rsrc = AWS_REGION_FROM_IMDS;
	}
	if (!s->have_region && !o->inspect) {
		msg_set(err, err_sz, "%s", s->region_err);
		return AL_CONFIG;
	}
	return AL_OK;
}

void aws_session_close(struct aws_session *s)
{
	aws_credentials_clear(&s->creds);
	aws_creds_provider_free(s->prov);
	aws_config_free(s->cfg);
	s->prov = NULL;
	s->cfg = NULL;
}

int aws_session_endpoint(const struct aws_session *s, enum aws_service svc, const char *url,
			 struct aws_endpoint *ep, char *err, size_t err_sz)
{
	if (aws_config_endpoint(s->cfg, s->profile, svc, s->region, url, ep, err, err_sz) != 0)
		return AL_CONFIG;
	return AL_OK;
}
