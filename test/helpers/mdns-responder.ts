/**
 * A real mDNS responder for the mdns tests, run as a child process inside the test's network
 * namespace: `node --import tsx test/helpers/mdns-responder.ts '<ResponderConfig JSON>'`.
 * Answers on the IPv4 and IPv6 groups of one interface with `multicast-dns` in responder mode.
 * Prints `ready` once both sockets listen, then one JSON line per query heard.
 */
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import multicastDns from 'multicast-dns';
import type { Answer, Question } from 'dns-packet';

export interface ResponderInstance {
  /** Full instance name, e.g. `node1._nomad._tcp.local`. */
  instance: string;
  /** The service it belongs to, e.g. `_nomad._tcp.local`. */
  service: string;
  host: string;
  port: number;
  a?: string[];
  aaaa?: string[];
}

export interface ResponderConfig {
  interface: string;
  instances: ResponderInstance[];
  /** Answer PTR questions with the PTR alone; SRV, A and AAAA only when asked for by name. */
  split?: boolean;
  /** Answer only on these groups. @default both */
  families?: Array<4 | 6>;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ResponderConfig;
const families = config.families ?? [4, 6];
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const v4Address = networkInterfaces()[config.interface]?.find((a) => a.family === 'IPv4')?.address;

function addressRecords(host: string): Answer[] {
  const records: Answer[] = [];
  for (const inst of config.instances.filter((i) => same(i.host, host))) {
    for (const a of inst.a ?? []) records.push({ name: inst.host, type: 'A', ttl: 120, data: a });
    for (const a of inst.aaaa ?? []) records.push({ name: inst.host, type: 'AAAA', ttl: 120, data: a });
  }
  return records;
}

function instanceRecords(inst: ResponderInstance): Answer[] {
  return [
    { name: inst.instance, type: 'SRV', ttl: 120, data: { target: inst.host, port: inst.port, priority: 0, weight: 0 } },
    { name: inst.instance, type: 'TXT', ttl: 120, data: ['autojoin=test'] },
  ];
}

function answer(question: Question): { answers: Answer[]; additionals: Answer[] } {
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  for (const inst of config.instances) {
    if (question.type === 'PTR' && same(question.name, inst.service)) {
      answers.push({ name: inst.service, type: 'PTR', ttl: 120, data: inst.instance });
      if (!config.split) additionals.push(...instanceRecords(inst), ...addressRecords(inst.host));
    } else if (question.type === 'SRV' && same(question.name, inst.instance)) {
      answers.push(...instanceRecords(inst));
      if (!config.split) additionals.push(...addressRecords(inst.host));
    }
  }
  if ((question.type === 'A' || question.type === 'AAAA') && config.instances.some((i) => same(i.host, question.name))) {
    answers.push(...addressRecords(question.name).filter((r) => r.type === question.type));
  }
  return { answers, additionals };
}

const responders = families.map((family) => {
  const responder =
    family === 4
      ? multicastDns({
          type: 'udp4',
          interface: v4Address,
          bind: '0.0.0.0',
          socket: createSocket({ type: 'udp4', reuseAddr: true }),
        })
      : multicastDns({
          type: 'udp6',
          ip: 'ff02::fb',
          interface: `::%${config.interface}`,
          bind: '::',
          socket: createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true }),
        });
  responder.on('error', (err: Error) => {
    console.error(`responder IPv${family}: ${err.message}`);
    process.exit(1);
  });
  responder.on('warning', (err: Error) => console.error(`responder IPv${family} warning: ${err.message}`));
  responder.on('query', (query) => {
    const questions = query.questions.map((q) => ({ name: q.name, type: q.type }));
    console.log(JSON.stringify({ family, questions }));
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    for (const question of query.questions) {
      const reply = answer(question);
      answers.push(...reply.answers);
      additionals.push(...reply.additionals);
    }
    if (answers.length > 0) responder.respond({ answers, additionals });
  });
  return new Promise<void>((resolve) => responder.once('ready', () => resolve()));
});

await Promise.all(responders);
console.log('ready');
// Runs until the test kills it.
