/* credential_process: runs the profile's command without a shell (split
 * like Python's shlex.split, as botocore does) and reads the credentials
 * it prints (https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html). */
#ifndef AUTHLOG_AWS_CREDPROCESS_H
#define AUTHLOG_AWS_CREDPROCESS_H

#include <stddef.h>

struct aws_credentials;

/* Runs cmd and parses its stdout.  AL_OK and *out, or AL_CONFIG (the
 * command fails, prints no valid credentials, or credentials that already
 * expired) / AL_SOFTWARE with "profile NAME: credential_process..." in err;
 * the command's stderr is quoted (first 300 printable bytes), never its
 * stdout. */
int aws_credprocess_fetch(const char *profile, const char *cmd, struct aws_credentials *out,
			  char *err, size_t err_sz);

#endif
