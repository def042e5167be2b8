/* kubeconfig_parse on any text, with no context (current-context) and with
 * a context named by the input's first "name: " value. Checks the
 * contract: an error is one line naming the file; a result is consistent
 * (what the exec plugin means is read only from a known AWS command; an
 * env value named like a secret is never kept). */
#include "fuzz_common.h"

#include "kubeconfig.h"
#include "status.h"

#define PATH "/k/config"

static void check_err(const char *err)
{
	size_t n = touch_str(err);
	FUZZ_CHECK(n > 0 && !memchr(err, '\n', n) && !memchr(err, '\r', n));
	FUZZ_CHECK(strncmp(err, PATH ":", strlen(PATH) + 1) == 0);
}

static int secretish(const char *name)
{
	static const char *const parts[] = {"SECRET", "TOKEN", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL"};
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
		if (strcasestr(name, parts[i]))
			return 1;
	return 0;
}

static void check_result(const struct kubeconfig *kc)
{
	FUZZ_CHECK(kc->path && strcmp(kc->path, PATH) == 0);
	FUZZ_CHECK(touch_str(kc->context) > 0);
	touch_str(kc->cluster_name);
	touch_str(kc->user_name);
	touch_str(kc->server);
	touch_str(kc->tls_server_name);
	if (kc->ca_file)
		FUZZ_CHECK(touch_str(kc->ca_file) > 0);
	if (kc->ca_data)
		touch(kc->ca_data, kc->ca_data_len);
	FUZZ_CHECK(!kc->ca_data == !kc->ca_data_len);
	if (!kc->cluster_found)
		FUZZ_CHECK(!kc->server && !kc->ca_data && !kc->ca_file);
	if (!kc->user_found)
		FUZZ_CHECK(!kc->has_exec && !kc->user_has_token && !kc->user_has_client_cert);
	FUZZ_CHECK(!kc->has_exec == !kc->exec_command);
	FUZZ_CHECK(kc->has_exec || (!kc->exec_nargs && !kc->exec_nenv));
	touch_str(kc->exec_command);
	touch_str(kc->exec_api_version);
	for (size_t i = 0; i < kc->exec_nargs; i++)
		touch_str(kc->exec_args[i]);
	for (size_t i = 0; i < kc->exec_nenv; i++) {
		FUZZ_CHECK(touch_str(kc->exec_env[i].name) > 0);
		touch_str(kc->exec_env[i].value);
		if (secretish(kc->exec_env[i].name))
			FUZZ_CHECK(kc->exec_env[i].value == NULL);
	}
	const struct kubeconfig_eks *e = &kc->eks;
	FUZZ_CHECK(kubeconfig_exec_kind_name(e->kind) != NULL);
	FUZZ_CHECK(kubeconfig_region_source_name(e->region_source) != NULL);
	if (!kc->has_exec)
		FUZZ_CHECK(e->kind == KUBECONFIG_EXEC_NONE);
	else
		FUZZ_CHECK(e->kind != KUBECONFIG_EXEC_NONE);
	if (e->kind == KUBECONFIG_EXEC_NONE || e->kind == KUBECONFIG_EXEC_OTHER)
		FUZZ_CHECK(!e->cluster && !e->cluster_id && !e->region && !e->profile && !e->role_arn);
	FUZZ_CHECK(!e->region == (e->region_source == KUBECONFIG_REGION_NONE));
	if (e->profile_from_env)
		FUZZ_CHECK(e->profile != NULL);
	/* whatever was read came from the args or the env */
	const char *vals[] = {e->cluster, e->cluster_id, e->region, e->profile, e->role_arn};
	for (size_t v = 0; v < sizeof vals / sizeof *vals; v++) {
		if (!vals[v])
			continue;
		int seen = 0;
		for (size_t i = 0; i < kc->exec_nargs && !seen; i++)
			seen = strstr(kc->exec_args[i], vals[v]) != NULL;
		for (size_t i = 0; i < kc->exec_nenv && !seen; i++)
			seen = kc->exec_env[i].value && strcmp(kc->exec_env[i].value, vals[v]) == 0;
		FUZZ_CHECK(seen);
	}
}

static void run(const char *text, size_t len, const char *context)
{
	struct kubeconfig kc;
	char err[512];
	memset(err, 'x', sizeof err);
	err[sizeof err - 1] = '\0';
	int rc = kubeconfig_parse(text, len, PATH, context, &kc, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_CONFIG || rc == AL_SOFTWARE);
	if (rc == AL_OK) {
		check_result(&kc);
		if (context && *context)
			FUZZ_CHECK(strcmp(kc.context, context) == 0 && !kc.context_from_file);
	} else {
		check_err(err);
	}
	kubeconfig_free(&kc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	run(text, size, NULL);
	const char *n = strstr(text, "name: ");
	if (n) {
		n += 6;
		char ctx[128];
		size_t l = strcspn(n, "\r\n}, ");
		if (l >= sizeof ctx)
			l = sizeof ctx - 1;
		memcpy(ctx, n, l);
		ctx[l] = '\0';
		run(text, size, ctx);
	}
	free(text);
	return 0;
}
