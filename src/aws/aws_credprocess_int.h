/* What the unit tests and fuzz targets reach in aws_credprocess.c. */
#ifndef AUTHLOG_AWS_CREDPROCESS_INT_H
#define AUTHLOG_AWS_CREDPROCESS_INT_H

#include <stddef.h>

struct aws_credentials;

/* Parses a credential_process answer (Version 1, AccessKeyId,
 * SecretAccessKey, optional SessionToken and Expiration).  AL_OK, or
 * AL_CONFIG with "profile NAME: credential_process: ..." in err. */
int aws_credprocess_parse_output(const char *json, size_t len, const char *profile,
				 struct aws_credentials *out, char *err, size_t err_sz);
/* Splits a command line like Python's shlex.split (POSIX mode, no
 * comments).  AL_OK and a NULL-terminated argv (free it with
 * aws_credprocess_free_argv), or AL_CONFIG (AL_SOFTWARE on out-of-memory)
 * with err set. */
int aws_credprocess_split(const char *cmd, char ***argv, char *err, size_t err_sz);
void aws_credprocess_free_argv(char **argv);

#endif
