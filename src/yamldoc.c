/* libyaml document loading and lookups: see yamldoc.h. */
#include "yamldoc.h"

#include <string.h>
#include <strings.h>

#include "aws/aws_secret.h"
#include "msg.h"
#include "status.h"

int yamldoc_load(struct yamldoc *d, const char *text, size_t len, const char *name, size_t line_base,
		 size_t *err_line, char *err, size_t err_sz)
{
	yaml_parser_t p;
	int rc = AL_OK;

	memset(d, 0, sizeof *d);
	if (!yaml_parser_initialize(&p)) {
		msg_set(err, err_sz, "%s: out of memory", name);
		return AL_SOFTWARE;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	if (yaml_parser_load(&p, &d->doc)) {
		d->loaded = 1;
	} else if (p.error == YAML_MEMORY_ERROR) {
		msg_set(err, err_sz, "%s: out of memory", name);
		rc = AL_SOFTWARE;
	} else {
		size_t line, col;
		if (p.error == YAML_READER_ERROR) {
			/* a byte offset only: count the lines up to it */
			size_t off = p.problem_offset < len ? p.problem_offset : len, bol = 0;
			line = 0;
			for (size_t i = 0; i < off; i++)
				if (text[i] == '\n')
					line++, bol = i + 1;
			col = off - bol;
		} else {
			line = p.problem_mark.line;
			col = p.problem_mark.column;
		}
		if (err_line)
			*err_line = line_base + line + 1;
		msg_set(err, err_sz, "%s:%zu:%zu: invalid YAML: %s%s%s", name, line_base + line + 1, col + 1,
			p.problem ? p.problem : "syntax error", p.context ? " " : "",
			p.context ? p.context : "");
		rc = AL_DATAERR;
	}
	yaml_parser_delete(&p);
	return rc;
}

void yamldoc_free(struct yamldoc *d)
{
	if (!d->loaded)
		return;
	for (yaml_node_t *n = d->doc.nodes.start; n < d->doc.nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value)
			aws_secret_wipe(n->data.scalar.value, n->data.scalar.length);
	yaml_document_delete(&d->doc);
	d->loaded = 0;
}

yaml_node_t *yamldoc_root(struct yamldoc *d)
{
	return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

yaml_node_t *yamldoc_get(struct yamldoc *d, yaml_node_t *map, const char *key, int ci,
			 yaml_node_t **key_node)
{
	yaml_node_t *found = NULL;
	if (key_node)
		*key_node = NULL;
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&d->doc, pr->key);
		const char *ks = yamldoc_str(k);
		if (!ks || (ci ? strcasecmp(ks, key) : strcmp(ks, key)) != 0)
			continue;
		found = yaml_document_get_node(&d->doc, pr->value);
		if (key_node)
			*key_node = k;
	}
	return found;
}

const char *yamldoc_str(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	const char *s = (const char *)n->data.scalar.value;
	return strlen(s) == n->data.scalar.length ? s : NULL;
}

const char *yamldoc_value(const yaml_node_t *n)
{
	const char *s = yamldoc_str(n);
	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return s;
	/* YAML 1.1 / 1.2 core schema nulls, as plain scalars only */
	if (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0)
		return NULL;
	return s;
}

size_t yamldoc_line(const yaml_node_t *n)
{
	return n ? n->start_mark.line + 1 : 0;
}

size_t yamldoc_len(const yaml_node_t *seq)
{
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *yamldoc_item(struct yamldoc *d, const yaml_node_t *seq, size_t i)
{
	if (i >= yamldoc_len(seq))
		return NULL;
	return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}
