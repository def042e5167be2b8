#!/usr/bin/env python3
"""One test per credential source, end to end: `authlog-scan -v whoami`
against tests/fake_aws.py, which checks the SigV4 signature of every signed
request with the keys the test expects.  Every run is also grepped for the
secrets the test handed out (credsutil.CredsTestCase.whoami)."""
import json
import os
import time

from credsutil import (ACCOUNT, EX_OK, CredsTestCase, form, gci_rule, header, main, masked,
                       sts_credentials)

AKID = 'AKIAIOSFODNN7EXAMPLE'
SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'


class Sources(CredsTestCase):

    def sts_env(self, fake, region='eu-west-1'):
        self.env['AWS_ENDPOINT_URL_STS'] = fake.url
        self.env['AWS_REGION'] = region

    def test_env(self):
        self.secret(SECRET)
        f = self.fake([gci_rule('arn:aws:iam::%s:user/ci-bot' % ACCOUNT, 'AIDAEXAMPLE')],
                      verify=['%s:%s' % (AKID, SECRET)])
        self.files('[profile dev]\nregion = us-east-1\n',
                   '[dev]\naws_access_key_id = AKIAPROFILE000000000\naws_secret_access_key = other\n')
        self.sts_env(f)
        self.env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_PROFILE='dev')
        r = self.whoami()
        self.assertEqual(r.rc, EX_OK, r)
        self.assert_local_part(r, 'env', AKID)
        self.assertIn('long-term', r.field('access key'))
        self.assertEqual(r.field('profile'), 'dev (AWS_PROFILE)')
        self.assertEqual(r.field('region'), 'eu-west-1 (AWS_REGION)')
        self.assertEqual(r.field('sts'), '%s (AWS_ENDPOINT_URL_STS)' % f.url)
        self.assertEqual(r.field('logs'), 'https://logs.eu-west-1.amazonaws.com (default)')
        self.assertEqual(r.field('caller arn'), 'arn:aws:iam::%s:user/ci-bot' % ACCOUNT)
        self.assertEqual(r.field('account'), ACCOUNT)
        self.assertEqual(r.field('user id'), 'AIDAEXAMPLE')
        self.assertEqual(r.field('iam arn'), 'arn:aws:iam::%s:user/ci-bot' % ACCOUNT)
        self.assertIn('mapUsers', r.out)
        [gci] = f.requests('GetCallerIdentity')
        self.assertEqual(gci['sigv4'], 'ok')
        self.assertEqual(form(gci['body']), {'Action': 'GetCallerIdentity', 'Version': '2011-06-15'})
        self.assertEqual(header(gci, 'Accept'), 'application/json')
        self.assertIn('/eu-west-1/sts/aws4_request', header(gci, 'Authorization'))

    def test_profile_static(self):
        self.secret('profilesecret', 'profiletoken')
        f = self.fake([gci_rule('arn:aws:sts::%s:assumed-role/dev/jane' % ACCOUNT)],
                      verify=['ASIAPROFILE000000000:profilesecret:profiletoken'])
        self.files('[profile dev]\nregion = eu-west-1\n',
                   '[dev]\naws_access_key_id = ASIAPROFILE000000000\naws_secret_access_key = profilesecret\n'
                   'aws_session_token = profiletoken\n')
        self.env['AWS_ENDPOINT_URL_STS'] = f.url
        # env keys are ignored with an explicit --profile
        self.env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET)
        self.secret(SECRET)
        r = self.whoami('--profile', 'dev')
        self.assertEqual(r.rc, EX_OK, r)
        self.assert_local_part(r, 'profile:dev (static)', 'ASIAPROFILE000000000')
        self.assertEqual(r.field('profile'), 'dev (--profile)')
        self.assertEqual(r.field('region'), 'eu-west-1 (profile)')
        self.assertEqual(r.field('iam arn'), 'arn:aws:iam::%s:role/dev' % ACCOUNT)
        [gci] = f.requests('GetCallerIdentity')
        self.assertEqual(gci['sigv4'], 'ok')
        self.assertEqual(header(gci, 'X-Amz-Security-Token'), 'profiletoken')

    def test_credential_process(self):
        self.secret('processsecret', 'processtoken')
        f = self.fake([gci_rule('arn:aws:sts::%s:assumed-role/ops/p' % ACCOUNT)],
                      verify=['ASIAPROCESS000000000:processsecret:processtoken'])
        exp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + 3600))
        helper = self.write(os.path.join(self.tmp, 'cred helper.py'),
                            '#!/usr/bin/env python3\nimport json, sys\n'
                            'assert sys.argv[1:] == ["--account", "prod ops"], sys.argv\n'
                            'print(json.dumps({"Version": 1, "AccessKeyId": "ASIAPROCESS000000000",'
                            ' "SecretAccessKey": "processsecret", "SessionToken": "processtoken",'
                            ' "Expiration": "%s"}))\n' % exp, 0o700)
        self.files('[profile proc]\nregion = eu-west-1\ncredential_process = "%s" --account \'prod ops\'\n' % helper)
        self.env.update(AWS_ENDPOINT_URL_STS=f.url, AWS_PROFILE='proc')
        r = self.whoami()
        self.assertEqual(r.rc, EX_OK, r)
        self.assert_local_part(r, 'profile:proc (credential_process)', 'ASIAPROCESS000000000')
        self.assertIn('expires %s' % exp, r.field('access key'))
        self.assertEqual(r.field('iam arn'), 'arn:aws:iam::%s:role/ops' % ACCOUNT)
        self.assertEqual(f.requests('GetCallerIdentity')[0]['sigv4'], 'ok')

    def test_credential_process_failure(self):
        helper = self.write(os.path.join(self.tmp, 'helper.sh'),
                            '#!/bin/sh\necho \'{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "LEAKED"}\'\n'
                            'echo "session expired; run helper login" >&2\nexit 2\n', 0o700)
        self.secret('LEAKED')
        self.files('[profile proc]\nregion = eu-west-1\ncredential_process = %s\n' % helper)
        r = self.whoami('--profile', 'proc')
        self.assertEqual(r.rc, 78, r)
        self.assertIn('profile proc', r.err)
        self.assertIn('status 2', r.err)
        self.assertIn('session expired; run helper login', r.err)
        self.assertEqual(r.field('credentials'), 'profile:proc (credential_process)')
        self.assertEqual(r.field('access key'), '(not obtained)')

    def test_assume_role(self):
        self.secret('basesecret', 'rolesecret', 'roletoken')
        f = self.fake([
            {'match': {'method': 'POST', 'action': 'AssumeRole', 'signed': True},
             'responses': [{'json': sts_credentials('AssumeRole', 'ASIAROLE000000000000', 'rolesecret', 'roletoken',
                                                    1.8e9)}]},
            gci_rule('arn:aws:sts::%s:assumed-role/deploy/authlog-audit' % ACCOUNT, 'AROADEPLOY:authlog-audit'),
        ], verify=['AKIABASE000000000000:basesecret', 'ASIAROLE000000000000:rolesecret:roletoken'])
        self.files('[profile deploy]\nregion = eu-west-1\nrole_arn = arn:aws:iam::%s:role/deploy\n'
                   'source_profile = base\nexternal_id = ext-1234\nrole_session_name = authlog-audit\n'
                   'duration_seconds = 1800\n' % ACCOUNT,
                   '[base]\naws_access_key_id = AKIABASE000000000000\naws_secret_access_key = basesecret\n')
        self.env['AWS_ENDPOINT_URL_STS'] = f.url
        r = self.whoami('--profile', 'deploy')
        self.assertEqual(r.rc, EX_OK, r)
        self.assertEqual(r.field('credentials'), 'profile:deploy (assume-role) <- profile:base (static)')
        self.assertTrue(r.field('access key').startswith(masked('ASIAROLE000000000000')), r)
        self.assertIn('2027-01-15T08:00:00Z', r.field('access key'))
        self.assertEqual(r.field('iam arn'), 'arn:aws:iam::%s:role/deploy' % ACCOUNT)
        self.assertIn('mapRoles', r.out)
        [ar] = f.requests('AssumeRole')
        self.assertEqual(ar['sigv4'], 'ok', ar)
        self.assertIn('Credential=AKIABASE000000000000/', header(ar, 'Authorization'))
        self.assertIsNone(header(ar, 'X-Amz-Security-Token'))
        self.assertEqual(form(ar['body']), {
            'Action': 'AssumeRole', 'Version': '2011-06-15', 'RoleArn': 'arn:aws:iam::%s:role/deploy' % ACCOUNT,
            'RoleSessionName': 'authlog-audit', 'ExternalId': 'ext-1234', 'DurationSeconds': '1800'})
        self.assertEqual(header(ar, 'Accept'), 'application/json')
        [gci] = f.requests('GetCallerIdentity')
        self.assertEqual(gci['sigv4'], 'ok')
        self.assertIn('Credential=ASIAROLE000000000000/', header(gci, 'Authorization'))
        self.assertEqual(header(gci, 'X-Amz-Security-Token'), 'roletoken')
        # AssumeRole happened before GetCallerIdentity
        self.assertLess(f.log().index(ar), f.log().index(gci))

    def test_assume_role_chain_and_credential_source(self):
        """role -> role -> static keys, and credential_source = Environment."""
        self.secret('basesecret', 'midsecret', 'midtoken', 'topsecret', 'toptoken', SECRET)
        f = self.fake([
            {'match': {'action': 'AssumeRole', 'body_contains': 'role%2Fmid'},
             'responses': [{'json': sts_credentials('AssumeRole', 'ASIAMID000000000000A', 'midsecret', 'midtoken')}]},
            {'match': {'action': 'AssumeRole', 'body_contains': 'role%2Ftop'},
             'responses': [{'json': sts_credentials('AssumeRole', 'ASIATOP000000000000A', 'topsecret', 'toptoken')}]},
            gci_rule('arn:aws:sts::%s:assumed-role/top/s' % ACCOUNT),
        ], verify=['AKIABASE000000000000:basesecret', 'ASIAMID000000000000A:midsecret:midtoken',
                   'ASIATOP000000000000A:topsecret:toptoken', '%s:%s' % (AKID, SECRET)])
        self.files('[default]\nregion = eu-west-1\n'
                   '[profile top]\nrole_arn = arn:aws:iam::%s:role/top\nsource_profile = mid\n'
                   '[profile mid]\nrole_arn = arn:aws:iam::%s:role/mid\nsource_profile = base\n'
                   '[profile fromenv]\nrole_arn = arn:aws:iam::%s:role/top\ncredential_source = Environment\n'
                   % (ACCOUNT, ACCOUNT, ACCOUNT),
                   '[base]\naws_access_key_id = AKIABASE000000000000\naws_secret_access_key = basesecret\n')
        self.env.update(AWS_ENDPOINT_URL_STS=f.url, AWS_REGION='eu-west-1')
        r = self.whoami('--profile', 'top')
        self.assertEqual(r.rc, EX_OK, r)
        self.assertEqual(r.field('credentials'),
                         'profile:top (assume-role) <- profile:mid (assume-role) <- profile:base (static)')
        mid, top = f.requests('AssumeRole')
        self.assertIn('Credential=AKIABASE000000000000/', header(mid, 'Authorization'))
        self.assertIn('Credential=ASIAMID000000000000A/', header(top, 'Authorization'))
        self.assertEqual(header(top, 'X-Amz-Security-Token'), 'midtoken')
        self.assertEqual([mid['sigv4'], top['sigv4']], ['ok', 'ok'])

        # credential_source = Environment: the env keys sign the AssumeRole
        self.env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET)
        r = self.whoami('--profile', 'fromenv')
        self.assertEqual(r.rc, EX_OK, r)
        self.assertEqual(r.field('credentials'), 'profile:fromenv (assume-role) <- env')
        last = f.requests('AssumeRole')[-1]
        self.assertIn('Credential=%s/' % AKID, header(last, 'Authorization'))
        self.assertEqual(last['sigv4'], 'ok')

    def test_assume_role_xml_and_default_session(self):
        """botocore/moto style XML answer; no role_session_name."""
        self.secret('basesecret', 'xmlsecret', 'xmltoken')
        xml = ('<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
               '<Credentials><AccessKeyId>ASIAXML0000000000000</AccessKeyId><SecretAccessKey>xmlsecret'
               '</SecretAccessKey><SessionToken>xmltoken</SessionToken><Expiration>2099-01-01T00:00:00Z'
               '</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>')
        f = self.fake([
            {'match': {'action': 'AssumeRole'},
             'responses': [{'body': xml, 'headers': {'Content-Type': 'text/xml'}}]},
            gci_rule('arn:aws:sts::%s:assumed-role/r/s' % ACCOUNT),
        ], verify=['AKIABASE000000000000:basesecret', 'ASIAXML0000000000000:xmlsecret:xmltoken'])
        self.files('[profile r]\nrole_arn = arn:aws:iam::%s:role/r\nsource_profile = base\n' % ACCOUNT,
                   '[base]\naws_access_key_id = AKIABASE000000000000\naws_secret_access_key = basesecret\n')
        self.env.update(AWS_ENDPOINT_URL_STS=f.url, AWS_PROFILE='r', AWS_DEFAULT_REGION='eu-west-1')
        r = self.whoami()
        self.assertEqual(r.rc, EX_OK, r)
        self.assertRegex(form(f.requests('AssumeRole')[0]['body'])['RoleSessionName'], r'^authlog-scan-\d+$')
        self.assertEqual(f.requests('GetCallerIdentity')[0]['sigv4'], 'ok')

    def test_assume_role_denied(self):
        self.secret('basesecret')
        f = self.fake([{'match': {'action': 'AssumeRole'},
                        'responses': [{'status': 403, 'headers': {'Content-Type': 'application/json'},
                                       'json': {'Error': {'Code': 'AccessDenied', 'Message':
                                                          'User is not authorized to perform: sts:AssumeRole',
                                                          'Type': 'Sender'}}}]}])
        self.files('[profile deploy]\nregion = eu-west-1\nrole_arn = arn:aws:iam::%s:role/deploy\n'
                   'source_profile = base\n' % ACCOUNT,
                   '[base]\naws_access_key_id = AKIABASE000000000000\naws_secret_access_key = basesecret\n')
        self.env['AWS_ENDPOINT_URL_STS'] = f.url
        r = self.whoami('--profile', 'deploy')
        self.assertEqual(r.rc, 77, r)
        self.assertIn('profile deploy', r.err)
        self.assertIn('AccessDenied', r.err)
        self.assertIn('arn:aws:iam::%s:role/deploy' % ACCOUNT, r.err)
        self.assertEqual(r.field('credentials'), 'profile:deploy (assume-role) <- profile:base (static)')
        self.assertEqual(r.field('access key'), '(not obtained)')
        self.assertIsNotNone(r.field('sts'))

    def sso_cache(self, key, token, expires_at):
        import hashlib
        d = os.path.join(self.home, '.aws', 'sso', 'cache')
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, hashlib.sha1(key.encode()).hexdigest() + '.json')
        self.write(path, json.dumps({'startUrl': 'https://d-92671207e4.awsapps.com/start', 'region': 'eu-central-1',
                                     'accessToken': token, 'expiresAt': expires_at}))
        return path

    def test_sso(self):
        self.secret('SSOBEARERTOKENVALUE', 'ssosecret', 'ssotoken')
        exp_ms = int((time.time() + 3600) * 1000)
        f = self.fake([
            {'match': {'method': 'GET', 'path': '/federation/credentials',
                       'query': {'account_id': ACCOUNT, 'role_name': 'AdministratorAccess'},
                       'header': {'x-amz-sso_bearer_token': 'SSOBEARERTOKENVALUE', 'authorization': None}},
             'responses': [{'json': {'roleCredentials': {
                 'accessKeyId': 'ASIASSO0000000000000', 'secretAccessKey': 'ssosecret',
                 'sessionToken': 'ssotoken', 'expiration': exp_ms}}}]},
            gci_rule('arn:aws:sts::%s:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/jane'
                     % ACCOUNT, 'AROASSO:jane'),
        ], verify=['ASIASSO0000000000000:ssosecret:ssotoken'])
        self.files('[profile sso]\nsso_session = corp\nsso_account_id = %s\nsso_role_name = AdministratorAccess\n'
                   'region = eu-west-1\n[sso-session corp]\nsso_start_url = https://d-92671207e4.awsapps.com/start\n'
                   'sso_region = eu-central-1\nsso_registration_scopes = sso:account:access\n' % ACCOUNT)
        exp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + 7200))
        self.sso_cache('corp', 'SSOBEARERTOKENVALUE', exp)
        self.env.update(AWS_ENDPOINT_URL_STS=f.url, AWS_ENDPOINT_URL_SSO=f.url, AWS_PROFILE='sso')
        r = self.whoami()
        self.assertEqual(r.rc, EX_OK, r)
        self.assert_local_part(r, 'profile:sso (sso)', 'ASIASSO0000000000000')
        self.assertIn(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(exp_ms // 1000)), r.field('access key'))
        self.assertEqual(r.field('iam arn'),
                         'arn:aws:iam::%s:role/AWSReservedSSO_AdministratorAccess_0123456789abcdef' % ACCOUNT)
        [portal] = f.requests(path='/federation/credentials')
        self.assertEqual(portal['method'], 'GET')
        self.assertEqual(portal['sigv4'], 'unsigned')
        self.assertEqual(f.requests('GetCallerIdentity')[0]['sigv4'], 'ok')

    def test_sso_legacy_expired(self):
        self.secret('OLDBEARER')
        self.files('[profile old]\nsso_start_url = https://d-92671207e4.awsapps.com/start\nsso_region = us-east-1\n'
                   'sso_account_id = %s\nsso_role_name = ReadOnly\nregion = eu-west-1\n' % ACCOUNT)
        self.sso_cache('https://d-92671207e4.awsapps.com/start', 'OLDBEARER', '2020-01-01T00:00:00Z')
        r = self.whoami('--profile', 'old')
        self.assertEqual(r.rc, 78, r)
        self.assertIn('expired at 2020-01-01T00:00:00Z', r.err)
        self.assertIn('aws sso login --profile old', r.err)

    def test_sso_token_rejected(self):
        self.secret('REVOKEDBEARER')
        f = self.fake([{'match': {'path': '/federation/credentials'},
                        'responses': [{'status': 401, 'error': 'UnauthorizedException',
                                       'message': 'Session token not found or invalid'}]}])
        self.files('[profile sso]\nsso_start_url = https://d-92671207e4.awsapps.com/start\nsso_region = us-east-1\n'
                   'sso_account_id = %s\nsso_role_name = ReadOnly\nregion = eu-west-1\n' % ACCOUNT)
        self.sso_cache('https://d-92671207e4.awsapps.com/start', 'REVOKEDBEARER', '2099-01-01T00:00:00Z')
        self.env['AWS_ENDPOINT_URL_SSO'] = f.url
        r = self.whoami('--profile', 'sso')
        self.assertEqual(r.rc, 78, r)
        self.assertIn('UnauthorizedException', r.err)
        self.assertIn('aws sso login --profile sso', r.err)

    def test_web_identity_env(self):
        jwt = self.secret('eyJhbGciOiJSUzI1NiJ9.IRSATOKENPAYLOAD.c2ln')
        self.secret('wisecret', 'witoken')
        f = self.fake([
            {'match': {'method': 'POST', 'action': 'AssumeRoleWithWebIdentity', 'signed': False},
             'responses': [{'json': sts_credentials('AssumeRoleWithWebIdentity', 'ASIAWEBID00000000000', 'wisecret',
                                                    'witoken')}]},
            gci_rule('arn:aws:sts::%s:assumed-role/irsa-authlog/authlog-pod' % ACCOUNT),
        ], verify=['ASIAWEBID00000000000:wisecret:witoken'])
        tok = self.write(os.path.join(self.tmp, 'token'), jwt + '\n')
        self.files()
        self.env.update(AWS_ENDPOINT_URL_STS=f.url, AWS_REGION='eu-west-1', AWS_WEB_IDENTITY_TOKEN_FILE=tok,
                        AWS_ROLE_ARN='arn:aws:iam::%s:role/irsa-authlog' % ACCOUNT,
                        AWS_ROLE_SESSION_NAME='authlog-pod')
        r = self.whoami()
        self.assertEqual(r.rc, EX_OK, r)
        self.assert_local_part(r, 'web-identity', 'ASIAWEBID00000000000')
        self.assertEqual(r.field('iam arn'), 'arn:aws:iam::%s:role/irsa-authlog' % ACCOUNT)
        [wi] = f.requests('AssumeRoleWithWebIdentity')
        self.assertEqual(wi['sigv4'], 'unsigned')
        self.assertIsNone(header(wi, 'Authorization'))
        self.assertEqual(form(wi['body']), {
            'Action': 'AssumeRoleWithWebIdentity', 'Version': '2011-06-15',
            'RoleArn': 'arn:aws:iam::%s:role/irsa-authlog' % ACCOUNT, 'RoleSessionName': 'authlog-pod',
            'WebIdentityToken': jwt})

    def test_web_identity_profile(self):
        jwt = self.secret('eyJPROFILEWEBIDENTITY')
        self.secret('pwsecret', 'pwtoken')
        f = self.fake([
            {'match': {'action': 'AssumeRoleWithWebIdentity', 'signed': False},
             'responses': [{'json': sts_credentials('AssumeRoleWithWebIdentity', 'ASIAPROFWEB000000000', 'pwsecret',
                                                    'pwtoken')}]},
            gci_rule('arn:aws:sts::%s:assumed-role/ci/gh' % ACCOUNT),
        ], verify=['ASIAPROFWEB000000000:pwsecret:pwtoken'])
        tok = self.write(os.path.join(self.tmp, 'gh-token'), jwt)
        self.files('[profile ci]\nregion = eu-west-1\nrole_arn = arn:aws:iam::%s:role/ci\n'
                   'web_identity_token_file = %s\nrole_session_name = gh\n' % (ACCOUNT, tok))
        self.env['AWS_ENDPOINT_URL_STS'] = f.url
        r = self.whoami('--profile', 'ci')
        self.assertEqual(r.rc, EX_OK, r)
        self.assert_local_part(r, 'profile:ci (web-identity)', 'ASIAPROFWEB000000000')
        self.assertEqual(form(f.requests('AssumeRoleWithWebIdentity')[0]['body'])['WebIdentityToken'], jwt)

    def test_container(self):
        auth = self.secret('eks-pod-identity-token-value')
        self.secret('ctsecret', 'cttoken')
        f = self.fake([
            {'match': {'method': 'GET', 'path': '/v1/credentials', 'header': {'authorization': auth}},
             'responses': [{'json': {'AccessKeyId': 'ASIACONTAINER0000000', 'SecretAccessKey': 'ctsecret',
                                     'Token': 'cttoken', 'Expiration': '2099-01-01T00:00:00Z',
                                     'AccountId': ACCOUNT}}]},
            gci_rule('arn:aws:sts::%s:assumed-role/pod-role/eks-prod-authlog-abc' % ACCOUNT),
        ], verify=['ASIACONTAINER0000000:ctsecret:cttoken'])
        tokfile = self.write(os.path.join(self.tmp, 'eks-pod-identity-token'), auth)
        self.files()
        self.env.update(AWS_ENDPOINT_URL_STS=f.url, AWS_REGION='eu-west-1',
                        AWS_CONTAINER_CREDENTIALS_FULL_URI=f.url + '/v1/credentials',
                        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=tokfile,
                        AWS_CONTAINER_AUTHORIZATION_TOKEN='the-file-wins')
        r = self.whoami()
        self.assertEqual(r.rc, EX_OK, r)
        self.assert_local_part(r, 'container', 'ASIACONTAINER0000000')
        self.assertIn('expires 2099-01-01T00:00:00Z', r.field('access key'))
        self.assertEqual(r.field('iam arn'), 'arn:aws:iam::%s:role/pod-role' % ACCOUNT)
        [c] = f.requests(path='/v1/credentials')
        self.assertEqual(c['method'], 'GET')
        self.assertEqual(header(c, 'Authorization'), auth)
        self.assertEqual(header(c, 'Accept'), 'application/json')

    def test_container_token_variable_and_line_break(self):
        self.secret('plain-token-from-env', 'ctsecret', 'cttoken')
        f = self.fake([
            {'match': {'path': '/creds', 'header': {'authorization': 'plain-token-from-env'}},
             'responses': [{'json': {'AccessKeyId': 'ASIACONTAINER0000000', 'SecretAccessKey': 'ctsecret',
                                     'Token': 'cttoken', 'Expiration': '2099-01-01T00:00:00Z'}}]},
            gci_rule('arn:aws:sts::%s:assumed-role/task/t' % ACCOUNT),
        ], verify=['ASIACONTAINER0000000:ctsecret:cttoken'])
        self.files()
        self.env.update(AWS_ENDPOINT_URL_STS=f.url, AWS_REGION='eu-west-1',
                        AWS_CONTAINER_CREDENTIALS_FULL_URI='http://localhost:%d/creds' % f.port,
                        AWS_CONTAINER_AUTHORIZATION_TOKEN='plain-token-from-env')
        r = self.whoami()
        self.assertEqual(r.rc, EX_OK, r)
        self.assertEqual(r.field('credentials'), 'container')
        tokfile = self.write(os.path.join(self.tmp, 'tok'), 'token-with-newline\n')
        self.env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'] = tokfile
        r = self.whoami()
        self.assertEqual(r.rc, 78, r)
        self.assertIn('line break', r.err)

    def test_container_refused_host(self):
        self.files()
        self.env.update(AWS_REGION='eu-west-1', AWS_CONTAINER_CREDENTIALS_FULL_URI='http://192.0.2.10/creds')
        r = self.whoami()
        self.assertEqual(r.rc, 78, r)
        self.assertIn("unsupported host '192.0.2.10'", r.err)

    def imds_rules(self, token='IMDSV2SESSIONTOKEN', role='authlog-node-role', creds=None):
        creds = creds or {'Code': 'Success', 'LastUpdated': '2026-11-24T02:00:00Z', 'Type': 'AWS-HMAC',
                          'AccessKeyId': 'ASIAIMDS000000000000', 'SecretAccessKey': 'imdssecret',
                          'Token': 'imdstoken', 'Expiration': '2099-01-01T00:00:00Z'}
        return [
            {'match': {'method': 'PUT', 'path': '/latest/api/token',
                       'header': {'x-aws-ec2-metadata-token-ttl-seconds': '21600'}},
             'responses': [{'body': token}]},
            {'match': {'method': 'GET', 'path': '/latest/meta-data/iam/security-credentials/',
                       'header': {'x-aws-ec2-metadata-token': token}},
             'responses': [{'body': role}]},
            {'match': {'method': 'GET', 'path': '/latest/meta-data/iam/security-credentials/' + role,
                       'header': {'x-aws-ec2-metadata-token': token}},
             'responses': [{'json': creds, 'headers': {'Content-Type': 'text/plain'}}]},
            {'match': {'method': 'GET', 'path': '/latest/meta-data/placement/region',
                       'header': {'x-aws-ec2-metadata-token': token}},
             'responses': [{'body': 'ap-southeast-2'}]},
        ]

    def test_imds(self):
        self.secret('IMDSV2SESSIONTOKEN', 'imdssecret', 'imdstoken')
        f = self.fake(self.imds_rules() + [gci_rule('arn:aws:sts::%s:assumed-role/authlog-node-role/i-0abc'
                                                    % ACCOUNT)],
                      verify=['ASIAIMDS000000000000:imdssecret:imdstoken'])
        self.files()
        del self.env['AWS_EC2_METADATA_DISABLED']
        self.env.update(AWS_ENDPOINT_URL_STS=f.url, AWS_REGION='eu-west-1',
                        AWS_EC2_METADATA_SERVICE_ENDPOINT=f.url + '/')
        r = self.whoami()
        self.assertEqual(r.rc, EX_OK, r)
        self.assert_local_part(r, 'imds', 'ASIAIMDS000000000000')
        self.assertEqual(r.field('iam arn'), 'arn:aws:iam::%s:role/authlog-node-role' % ACCOUNT)
        paths = [(e['method'], e['path']) for e in f.log() if e['path'].startswith('/latest/')]
        self.assertEqual(paths, [('PUT', '/latest/api/token'),
                                 ('GET', '/latest/meta-data/iam/security-credentials/'),
                                 ('GET', '/latest/meta-data/iam/security-credentials/authlog-node-role')])
        for e in f.log():
            if e['path'].startswith('/latest/'):
                self.assertEqual(e['status'], 200, e)

    def test_imds_region(self):
        """No region configured anywhere: the instance's region from IMDS."""
        self.secret('IMDSV2SESSIONTOKEN', 'imdssecret', 'imdstoken')
        f = self.fake(self.imds_rules() + [gci_rule('arn:aws:sts::%s:assumed-role/authlog-node-role/i-0abc'
                                                    % ACCOUNT)],
                      verify=['ASIAIMDS000000000000:imdssecret:imdstoken'])
        self.files()
        del self.env['AWS_EC2_METADATA_DISABLED']
        self.env.update(AWS_ENDPOINT_URL_STS=f.url, AWS_EC2_METADATA_SERVICE_ENDPOINT=f.url)
        r = self.whoami()
        self.assertEqual(r.rc, EX_OK, r)
        self.assertEqual(r.field('region'), 'ap-southeast-2 (imds)')
        self.assertIn('/ap-southeast-2/sts/aws4_request', header(f.requests('GetCallerIdentity')[0], 'Authorization'))

    def test_imds_v1_fallback(self):
        self.secret('imdssecret', 'imdstoken')
        rules = [{'match': {'method': 'PUT', 'path': '/latest/api/token'}, 'responses': [{'status': 405}]}]
        rules += [{'match': {'method': 'GET', 'path': r['match']['path'], 'header': {'x-aws-ec2-metadata-token': None}},
                   'responses': r['responses']} for r in self.imds_rules()[1:3]]
        f = self.fake(rules + [gci_rule('arn:aws:sts::%s:assumed-role/authlog-node-role/i' % ACCOUNT)],
                      verify=['ASIAIMDS000000000000:imdssecret:imdstoken'])
        self.files()
        del self.env['AWS_EC2_METADATA_DISABLED']
        self.env.update(AWS_ENDPOINT_URL_STS=f.url, AWS_REGION='eu-west-1', AWS_EC2_METADATA_SERVICE_ENDPOINT=f.url)
        r = self.whoami()
        self.assertEqual(r.rc, EX_OK, r)
        self.assertEqual(r.field('credentials'), 'imds')
        # and refused when IMDSv1 is disabled
        self.env['AWS_EC2_METADATA_V1_DISABLED'] = 'true'
        r = self.whoami()
        self.assertEqual(r.rc, 69, r)
        self.assertIn('IMDSv1 is disabled', r.err)

    def test_imds_silent_means_no_credentials(self):
        """A PUT nobody answers (EKS pod with hop limit 1): fast 'no credentials'."""
        from credsutil import free_port
        self.files()
        del self.env['AWS_EC2_METADATA_DISABLED']
        self.env.update(AWS_REGION='eu-west-1',
                        AWS_EC2_METADATA_SERVICE_ENDPOINT='http://127.0.0.1:%d' % free_port())
        t = time.time()
        r = self.whoami()
        self.assertLess(time.time() - t, 10)
        self.assertEqual(r.rc, 78, r)
        self.assertIn('no AWS credentials', r.err)
        self.assertIn('IMDS', r.err)


if __name__ == '__main__':
    main()
