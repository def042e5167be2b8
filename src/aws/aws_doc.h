/* Reads the small JSON and XML documents AWS services answer with
 * (credentials, error bodies) without leaving a copy of a secret behind:
 * yajl's own buffers and every value handed out are wiped when freed.
 *
 * JSON: the caller names the values it wants by their path of object keys
 * ("AssumeRoleResponse.AssumeRoleResult.Credentials.AccessKeyId"); values
 * inside arrays are never matched; a key seen twice keeps the last value
 * (as Python's json module does).
 * XML: the query protocol's answers and errors are flat enough that the
 * text of the first <tag> (inside the first <scope>) is all that is read;
 * tags match in any case, the five predefined entities are decoded. */
#ifndef AUTHLOG_AWS_DOC_H
#define AUTHLOG_AWS_DOC_H

#include <stddef.h>
#include <stdint.h>

enum aws_doc_type {
	AWS_DOC_ABSENT = 0,
	AWS_DOC_STRING,
	AWS_DOC_NUMBER,
	AWS_DOC_BOOL,
	AWS_DOC_NULL,
	AWS_DOC_OTHER, /* an object, an array, or a string holding a NUL */
};

/* One wanted value. */
struct aws_doc_field {
	const char *path;
	enum aws_doc_type type;
	char *val; /* strings and numbers as text, "true"/"false"; wiped when freed */
};

/* Fills the wanted fields from a JSON object (earlier values are freed
 * first).  AL_OK; AL_DATAERR when data is not one JSON object (the fields
 * are then empty); AL_SOFTWARE on out-of-memory.  err gets a line that
 * never quotes the input. */
int aws_doc_json(const char *data, size_t len, struct aws_doc_field *f, size_t nf, char *err, size_t err_sz);
void aws_doc_fields_free(struct aws_doc_field *f, size_t nf);
/* The first field (in array order) that holds a string, or NULL. */
const char *aws_doc_first_string(const struct aws_doc_field *f, size_t nf);

/* A whole answer as a yajl tree, for the answers that carry no secret
 * (Logs, EKS): the caller navigates it and frees it with yajl_tree_free.
 * NULL with "the response is not JSON: why" in err (or out of memory). */
struct yajl_val_s;
struct yajl_val_s *aws_doc_tree(const char *body, size_t len, char *err, size_t err_sz);
/* The member name of an object (NULL when obj is not an object or has no
 * such key; a key seen twice: the first). */
struct yajl_val_s *aws_doc_member(struct yajl_val_s *obj, const char *name);
/* The string of v, or NULL when v is not a string. */
const char *aws_doc_str(struct yajl_val_s *v);

/* 1 when the first non-blank byte is '{'. */
int aws_doc_is_json_object(const char *s, size_t len);
/* 1 when a JSON string of body holds \u0000: yajl's tree keeps such a
 * string NUL-terminated, so it would read as its shorter prefix (another
 * principal's ARN, another user's name): callers of aws_doc_tree refuse it. */
int aws_doc_json_has_nul(const char *body, size_t len);
/* 1 when s is one complete JSON value (blanks around it allowed). */
int aws_doc_json_valid(const char *s, size_t len);

/* The decoded text of the first <tag> inside the first <scope> (anywhere
 * when scope is NULL), malloc'ed (free with aws_secret_free); NULL when
 * absent, unterminated, or out of memory. */
char *aws_doc_xml_text(const char *doc, size_t len, const char *scope, const char *tag);

/* An expiration in any of the shapes the services use: an RFC 3339 string
 * (also old awscli SSO caches' "...UTC"), or a number of epoch seconds
 * (STS JSON, possibly 1.7E9) or, with ms, of epoch milliseconds (SSO
 * portal; also assumed for any number above 1e11).  0, or -1. */
int aws_doc_time(const struct aws_doc_field *f, int ms, int64_t *out);

#endif
