// A CDK CLI credential plugin for the deploy rehearsal: hands the CLI the credentials the rehearsal
// obtained in each account (REHEARSAL_CREDENTIALS, JSON keyed by account), so that one
// `cdk bootstrap` run bootstraps every account and region at once, as a platform engineer's
// credential plugin would. Deploys do not load it: they assume the bootstrap roles.
'use strict';

const credentials = JSON.parse(process.env.REHEARSAL_CREDENTIALS || '{}');

module.exports = {
  version: '1',
  init(host) {
    host.registerCredentialProviderSource({
      name: 'estate-rehearsal',
      isAvailable: async () => true,
      canProvideCredentials: async (account) => account in credentials,
      getProvider: async (account) => credentials[account],
    });
  },
};
