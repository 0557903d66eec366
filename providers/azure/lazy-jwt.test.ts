/**
 * The azure bundle loads msal-node's jsonwebtoken on the first client-assertion signature instead
 * of at every start (`lazyJsonWebToken` in scripts/bundle-providers.mjs). msal-node's
 * ClientAssertion, bundled with that plugin as the azure bundle is, still signs a certificate
 * assertion that jsonwebtoken verifies, and its module no longer runs jsonwebtoken at load.
 * (No simulated flow signs: the simulator's Entra ID takes client secrets and federated tokens.)
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import * as esbuild from 'esbuild';

interface EsbuildPlugin {
  name: string;
  setup(build: esbuild.PluginBuild): void;
}
// The build script is a plain ES module (no types): imported by URL, typed here.
const { lazyJsonWebToken } = (await import(new URL('../../scripts/bundle-providers.mjs', import.meta.url).href)) as { lazyJsonWebToken: EsbuildPlugin };
const require = createRequire(import.meta.url);
const msalNode = path.dirname(require.resolve('@azure/msal-node/package.json'));

interface ClientAssertionClass {
  fromCertificate(thumbprint: string, privateKey: string): { getJwt(crypto: { createNewGuid(): string }, issuer: string, audience: string): string };
}

test("msal-node's ClientAssertion, bundled with jsonwebtoken loaded on first use, signs an assertion jsonwebtoken verifies", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-lazy-jwt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const entry = path.join(dir, 'entry.mjs');
  writeFileSync(entry, `export { ClientAssertion } from ${JSON.stringify(path.join(msalNode, 'dist/client/ClientAssertion.mjs'))};\n`);
  const outfile = path.join(dir, 'out.mjs');
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    // The ES module output needs a require for the CommonJS package it now loads on first use.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    plugins: [lazyJsonWebToken],
    logLevel: 'error',
  });
  const code = readFileSync(outfile, 'utf8');
  // jsonwebtoken's module runs inside the getter only, not when the bundle loads.
  t.regex(code, /\(jsonwebtoken \?\?= require_jsonwebtoken\(\)\)\.sign\(/);
  t.notRegex(code, /__toESM\(require_jsonwebtoken\(\)/);

  const { ClientAssertion } = (await import(pathToFileURL(outfile).href)) as { ClientAssertion: ClientAssertionClass };
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const assertion = ClientAssertion.fromCertificate('0a'.repeat(20), privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const jwt = assertion.getJwt({ createNewGuid: () => 'a-guid' }, 'client-id', 'https://login.example/tenant/oauth2/v2.0/token');
  const jsonwebtoken = require('jsonwebtoken') as { verify(token: string, key: unknown, options: object): Record<string, unknown> };
  // msal-common rounds "now" to the nearest second: its nbf may be half a second ahead of ours.
  const claims = jsonwebtoken.verify(jwt, publicKey, { algorithms: ['RS256'], clockTolerance: 1 });
  t.like(claims, { iss: 'client-id', sub: 'client-id', aud: 'https://login.example/tenant/oauth2/v2.0/token', jti: 'a-guid' });
});

test('the plugin fails the build when ClientAssertion no longer imports jsonwebtoken as expected', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-lazy-jwt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fake = path.join(dir, 'node_modules/@azure/msal-node/dist/client/ClientAssertion.mjs');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path.dirname(fake), { recursive: true });
  writeFileSync(fake, "import * as jwt from 'jsonwebtoken';\nexport const sign = (p, k) => jwt.sign(p, k);\n");
  await t.throwsAsync(
    esbuild.build({ entryPoints: [fake], bundle: true, write: false, format: 'esm', platform: 'node', plugins: [lazyJsonWebToken], logLevel: 'silent' }),
    {
      message: /no longer imports jsonwebtoken once for one jwt\.sign/,
    },
  );
});
