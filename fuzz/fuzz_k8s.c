/* The Kubernetes answers k8s_api.c reads (src/k8s_api.c): a SelfSubjectReview
 * on any bytes, and the same bytes as a cluster CA in base64.  Every string
 * handed out is bounded as k8s_api.h promises; a failure says why in one
 * line; a decoded CA holds a PEM certificate. */
#include "fuzz_common.h"

#include "k8s_api.h"
#include "k8s_api_int.h"
#include "status.h"

static void check_list(const struct eks_strings *s)
{
	FUZZ_CHECK(s->n <= K8S_API_LIST_MAX);
	for (size_t i = 0; i < s->n; i++)
		FUZZ_CHECK(s->v[i] && touch_str(s->v[i]) <= K8S_API_USER_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	struct k8s_api_review r;
	int rc = k8s_api_parse_review((const char *)data, size, &r, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_UNAVAILABLE || rc == AL_SOFTWARE);
	FUZZ_CHECK((rc == AL_OK) == (touch_str(err) == 0) && !strchr(err, '\n'));
	FUZZ_CHECK(r.accepted == (rc == AL_OK));
	FUZZ_CHECK(touch_str(r.username) <= K8S_API_USER_MAX && touch_str(r.uid) <= K8S_API_USER_MAX);
	check_list(&r.groups);
	FUZZ_CHECK(r.n_extra <= K8S_API_LIST_MAX);
	for (size_t i = 0; i < r.n_extra; i++) {
		FUZZ_CHECK(touch_str(r.extra[i].key) <= K8S_API_USER_MAX);
		check_list(&r.extra[i].values);
	}
	k8s_api_review_free(&r);

	char *b64 = malloc(size + 1);
	struct buf pem = BUF_INIT;
	if (!b64)
		return 0;
	memcpy(b64, data, size);
	b64[size] = '\0';
	err[0] = '\0';
	rc = k8s_api_decode_ca(b64, &pem, err, sizeof err);
	FUZZ_CHECK(rc == AL_OK || rc == AL_DATAERR || rc == AL_SOFTWARE);
	FUZZ_CHECK((rc == AL_OK) == (touch_str(err) == 0));
	FUZZ_CHECK(rc != AL_OK || memmem(pem.data, pem.len, "-----BEGIN CERTIFICATE-----", 27));
	touch(pem.data, pem.len);
	buf_free(&pem);
	free(b64);
	return 0;
}
