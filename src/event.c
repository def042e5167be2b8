#include "event.h"

#include <stdlib.h>
#include <string.h>

#include "timeutil.h"

int event_builder_init(struct event_builder *b)
{
	memset(b, 0, sizeof(*b));
	return parse_new(&b->parser);
}

void event_builder_free(struct event_builder *b)
{
	parse_free(b->parser);
	buf_free(&b->groups);
	b->parser = NULL;
}

int event_cluster_of(const char *log_group, char *out, size_t out_sz)
{
	static const char prefix[] = "/aws/eks/", suffix[] = "/cluster";
	size_t len = strlen(log_group), pl = sizeof(prefix) - 1, sl = sizeof(suffix) - 1;
	if (len <= pl + sl || strncmp(log_group, prefix, pl) != 0 ||
	    strcmp(log_group + len - sl, suffix) != 0)
		return -1;
	size_t n = len - pl - sl;
	if (n >= out_sz || memchr(log_group + pl, '/', n))
		return -1;
	memcpy(out, log_group + pl, n);
	out[n] = '\0';
	return 0;
}

/* groups="[system:bootstrappers system:nodes]" (Go fmt of a []string) as
 * a JSON array. */
static const char *groups_json(struct buf *out, const char *groups)
{
	buf_reset(out);
	size_t len = strlen(groups);
	if (len >= 2 && groups[0] == '[' && groups[len - 1] == ']') {
		groups++;
		len -= 2;
	}
	buf_putc(out, '[');
	size_t i = 0, n = 0;
	while (i < len) {
		while (i < len && groups[i] == ' ')
			i++;
		size_t start = i;
		while (i < len && groups[i] != ' ')
			i++;
		if (i > start) {
			if (n++)
				buf_putc(out, ',');
			buf_json_string(out, groups + start, i - start);
		}
	}
	buf_putc(out, ']');
	return out->oom ? NULL : buf_str(out);
}

static const char *kind_name(enum rec_kind k)
{
	switch (k) {
	case REC_ACCESS: return "access";
	case REC_STS_RESPONSE: return "sts_response";
	case REC_CONFIG_ERROR: return "config_error";
	case REC_MAPPING: return "mapping";
	default: return NULL;
	}
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

const char *event_region(const struct event_builder *b, const struct event_ctx *ctx)
{
	if (ctx->region && *ctx->region)
		return ctx->region;
	if (b->ev.sts_region && *b->ev.sts_region)
		return b->ev.sts_region;
	return nonempty(getenv("AWS_REGION"));
}

int event_build(struct event_builder *b, const struct event_ctx *ctx, const struct reader_entry *e)
{
	struct record *r = &b->rec;
	struct store_event *ev = &b->ev;
	int64_t epoch;

	if (!e->message || !parse_line(b->parser, e->message, e->message_len, r))
		return 0;
	const char *kind = kind_name(r->kind);
	if (!kind)
		return 0;
	/* The authenticator's own time first; the transport's if it has none. */
	if (r->time && time_parse(r->time, strlen(r->time), &epoch) == 0)
		;
	else if (e->timestamp && time_parse(e->timestamp, strlen(e->timestamp), &epoch) == 0)
		;
	else
		return 0;
	memset(ev, 0, sizeof(*ev));
	time_format(epoch, b->ts);
	ev->ts = b->ts;
	ev->log_group = e->log_group ? e->log_group : ctx->log_group;
	ev->log_stream = e->log_stream ? e->log_stream : ctx->log_stream;
	ev->ptr = nonempty(e->ptr);
	if (ctx->cluster)
		ev->cluster = ctx->cluster;
	else if (ev->log_group && event_cluster_of(ev->log_group, b->cluster, sizeof(b->cluster)) == 0)
		ev->cluster = b->cluster;
	ev->kind = kind;
	ev->level = r->level;
	ev->msg = r->msg;
	ev->outcome = r->outcome == OUTCOME_GRANTED ? "granted" : r->outcome == OUTCOME_DENIED ? "denied" : NULL;
	ev->arn = nonempty(r->arn);
	ev->client = r->client;
	ev->error = r->error;
	ev->error_len = r->error_len;
	ev->username = r->username;
	ev->groups = r->groups ? groups_json(&b->groups, r->groups) : NULL;
	ev->uid = r->uid;
	ev->access_key_id = nonempty(r->access_key_id);
	ev->session = nonempty(r->session);
	ev->sts_endpoint = nonempty(r->sts_endpoint);
	ev->raw = e->message;
	ev->raw_len = e->message_len;

	if (r->outcome == OUTCOME_DENIED) {
		classify_error(r->msg, r->error, r->error_len, &b->cls);
		ev->error_class = classify_name(b->cls.cls);
		ev->sts_code = nonempty(b->cls.sts_code);
		ev->http_status = b->cls.http_status;
		ev->mapped_arn = nonempty(b->cls.mapped_arn);
	}

	/* The principal: arn= on access/STS lines, the ARN inside
	 * "ARN is not mapped: …", role=/user= on mapping lines. */
	const char *parn = ev->arn ? ev->arn : ev->mapped_arn ? ev->mapped_arn
					 : nonempty(r->role) ? r->role : nonempty(r->user);
	if (parn && arn_parse(parn, strlen(parn), &b->arn) == 0) {
		ev->principal_type = arn_type_name(b->arn.type);
		ev->principal_name = b->arn.name;
		ev->principal_arn = b->arn.canonical;
		if (!ev->session && b->arn.session[0])
			ev->session = b->arn.session;
		ev->account_id = b->arn.account;
	}
	if (r->uid && parse_uid(r->uid, b->account, sizeof(b->account), b->user_id, sizeof(b->user_id)) == 0) {
		if (strcmp(b->account, "administrative") != 0) {
			ev->account_id = b->account;
			ev->user_id = b->user_id;
		}
	}
	if (nonempty(r->account_id))
		ev->account_id = r->account_id;
	if (nonempty(r->user_id))
		ev->user_id = r->user_id;

	if (ev->sts_endpoint && parse_sts_region(ev->sts_endpoint, b->sts_region, sizeof(b->sts_region)) == 0)
		ev->sts_region = b->sts_region;
	else if (r->outcome == OUTCOME_DENIED && b->cls.sts_region[0])
		ev->sts_region = b->cls.sts_region;

	ev->expected = classify_is_expected_principal(ev->arn ? ev->arn : parn, r->username, ev->session);

	const char *group = ev->log_group ? ev->log_group : "";
	const char *stream = ev->log_stream ? ev->log_stream : "";
	const char *parts[3] = {group, stream, ev->ptr ? ev->ptr : ev->raw};
	size_t lens[3] = {strlen(group), strlen(stream), ev->ptr ? strlen(ev->ptr) : ev->raw_len};
	ev->dedupe_key = store_key(parts, lens, 3);
	return 1;
}
