/**
 * `npm run demo`: the main job, offline. Starts `discover sim` on the demo fleet as a separate
 * process, reads the settings it prints, and runs `discover addrs` for each provider exactly as a
 * user pasting them would, showing the redacted config string, the addresses and the time taken.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Discover } from './discover.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli', 'main.js');

interface Block {
  provider: string;
  env: Record<string, string>;
  config: string;
}

/** Undoes the sim's POSIX single-quoting (`'a'\''b'` -> `a'b`). */
function shellUnquote(text: string): string {
  let out = '';
  const re = /'([^']*)'|\\(.)|([^'\\]+)/g;
  for (const m of text.matchAll(re)) out += m[1] ?? m[2] ?? m[3] ?? '';
  return out;
}

function parsePaste(text: string): { common: Record<string, string>; blocks: Block[] } {
  const common: Record<string, string> = {};
  const blocks: Block[] = [];
  let current: Record<string, string> = common;
  let provider = '';
  for (const line of text.split('\n')) {
    const header = /^# (\S+)$/.exec(line);
    if (header && header[1] !== 'every') {
      provider = header[1] as string;
      current = {};
    }
    const exported = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (exported) current[exported[1] as string] = shellUnquote(exported[2] as string);
    const command = /^(?!#|export )\S.*? addrs (.*)$/.exec(line);
    if (command) blocks.push({ provider, env: current, config: shellUnquote(command[1] as string) });
  }
  return { common, blocks };
}

function startSim(): Promise<{ child: ChildProcess; paste: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'sim', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let idle: NodeJS.Timeout | undefined;
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      clearTimeout(idle);
      // The sim prints its settings in one go and then serves; a short quiet spell means it is done.
      idle = setTimeout(() => resolve({ child, paste: out }), 150);
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
  const { common, blocks } = parsePaste(paste);
  const header = paste.split('\n')[0] ?? '';
  // The sim's own banner says Ctrl-C stops it; the demo stops it itself when done.
  console.log(`autojoin demo: ${header.replace(/^# /, '').replace(/\s*Ctrl-C stops it\.$/, '')}`);
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
