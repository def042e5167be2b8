/* The two Kubernetes API calls the diagnosis makes, with a bearer token
 * (an EKS token from eks_token.h) over HTTPS verified against the
 * cluster's own CA:
 *
 *   SelfSubjectReview  POST /apis/authentication.k8s.io/v1/selfsubjectreviews
 *                      (v1beta1 when the server has no v1: Kubernetes 1.27)
 *                      -> who the cluster says the token is (201), or 401;
 *   ConfigMap          GET /api/v1/namespaces/NS/configmaps/NAME
 *                      -> the object as JSON (aws-auth, when RBAC allows).
 *
 * https://kubernetes.io/docs/reference/access-authn-authz/authentication/#self-subject-review
 * https://kubernetes.io/docs/reference/kubernetes-api/config-and-storage-resources/config-map-v1/
 *
 * TLS: peer and host verification are always on, for every host loopback
 * included (http_opts.insecure_loopback is not honoured here), and only the
 * CA given is trusted; a plain http:// server is refused before anything
 * is sent, as the token would cross the network in clear.  The token is
 * never logged (-v shows the Authorization header as "[redacted]") nor put
 * in a message.
 *
 * Everything the server answers is untrusted: the strings handed out are
 * bounded and valid UTF-8 (yajl checks it) but may hold any character;
 * escape them before they reach a terminal.  err lines quote server text
 * through msg_printable. */
#ifndef AUTHLOG_K8S_API_H
#define AUTHLOG_K8S_API_H

#include <stddef.h>

#include "aws/eks_api.h" /* struct eks_strings: Kubernetes groups, as access entries list them */
#include "aws/http.h"
#include "buf.h"

#define K8S_API_NAME_MAX 253   /* a Kubernetes object name */
#define K8S_API_USER_MAX 1024  /* username, uid, a group, an extra value: longer is a bad answer */
#define K8S_API_LIST_MAX 1000  /* groups, extra keys, values of one key */

struct k8s_api_opts {
	/* The API server: https://HOST[:PORT][/PREFIX], as DescribeCluster's
	 * endpoint or a kubeconfig's clusters[].cluster.server. */
	const char *server;
	/* The cluster's CA certificates, PEM (k8s_api_decode_ca makes them
	 * from base64); the only ones trusted. NULL: the system's. Not
	 * copied: they must outlive the client. */
	const char *ca_pem;
	size_t ca_pem_len;
	/* Timeouts, user agent, cancel flag, deadline, verbose; NULL for the
	 * defaults. Its CA settings and insecure_loopback are not used. */
	const struct http_opts *http;
};

struct k8s_api;

/* One extra entry of a user: a key and its values. */
struct k8s_api_extra {
	char *key;
	struct eks_strings values;
};

/* What a SelfSubjectReview says; on 401 all is empty. */
struct k8s_api_review {
	long http_status;         /* 201 accepted, 401 refused */
	int accepted;             /* 1 when the token was accepted */
	char api_version[8];      /* "v1" or "v1beta1": the version that answered */
	char *username;           /* status.userInfo.username; NULL when absent */
	char *uid;                /* status.userInfo.uid; NULL when absent */
	struct eks_strings groups;
	struct k8s_api_extra *extra;
	size_t n_extra;
};

/* Why a call got no usable answer (beside its status code). */
struct k8s_api_fault {
	long http_status;   /* the status of an answer that was not usable; 0 when none arrived */
	enum http_fail fail; /* HTTP_FAIL_NONE when an answer arrived; HTTP_FAIL_TLS: the
			      * server's certificate is not from the CA given, or the handshake failed */
};

/* AL_OK, or AL_CONFIG (a server URL that is not https://host..., a CA
 * that holds no PEM certificate) / AL_SOFTWARE with err set. */
int k8s_api_new(const struct k8s_api_opts *o, struct k8s_api **out, char *err, size_t err_sz);
void k8s_api_free(struct k8s_api *k);

/* The cluster's CA as PEM from base64 (certificateAuthority.data of
 * DescribeCluster, certificate-authority-data of a kubeconfig; line
 * breaks allowed) into pem (reset first; the caller frees it).  AL_OK, or
 * AL_DATAERR when it is not base64 or holds no PEM certificate. */
int k8s_api_decode_ca(const char *b64, struct buf *pem, char *err, size_t err_sz);

/* SelfSubjectReview with token.  AL_OK when the server answered 201 (the
 * token is accepted: username, uid, groups, extra filled) or 401 (refused:
 * accepted = 0); out is zeroed first and freed with k8s_api_review_free in
 * every case.  Otherwise, with fault and err set: AL_UNAVAILABLE (no answer,
 * TLS failure included, or another status, or a 201 that is not a
 * SelfSubjectReview), AL_SOFTWARE (out of memory), AL_USAGE (no token). */
int k8s_api_self_subject_review(struct k8s_api *k, const char *token, struct k8s_api_review *out,
				struct k8s_api_fault *fault, char *err, size_t err_sz);
void k8s_api_review_free(struct k8s_api_review *r);

/* GET the ConfigMap ns/name with token: AL_OK and its JSON (a ConfigMap
 * object, checked to be one JSON value) in body (reset first; the caller
 * frees it).  AL_NOPERM for 403 (RBAC does not allow it) and 401 (the
 * token is refused), AL_NOINPUT for 404, AL_UNAVAILABLE for no answer or
 * another status, AL_USAGE for a name that is not a Kubernetes name; fault
 * and err set. */
int k8s_api_get_configmap(struct k8s_api *k, const char *token, const char *ns, const char *name,
			  struct buf *body, struct k8s_api_fault *fault, char *err, size_t err_sz);

#endif
