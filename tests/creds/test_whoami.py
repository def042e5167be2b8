#!/usr/bin/env python3
"""`authlog-scan whoami`: usage, exit codes (69 with the local part when STS
cannot be reached, 78 without credentials or region, 77 denied) and a
sweep that greps every byte printed, with -v, for every secret given."""
import hashlib
import json
import os
import time

from credsutil import (ACCOUNT, EX_CONFIG, EX_NOPERM, EX_OK, EX_UNAVAILABLE, EX_USAGE, CredsTestCase,
                       free_port, gci_rule, main, masked, sts_credentials)

AKID = 'AKIAIOSFODNN7EXAMPLE'
SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENVALUE//////////wEaCXVzLWVhc3QtMSJGMEQCIF'


class Usage(CredsTestCase):

    def test_help(self):
        r = self.whoami('--help', verbose=False)
        self.assertEqual(r.rc, EX_OK, r)
        self.assertTrue(r.out.startswith('usage: authlog-scan whoami [--profile P] [--region R]'), r)
        self.assertIn('69', r.out)
        self.assertEqual(r.err, '')

    def test_listed_in_main_help(self):
        import subprocess
        from credsutil import BIN
        out = subprocess.run([BIN, '--help'], stdout=subprocess.PIPE, env=self.env).stdout.decode()
        self.assertRegex(out, r'\n  whoami +\S')

    def test_bad_usage(self):
        for args, want in ((['--frobnicate'], "unknown option '--frobnicate'"),
                           (['--profile'], "option '--profile' needs a value"),
                           (['extra'], "unexpected argument 'extra'")):
            r = self.whoami(*args, verbose=False)
            self.assertEqual(r.rc, EX_USAGE, r)
            self.assertTrue(r.err.startswith('authlog-scan: whoami: '), r)
            self.assertIn(want, r.err)
            self.assertIn("Try 'authlog-scan whoami --help'.", r.err)
            self.assertEqual(r.out, '')


class ExitCodes(CredsTestCase):

    def test_sts_unreachable_prints_local_part(self):
        self.secret(SECRET, TOKEN)
        self.files()
        port = free_port()
        self.env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN,
                        AWS_REGION='eu-west-1', AWS_ENDPOINT_URL_STS='http://127.0.0.1:%d' % port)
        t = time.time()
        r = self.whoami()
        self.assertLess(time.time() - t, 30)
        self.assertEqual(r.rc, EX_UNAVAILABLE, r)
        self.assert_local_part(r, 'env', AKID)
        self.assertIn('temporary', r.field('access key'))
        self.assertEqual(r.field('sts'), 'http://127.0.0.1:%d (AWS_ENDPOINT_URL_STS)' % port)
        self.assertIsNone(r.field('caller arn'))
        self.assertRegex(r.err, r'authlog-scan: whoami: STS at http://127\.0\.0\.1:%d: ' % port)

    def test_sts_reset_is_unavailable(self):
        self.secret(SECRET)
        f = self.fake([{'match': {'action': 'GetCallerIdentity'}, 'responses': [{'reset': True}]}])
        self.files()
        self.env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_REGION='eu-west-1',
                        AWS_ENDPOINT_URL=f.url, AWS_MAX_ATTEMPTS='2')
        r = self.whoami()
        self.assertEqual(r.rc, EX_UNAVAILABLE, r)
        self.assertEqual(r.field('credentials'), 'env')
        self.assertEqual(r.field('sts'), '%s (AWS_ENDPOINT_URL)' % f.url)
        self.assertEqual(r.field('logs'), '%s (AWS_ENDPOINT_URL)' % f.url)
        self.assertEqual(len(f.requests('GetCallerIdentity')), 2)  # AWS_MAX_ATTEMPTS honoured

    def test_no_credentials(self):
        self.files('[default]\nregion = eu-west-1\n')
        r = self.whoami()
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertEqual(r.field('credentials'), '(none)')
        self.assertEqual(r.field('region'), 'eu-west-1 (profile)')
        self.assertRegex(r.err, r'authlog-scan: whoami: no AWS credentials')

    def test_no_region(self):
        self.secret(SECRET)
        self.files()
        self.env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET)
        r = self.whoami()
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertEqual(r.field('credentials'), 'env')
        self.assertEqual(r.field('region'), '(none)')
        self.assertIn('no AWS region', r.err)
        self.assertIn('--region', r.err)

    def test_region_option_wins(self):
        self.secret(SECRET)
        f = self.fake([gci_rule('arn:aws:iam::%s:user/u' % ACCOUNT)], verify=['%s:%s' % (AKID, SECRET)])
        self.files('[default]\nregion = us-east-1\n')
        self.env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_REGION='eu-west-1',
                        AWS_ENDPOINT_URL_STS=f.url)
        r = self.whoami('--region', 'ca-central-1')
        self.assertEqual(r.rc, EX_OK, r)
        self.assertEqual(r.field('region'), 'ca-central-1 (--region)')
        self.assertEqual(r.field('logs'), 'https://logs.ca-central-1.amazonaws.com (default)')

    def test_missing_profile(self):
        self.files('[profile a]\nregion = eu-west-1\n')
        r = self.whoami('--profile', 'nosuch')
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('nosuch', r.err)

    def test_bad_config_file(self):
        self.files('[profile broken\nregion = x\n')
        r = self.whoami()
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn(self.config, r.err)

    def test_mfa_refused(self):
        self.secret('basesecret')
        self.files('[profile admin]\nrole_arn = arn:aws:iam::%s:role/admin\nsource_profile = base\n'
                   'mfa_serial = arn:aws:iam::%s:mfa/jane\nregion = eu-west-1\n' % (ACCOUNT, ACCOUNT),
                   '[base]\naws_access_key_id = AKIABASE000000000000\naws_secret_access_key = basesecret\n')
        r = self.whoami('--profile', 'admin')
        self.assertEqual(r.rc, EX_CONFIG, r)
        self.assertIn('mfa_serial', r.err)
        self.assertIn('MFA code', r.err)

    def test_access_denied(self):
        self.secret(SECRET)
        f = self.fake([{'match': {'action': 'GetCallerIdentity'},
                        'responses': [{'status': 403, 'headers': {'Content-Type': 'application/json'},
                                       'json': {'Error': {'Code': 'AccessDenied', 'Message': 'explicit deny',
                                                          'Type': 'Sender'}}}]}])
        self.files()
        self.env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_REGION='eu-west-1',
                        AWS_ENDPOINT_URL_STS=f.url)
        r = self.whoami()
        self.assertEqual(r.rc, EX_NOPERM, r)
        self.assertEqual(r.field('credentials'), 'env')
        self.assertIn('AccessDenied', r.err)


class NoSecrets(CredsTestCase):
    """Every source at once, with -v, plus error paths whose server answers
    echo the secrets back: not one byte of any secret may be printed."""

    def test_sweep(self):
        s = {  # name -> secret
            'env_secret': SECRET, 'env_token': TOKEN,
            'base_secret': 'BaseSecretKeyValue0123456789abcdefghijklm',
            'role_secret': 'RoleSecretKeyValue0123456789abcdefghijklm', 'role_token': 'RoleSessionTokenValue+/=',
            'proc_secret': 'ProcSecretKeyValue0123456789abcdefghijklm', 'proc_token': 'ProcSessionTokenValue',
            'jwt': 'eyJhbGciOiJSUzI1NiJ9.SWEEPWEBIDENTITYJWT.c2lnbmF0dXJl',
            'wi_secret': 'WebIdSecretKeyValue0123456789abcdefghijk', 'wi_token': 'WebIdSessionTokenValue',
            'sso_bearer': 'SsoBearerAccessTokenValue', 'sso_secret': 'SsoSecretKeyValue0123456789abcdefghijkl',
            'sso_token': 'SsoSessionTokenValue',
            'ct_auth': 'ContainerAuthorizationTokenValue', 'ct_secret': 'ContainerSecretKeyValue0123456789abcdef',
            'ct_token': 'ContainerSessionTokenValue',
            'imds_token': 'ImdsV2SessionTokenValue', 'imds_secret': 'ImdsSecretKeyValue0123456789abcdefghij',
            'imds_cred_token': 'ImdsCredentialTokenValue',
        }
        self.secret(*s.values())
        assumed = 'arn:aws:sts::%s:assumed-role/r/s' % ACCOUNT
        rules = [
            {'match': {'action': 'AssumeRole'}, 'responses': [{'json': sts_credentials(
                'AssumeRole', 'ASIAROLE000000000000', s['role_secret'], s['role_token'])}]},
            {'match': {'action': 'AssumeRoleWithWebIdentity'}, 'responses': [{'json': sts_credentials(
                'AssumeRoleWithWebIdentity', 'ASIAWEBID00000000000', s['wi_secret'], s['wi_token'])}]},
            {'match': {'path': '/federation/credentials'}, 'responses': [{'json': {'roleCredentials': {
                'accessKeyId': 'ASIASSO0000000000000', 'secretAccessKey': s['sso_secret'],
                'sessionToken': s['sso_token'], 'expiration': int((time.time() + 3600) * 1000)}}}]},
            {'match': {'path': '/v1/credentials'}, 'responses': [{'json': {
                'AccessKeyId': 'ASIACONTAINER0000000', 'SecretAccessKey': s['ct_secret'], 'Token': s['ct_token'],
                'Expiration': '2099-01-01T00:00:00Z'}}]},
            {'match': {'method': 'PUT', 'path': '/latest/api/token'}, 'responses': [{'body': s['imds_token']}]},
            {'match': {'path': '/latest/meta-data/iam/security-credentials/'}, 'responses': [{'body': 'node'}]},
            {'match': {'path': '/latest/meta-data/iam/security-credentials/node'}, 'responses': [{'json': {
                'Code': 'Success', 'AccessKeyId': 'ASIAIMDS000000000000', 'SecretAccessKey': s['imds_secret'],
                'Token': s['imds_cred_token'], 'Expiration': '2099-01-01T00:00:00Z'}}]},
            {'match': {'action': 'GetCallerIdentity'}, 'responses': [{'json': {
                'GetCallerIdentityResponse': {'GetCallerIdentityResult': {
                    'Arn': assumed, 'Account': ACCOUNT, 'UserId': 'AROAX:s'}}}}]},
        ]
        f = self.fake(rules)
        jwt_file = self.write(os.path.join(self.tmp, 'jwt'), s['jwt'])
        ct_file = self.write(os.path.join(self.tmp, 'ct'), s['ct_auth'])
        helper = self.write(os.path.join(self.tmp, 'helper'), '#!/bin/sh\necho \'%s\'\n' % json.dumps({
            'Version': 1, 'AccessKeyId': 'ASIAPROCESS000000000', 'SecretAccessKey': s['proc_secret'],
            'SessionToken': s['proc_token']}), 0o700)
        self.files('[default]\nregion = eu-west-1\n'
                   '[profile role]\nrole_arn = arn:aws:iam::%s:role/r\nsource_profile = base\n'
                   '[profile proc]\ncredential_process = %s\n'
                   '[profile wi]\nrole_arn = arn:aws:iam::%s:role/wi\nweb_identity_token_file = %s\n'
                   '[profile sso]\nsso_session = s\nsso_account_id = %s\nsso_role_name = R\n'
                   '[sso-session s]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n'
                   % (ACCOUNT, helper, ACCOUNT, jwt_file, ACCOUNT),
                   '[base]\naws_access_key_id = AKIABASE000000000000\naws_secret_access_key = %s\n'
                   % s['base_secret'])
        d = os.path.join(self.home, '.aws', 'sso', 'cache')
        os.makedirs(d)
        self.write(os.path.join(d, hashlib.sha1(b's').hexdigest() + '.json'),
                   json.dumps({'accessToken': s['sso_bearer'], 'expiresAt': '2099-01-01T00:00:00Z'}))
        base = dict(self.env, AWS_ENDPOINT_URL=f.url, AWS_ENDPOINT_URL_SSO=f.url, AWS_REGION='eu-west-1')
        runs = {
            'env': dict(base, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN),
            'role': dict(base, AWS_PROFILE='role'),
            'proc': dict(base, AWS_PROFILE='proc'),
            'wi-profile': dict(base, AWS_PROFILE='wi'),
            'sso': dict(base, AWS_PROFILE='sso'),
            'irsa': dict(base, AWS_WEB_IDENTITY_TOKEN_FILE=jwt_file, AWS_ROLE_ARN='arn:aws:iam::%s:role/irsa' % ACCOUNT),
            'container': dict(base, AWS_CONTAINER_CREDENTIALS_FULL_URI=f.url + '/v1/credentials',
                              AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=ct_file),
            'imds': dict(base, AWS_EC2_METADATA_SERVICE_ENDPOINT=f.url),
        }
        del runs['imds']['AWS_EC2_METADATA_DISABLED']
        seen = set()
        for name, env in runs.items():
            with self.subTest(source=name):
                r = self.whoami(env=env)  # greps stdout and stderr for every secret
                self.assertEqual(r.rc, EX_OK, r)
                self.assertEqual(r.field('caller arn'), assumed)
                self.assertIn('authlog-scan: http: ', r.err)  # -v really was verbose
                seen.add(r.field('credentials').split(' <- ')[0])
        self.assertEqual(seen, {'env', 'profile:role (assume-role)', 'profile:proc (credential_process)',
                                'profile:wi (web-identity)', 'profile:sso (sso)', 'web-identity', 'container',
                                'imds'})

    def test_error_answers_echoing_secrets(self):
        """STS error bodies that quote the token and secret back."""
        self.secret(SECRET, TOKEN)
        msg = 'The security token %s signed by %s is invalid' % (TOKEN, SECRET)
        f = self.fake([{'match': {'action': 'GetCallerIdentity'},
                        'responses': [{'status': 403, 'headers': {'Content-Type': 'application/json'},
                                       'json': {'Error': {'Code': 'InvalidClientTokenId', 'Message': msg,
                                                          'Type': 'Sender'}}}]}])
        self.files()
        self.env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN,
                        AWS_REGION='eu-west-1', AWS_ENDPOINT_URL_STS=f.url)
        r = self.whoami()
        self.assertNotEqual(r.rc, EX_OK, r)
        self.assertIn('InvalidClientTokenId', r.err)
        self.assertTrue(r.field('access key').startswith(masked(AKID)))

    def test_access_key_masked_without_verbose(self):
        self.secret(SECRET)
        f = self.fake([gci_rule('arn:aws:iam::%s:user/u' % ACCOUNT)])
        self.files()
        self.env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_REGION='eu-west-1',
                        AWS_ENDPOINT_URL_STS=f.url)
        r = self.whoami(verbose=False)
        self.assertEqual(r.rc, EX_OK, r)
        self.assertNotIn(AKID, r.out + r.err)
        self.assertEqual(r.err, '')


if __name__ == '__main__':
    main()
