// Child of bench/vsphere-pages.ts: reads ten RetrievePropertiesEx pages of 1,000 VMs each with
// provider=vsphere's reader (dist/providers/vsphere/soap.js: parseEnvelope, then
// readRetrieveResult), in a fresh process, as a lookup's first pages are read. Mode `filtered`
// builds only what is read (GUEST_NET_READ, as the provider does); `whole` builds each page's whole
// tree (the reader without its filter). Each VM is the recorded answer's vm-42
// (providers/vsphere/fixtures/soap-retrieve-properties-ex.xml) with its own id and addresses.
// Prints one JSON line: the CPU time of the reading alone (pages made beforehand), and what it read.
import { readFileSync } from 'node:fs';
import { GUEST_NET_READ, parseEnvelope, readRetrieveResult } from '../dist/providers/vsphere/soap.js';
import { guestAddresses } from '../dist/providers/vsphere/extract.js';

const mode = process.argv[2];
if (mode !== 'filtered' && mode !== 'whole') throw new Error('mode: filtered or whole');
const recorded = readFileSync(new URL('../providers/vsphere/fixtures/soap-retrieve-properties-ex.xml', import.meta.url), 'utf8');
const vm = /<objects><obj type="VirtualMachine">vm-42<\/obj>.*?<\/objects>/.exec(recorded)?.[0];
if (!vm) throw new Error('the recorded answer has no vm-42');
const [head, tail] = recorded.split(/<returnval>.*<\/returnval>/s);
const PAGES = 10;
const PER_PAGE = 1000;
const pages = [];
for (let p = 0; p < PAGES; p++) {
  let objects = '';
  for (let i = 0; i < PER_PAGE; i++) {
    const n = p * PER_PAGE + i;
    objects += vm
      .replace('vm-42', `vm-${100_000 + n}`)
      .replaceAll('192.168.122.87', `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`)
      .replaceAll('2001:db8:42::87', `2001:db8:42::${n.toString(16)}`);
  }
  pages.push(`${head}<returnval>${p < PAGES - 1 ? `<token>${p + 1}</token>` : ''}${objects}</returnval>${tail}`);
}

const filter = mode === 'filtered' ? GUEST_NET_READ : undefined;
const before = process.cpuUsage();
let vms = 0;
let kept = 0;
for (const page of pages) {
  const parsed = parseEnvelope(page, filter);
  if (typeof parsed === 'string') throw new Error(parsed);
  const result = readRetrieveResult(parsed.node);
  if (typeof result === 'string') throw new Error(result);
  for (const object of result.objects) {
    vms++;
    kept += guestAddresses(object.nics ?? []).kept.length;
  }
}
const used = process.cpuUsage(before);
console.log(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, vms, kept, pageBytes: pages[0].length }));
