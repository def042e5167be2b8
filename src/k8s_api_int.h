/* What the fuzz target reaches in k8s_api.c. */
#ifndef AUTHLOG_K8S_API_INT_H
#define AUTHLOG_K8S_API_INT_H

#include "k8s_api.h"

/* A 2xx SelfSubjectReview answer into out (zeroed first; freed with
 * k8s_api_review_free in every case): AL_OK (out->accepted = 1), or
 * AL_UNAVAILABLE (not a SelfSubjectReview: not JSON, a string holding a
 * NUL, a field of the wrong type or over the limits of k8s_api.h) /
 * AL_SOFTWARE with err set. */
int k8s_api_parse_review(const char *body, size_t len, struct k8s_api_review *out, char *err, size_t err_sz);

#endif
