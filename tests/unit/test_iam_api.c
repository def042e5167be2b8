/* The IAM client's pure parts: the GetRole answer parser (XML as IAM
 * answers, JSON, absent, hostile and oversized values) and the IAM
 * endpoints (one global host per partition; AWS_ENDPOINT_URL_IAM and a
 * services section override it). */
#include "aws/aws_config.h"
#include "aws/iam_api_int.h"
#include "status.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[512];

#define SSO_ARN "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0a1b"

static int parse(const char *body, char *arn, size_t arn_sz)
{
	err[0] = '\0';
	return iam_api_parse_get_role(body, strlen(body), arn, arn_sz, err, sizeof err);
}

static void test_parse(void)
{
	char arn[2049];
	static const char xml[] =
		"<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetRoleResult><Role>"
		"<Path>/aws-reserved/sso.amazonaws.com/eu-west-1/</Path>"
		"<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D</AssumeRolePolicyDocument>"
		"<PermissionsBoundary><PermissionsBoundaryArn>arn:aws:iam::111122223333:policy/b</PermissionsBoundaryArn>"
		"</PermissionsBoundary><RoleName>AWSReservedSSO_Admin_0a1b</RoleName><Arn>" SSO_ARN "</Arn>"
		"</Role></GetRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetRoleResponse>";
	is_int(parse(xml, arn, sizeof arn), AL_OK, "XML answer");
	is_str(arn, SSO_ARN, "the role's own Arn, path included, not the boundary's");

	is_int(parse("{\"GetRoleResponse\":{\"GetRoleResult\":{\"Role\":{\"Arn\":"
		     "\"arn:aws-cn:iam::111122223333:role/ci/builder\"}}}}", arn, sizeof arn), AL_OK, "JSON answer");
	is_str(arn, "arn:aws-cn:iam::111122223333:role/ci/builder", "JSON Arn");

	static const char *const bad[] = {
		"<GetRoleResponse><GetRoleResult><Role><RoleName>x</RoleName></Role></GetRoleResult></GetRoleResponse>",
		"<GetRoleResponse><GetRoleResult><Role><Arn>arn:aws:iam::1:user/x</Arn></Role></GetRoleResult></GetRoleResponse>",
		"<GetRoleResponse><GetRoleResult><Role><Arn>arn:aws:sts::1:role/x</Arn></Role></GetRoleResult></GetRoleResponse>",
		"<GetRoleResponse><GetRoleResult><Role><Arn>arn:aws:iam::1:role/x y</Arn></Role></GetRoleResult></GetRoleResponse>",
		"<GetRoleResponse><GetRoleResult><Role><Arn>arn:aws:iam::1:role/x&#x1b;[2J</Arn></Role></GetRoleResult></GetRoleResponse>",
		"<GetRoleResponse><GetRoleResult><Role><Arn>arn</Arn></Role></GetRoleResult></GetRoleResponse>",
		"<GetRoleResponse><GetRoleResult><Role><Arn></Arn></Role></GetRoleResult></GetRoleResponse>",
		"<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>",
		"{\"GetRoleResponse\":{\"GetRoleResult\":{\"Role\":{\"Arn\":42}}}}",
		"{\"GetRoleResponse\":",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		strcpy(arn, "stale");
		is_int(parse(bad[i], arn, sizeof arn), AL_UNAVAILABLE, "refused: answer %zu", i);
		ok(arn[0] == '\0' && strstr(err, "GetRole: the answer has no valid role Arn"), "answer %zu: %s", i, err);
	}

	char small[20];
	is_int(parse(xml, small, sizeof small), AL_UNAVAILABLE, "an Arn longer than the buffer is refused");
	ok(small[0] == '\0', "nothing half-copied");

	/* a 3000-byte ARN: longer than any IAM allows */
	char *huge = malloc(4000);
	ok(huge != NULL, "malloc");
	if (huge) {
		int n = snprintf(huge, 4000, "<Role><Arn>arn:aws:iam::1:role/");
		memset(huge + n, 'a', 3000);
		strcpy(huge + n + 3000, "</Arn></Role>");
		is_int(parse(huge, arn, sizeof arn), AL_UNAVAILABLE, "huge Arn refused");
		free(huge);
	}
}

static void test_endpoints(void)
{
	static const struct {
		const char *region, *url, *signing;
	} want[] = {
		{"eu-west-1", "https://iam.amazonaws.com", "us-east-1"},
		{"us-east-1", "https://iam.amazonaws.com", "us-east-1"},
		{"cn-northwest-1", "https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1"},
		{"us-gov-east-1", "https://iam.us-gov.amazonaws.com", "us-gov-west-1"},
	};
	struct aws_config *cfg = NULL;
	struct aws_endpoint ep;
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_IAM");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_USE_FIPS_ENDPOINT");
	unsetenv("AWS_USE_DUALSTACK_ENDPOINT");
	is_int(aws_config_load("/dev/null", "/dev/null", &cfg, err, sizeof err), AL_OK, "empty config");
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		is_int(aws_config_endpoint(cfg, "default", AWS_SVC_IAM, want[i].region, NULL, &ep, err, sizeof err),
		       AL_OK, "iam %s", want[i].region);
		is_str(ep.url, want[i].url, "iam %s url", want[i].region);
		is_str(ep.signing_region, want[i].signing, "iam %s signing region", want[i].region);
	}
	setenv("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:4566/iam", 1);
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/sts", 1);
	is_int(aws_config_endpoint(cfg, "default", AWS_SVC_IAM, "eu-west-1", NULL, &ep, err, sizeof err), AL_OK,
	       "AWS_ENDPOINT_URL_IAM");
	is_str(ep.url, "http://127.0.0.1:4566/iam", "the IAM override, not STS's");
	is_str(ep.origin, "AWS_ENDPOINT_URL_IAM", "its origin");
	unsetenv("AWS_ENDPOINT_URL_IAM");
	unsetenv("AWS_ENDPOINT_URL_STS");
	aws_config_free(cfg);

	char path[] = "/tmp/test_iam_api.XXXXXX";
	int fd = mkstemp(path);
	static const char conf[] = "[default]\nservices = local\n[services local]\niam =\n  endpoint_url = http://localhost:5000\n";
	ok(fd >= 0 && write(fd, conf, sizeof conf - 1) == (ssize_t)(sizeof conf - 1), "write config");
	if (fd >= 0)
		close(fd);
	is_int(aws_config_load(path, "/dev/null", &cfg, err, sizeof err), AL_OK, "services config");
	is_int(aws_config_endpoint(cfg, "default", AWS_SVC_IAM, "eu-west-1", NULL, &ep, err, sizeof err), AL_OK,
	       "services iam");
	is_str(ep.url, "http://localhost:5000", "[services local] iam endpoint_url");
	aws_config_free(cfg);
	unlink(path);
}

int main(void)
{
	test_parse();
	test_endpoints();
	return tap_done();
}
