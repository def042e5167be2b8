/* What the unit tests and fuzz targets reach in aws_secret.c. */
#ifndef AUTHLOG_AWS_SECRET_INT_H
#define AUTHLOG_AWS_SECRET_INT_H

#include <stddef.h>

/* Called with each wiped block (already zeroed, still allocated) just
 * before it is freed or reused: the tests check that every secret-holding
 * buffer is wiped.  NULL in production. */
extern void (*aws_secret_wipe_hook)(const void *p, size_t n);

#endif
