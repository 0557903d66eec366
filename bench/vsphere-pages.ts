// Claim: provider=vsphere's reader builds only what it reads of a guest.net page (GUEST_NET_READ),
// and that costs less CPU than building each page's whole tree, the parse and its checks being the
// same. Ten pages of 1,000 VMs in the recorded answer's form (bench/vsphere-pages-child.mjs), read
// in a fresh process per run (a lookup's first pages: nothing optimized, the heap growing), the
// two modes interleaved. Baseline: the same reader without its filter, same run. Medians of
// BENCH_VSPHERE_RUNS (default 10). Every run must read 10,000 VMs and keep 20,000 addresses.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { median, ROOT } from './lib.js';

const RUNS = Number(process.env.BENCH_VSPHERE_RUNS ?? 10);
const CHILD = path.join(ROOT, 'bench/vsphere-pages-child.mjs');

interface Read {
  cpuMs: number;
  vms: number;
  kept: number;
  pageBytes: number;
}

function read(mode: 'filtered' | 'whole'): Read {
  const result = spawnSync(process.execPath, [CHILD, mode], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${mode}: exited ${result.status}: ${result.stderr}`);
  const out = JSON.parse(result.stdout) as Read;
  if (out.vms !== 10_000 || out.kept !== 20_000) throw new Error(`${mode}: read ${out.vms} VMs and ${out.kept} addresses, not 10,000 and 20,000`);
  return out;
}

const samples: Record<'filtered' | 'whole', number[]> = { filtered: [], whole: [] };
read('filtered');
read('whole');
for (let i = 0; i < RUNS; i++) {
  samples.filtered.push(read('filtered').cpuMs);
  samples.whole.push(read('whole').cpuMs);
}
const pageBytes = read('filtered').pageBytes;
const filtered = median(samples.filtered);
const whole = median(samples.whole);
console.log(
  `vsphere-pages: ten guest.net pages of 1,000 VMs (${Math.round(pageBytes / 1024)} KB each), read in a fresh process, CPU of the reading, median of ${RUNS}`,
);
console.log(`  whole tree (baseline)          ${whole.toFixed(1)} ms`);
console.log(`  only what is read (the filter) ${filtered.toFixed(1)} ms   ${(filtered / whole).toFixed(2)}x`);
console.log(`every run read 10,000 VMs and kept 20,000 addresses: ${filtered < whole ? 'the filter costs less' : 'the filter does NOT cost less'}`);
