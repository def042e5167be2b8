#include "authmode.h"

#include <string.h>

static const char *const names[] = {
	[AUTH_MODE_UNKNOWN] = "unknown",
	[AUTH_MODE_CONFIG_MAP] = "CONFIG_MAP",
	[AUTH_MODE_API_AND_CONFIG_MAP] = "API_AND_CONFIG_MAP",
	[AUTH_MODE_API] = "API",
};

const char *authmode_name(enum auth_mode m)
{
	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : names[AUTH_MODE_UNKNOWN];
}

enum auth_mode authmode_from_name(const char *name)
{
	for (unsigned m = AUTH_MODE_UNKNOWN + 1; name && m < sizeof(names) / sizeof(names[0]); m++)
		if (strcmp(name, names[m]) == 0)
			return (enum auth_mode)m;
	return AUTH_MODE_UNKNOWN;
}
