// A real OpenID Connect provider for the browser tests (npm `oidc-provider`), configured as
// ProConnect answers: the user info carries `email`, `given_name`, `usual_name` and `siret`.
// Environment: LOGIS_REDIRECT (logis's redirect URI), LOGIS_OIDC_SECRET (the client's secret),
// LOGIS_OIDC_ACCOUNTS (JSON: login → claims). Prints "issuer URL" once listening. Its built-in
// development pages ask for a login (any password) and the consent. `GET /test/falsifier?on=1`
// makes the token endpoint hand out ID tokens whose payload was changed after signing (a
// tampered token: logis must refuse it); `?on=0` stops.
import Provider from 'oidc-provider';
import http from 'node:http';

const accounts = JSON.parse(process.env.LOGIS_OIDC_ACCOUNTS ?? '{}');
let tamper = false;

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'logis',
      client_secret: process.env.LOGIS_OIDC_SECRET,
      redirect_uris: [process.env.LOGIS_REDIRECT],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'given_name', 'usual_name', 'siret'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    siret: ['siret'],
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['cle-de-test-seulement'] },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, email_verified: true, ...claims }; } };
  },
});
provider.proxy = false;
provider.use(async (ctx, next) => {
  if (ctx.path === '/test/falsifier') {
    tamper = ctx.query.on === '1';
    ctx.body = { falsifier: tamper };
    return;
  }
  await next();
  if (tamper && ctx.path === '/token' && ctx.body && ctx.body.id_token) {
    const [head, payload, signature] = ctx.body.id_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.sub = 'quelqu-un-d-autre';
    ctx.body = { ...ctx.body, id_token: [head, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.') };
  }
});
server.on('request', provider.callback());
console.log(`issuer ${issuer}`);
