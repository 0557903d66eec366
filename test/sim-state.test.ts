// Where `discover sim` keeps its CA (private key included): the user's state folder, private modes,
// never the folder the user happens to be in (issue 8 item 20).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { defaultSimDir, ensureCa } from '../src/sim/ca.js';
import { CLI, childEnv } from './helpers/cli.js';

function tempDir(t: import('ava').ExecutionContext, prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const mode = (file: string) => statSync(file).mode & 0o777;

test('defaultSimDir: AUTOJOIN_SIM_DIR, else an absolute XDG_STATE_HOME, else ~/.local/state; never the cwd', (t) => {
  t.is(defaultSimDir({ AUTOJOIN_SIM_DIR: '/x/sim', XDG_STATE_HOME: '/s', HOME: '/h' }), '/x/sim');
  t.is(defaultSimDir({ XDG_STATE_HOME: '/s', HOME: '/h' }), '/s/autojoin/sim');
  // The XDG spec: a relative path in an XDG variable is invalid and ignored.
  t.is(defaultSimDir({ XDG_STATE_HOME: 'rel', HOME: '/h' }), '/h/.local/state/autojoin/sim');
  t.is(defaultSimDir({ HOME: '/h' }), '/h/.local/state/autojoin/sim');
  t.false(defaultSimDir({ HOME: '/h' }).startsWith(process.cwd()));
});

test('ensureCa: a folder it creates is 0700, both files 0600, ca.pem ends with a newline', async (t) => {
  const root = tempDir(t, 'autojoin-ca-');
  const dir = path.join(root, 'state', 'autojoin', 'sim');
  const ca = await ensureCa(dir);
  t.true(ca.created);
  t.is(mode(dir), 0o700);
  t.is(mode(ca.caPath), 0o600);
  t.is(mode(path.join(dir, 'ca-key.pem')), 0o600);
  t.true(readFileSync(ca.caPath, 'utf8').endsWith('-----END CERTIFICATE-----\n'));
  t.true(readFileSync(path.join(dir, 'ca-key.pem'), 'utf8').endsWith('\n'));
});

test('discover sim keeps its CA in ~/.local/state/autojoin/sim, prints where, and writes nothing to the cwd', async (t) => {
  const home = tempDir(t, 'autojoin-home-');
  const cwd = tempDir(t, 'autojoin-cwd-');
  const env = { ...childEnv({ HOME: home }), AUTOJOIN_SIM_DIR: undefined, XDG_STATE_HOME: undefined };
  const child = spawn(process.execPath, [CLI, 'sim', '--port', '0'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
      if (/addrs 'provider=gce/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`discover sim exited ${code} before printing: ${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  t.is(await exited, 0);
  const dir = path.join(home, '.local', 'state', 'autojoin', 'sim');
  t.true(out.includes(`# state (CA certificate and private key, mode 0700): ${dir}\n`), out);
  t.true(out.includes(`export NODE_EXTRA_CA_CERTS=${path.join(dir, 'ca.pem')}\n`), out);
  t.is(mode(dir), 0o700);
  t.is(mode(path.join(dir, 'ca-key.pem')), 0o600);
  t.deepEqual(readdirSync(cwd), [], 'nothing written to the current folder');
  t.false(existsSync(path.join(cwd, '.sim')));
});
