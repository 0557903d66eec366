/**
 * `npm run demo`: the main job, offline. Starts `discover sim` on the demo fleet as a separate
 * process, reads the settings it prints as JSON (`--format json`), and runs `discover addrs` for each provider exactly as a
 * user pasting them would, showing the redacted config string, the addresses and the time taken.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import './compose.js';
import { Discover } from '../src/discover.js';
import type { SimPasteData } from '../src/sim/paste.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'discover.js');

/** Starts `discover --format json sim` and reads the one line of settings it prints. */
function startSim(): Promise<{ child: ChildProcess; paste: SimPasteData }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, '--format', 'json', 'sim', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, paste: JSON.parse(out.slice(0, nl)) as SimPasteData });
    });
    child.once('exit', (code) => reject(new Error(`discover sim exited with ${code} before printing its settings`)));
    child.once('error', reject);
  });
}

function runAddrs(config: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, '-q', 'addrs', config], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, ms: performance.now() - started }));
  });
}

const { child, paste } = await startSim();
let failures = 0;
try {
  const { env: common, blocks } = paste;
  console.log(`autojoin demo: the simulator on ${paste.httpUrl} and ${paste.httpsUrl}`);
  console.log('Each provider runs as `discover -q addrs <config>` in its own process, with the settings the simulator printed.\n');
  const engine = new Discover();
  for (const block of blocks) {
    const env = { ...common, ...block.env };
    const checked = await engine.check(block.config, { env: { ...process.env, ...env } });
    const result = await runAddrs(block.config, env);
    console.log(`${block.provider}`);
    console.log(`  config   ${checked.redacted}`);
    if (result.code === 0) console.log(`  found    ${result.stdout.trim() || '(none)'}`);
    else {
      failures++;
      console.log(`  FAILED   exit ${result.code}: ${result.stderr.trim()}`);
    }
    console.log(`  time     ${result.ms.toFixed(0)} ms (whole process)\n`);
  }
  if (blocks.length === 0) {
    failures++;
    console.log('the simulator printed no provider settings');
  }
} finally {
  child.kill('SIGINT');
}
process.exitCode = failures ? 1 : 0;
