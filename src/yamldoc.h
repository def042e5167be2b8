/* One YAML document loaded with libyaml, and the few lookups kubeconfig.c
 * and awsauth.c need on it. JSON loads too (libyaml reads JSON as YAML
 * flow style), except \uD800-\uDFFF escapes, which libyaml refuses:
 * kubectl never writes them (Go's encoding/json writes characters outside
 * the BMP as UTF-8).
 *
 * Lookups follow what Kubernetes' own decoders do with the same text
 * (sigs.k8s.io/yaml: YAML to JSON, then encoding/json): a key that occurs
 * twice takes its last value, and a scalar is a string whatever its YAML
 * type (`port: 443` reads as "443"). */
#ifndef AUTHLOG_YAMLDOC_H
#define AUTHLOG_YAMLDOC_H

#include <stddef.h>

#include <yaml.h>

struct yamldoc {
	yaml_document_t doc;
	int loaded;
};

/* Loads the first document of text[0..len). AL_OK, or AL_DATAERR with
 * "NAME:LINE:COL: invalid YAML: PROBLEM" in err (libyaml's fixed problem
 * text, never the input) and LINE in *err_line (when not NULL), line_base
 * added to it (for a document embedded in a file); AL_SOFTWARE when out of
 * memory. An empty text is a document without a root. The caller calls
 * yamldoc_free() either way. */
int yamldoc_load(struct yamldoc *d, const char *text, size_t len, const char *name, size_t line_base,
		 size_t *err_line, char *err, size_t err_sz);
/* Wipes every scalar (the text may hold tokens or keys) and frees. */
void yamldoc_free(struct yamldoc *d);

/* The root node, or NULL for an empty document. */
yaml_node_t *yamldoc_root(struct yamldoc *d);
/* The value of key in mapping node map: the last pair whose scalar key
 * equals key (case-insensitively when ci, as encoding/json matches struct
 * fields); NULL when absent or map is not a mapping. *key_node, when not
 * NULL, gets that pair's key node. */
yaml_node_t *yamldoc_get(struct yamldoc *d, yaml_node_t *map, const char *key, int ci,
			 yaml_node_t **key_node);
/* A scalar's text, or NULL when n is not a scalar or holds a NUL byte. */
const char *yamldoc_str(const yaml_node_t *n);
/* A scalar that is a present value: not NULL, not YAML null (~, null,
 * empty plain), so `server:` alone reads as absent. */
const char *yamldoc_value(const yaml_node_t *n);
/* 1-based line of n in the text (0 for NULL). */
size_t yamldoc_line(const yaml_node_t *n);
/* Sequence items: the count, and item i (NULL past the end or when seq
 * is not a sequence). */
size_t yamldoc_len(const yaml_node_t *seq);
yaml_node_t *yamldoc_item(struct yamldoc *d, const yaml_node_t *seq, size_t i);

#endif
