// The peer for scripts/bench: panva's oidc-provider (OpenID-certified, Node), in-memory
// storage, configured like Gatehouse for the measured flows: one confidential client
// (client_secret_basic) with authorization_code + PKCE, refresh tokens, client credentials
// with JWT RS256 access tokens through a resource indicator, introspection and revocation.
// The account store is a fixed user; the dev interactions accept any login (the peer hashes
// no passwords, so it has no password-login figure).
//
//   PORT=9100 BENCH_CLIENT_ID=... BENCH_CLIENT_SECRET=... BENCH_REDIRECT_URI=... node server.mjs
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 9100);
const issuer = `http://127.0.0.1:${port}`;
const resource = 'urn:gatehouse:bench';

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.BENCH_CLIENT_ID || 'bench',
    client_secret: process.env.BENCH_CLIENT_SECRET || 'bench-secret',
    redirect_uris: [process.env.BENCH_REDIRECT_URI || 'http://127.0.0.1:9/cb'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid email profile offline_access api:read',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'offline_access', 'api:read'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount(_ctx, id) {
    return { accountId: id, async claims() { return { sub: id, email: `${id}@example.com`, email_verified: true, name: id }; } };
  },
  // A first-party client: no consent screen once signed in (as Gatehouse's clients).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile offline_access');
    await grant.save();
    return grant;
  },
  issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, _client, oneOf) => oneOf || undefined,
      useGrantedResource: () => false,
      getResourceServerInfo: () => ({ scope: 'api:read', audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
    },
  },
  ttl: { AccessToken: 3600, ClientCredentials: 3600, RefreshToken: 30 * 24 * 3600, Session: 14 * 24 * 3600 },
  rotateRefreshToken: true,
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => console.log(`peer listening on ${issuer}`));
