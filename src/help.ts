/**
 * Help text and Markdown docs, generated from provider descriptors so that they cannot drift
 * from the code (`test/docs.test.ts` fails when a committed doc differs).
 */
import type { AnyProvider, ArgSpec } from './provider.js';
import { shellQuote } from './text.js';

/** The global part of `discover help`. Unlike go-discover's text, it does not claim values are URL encoded (they are not). */
export const GLOBAL_HELP = `The options for discovering ip addresses are provided as a
  single string value in "key=value key=value ..." format. Values
  are taken literally; double-quote a value that holds a space or
  an "=" (key="a b"), with Go escapes (\\" \\\\ \\n ...) inside quotes.

    provider=aws region=eu-west-1 ...

  The options are provider specific and are listed below.
`;

function describeType(spec: ArgSpec): string {
  switch (spec.type) {
    case 'enum':
      return spec.values.map((v) => `"${v}"`).join(', ');
    case 'bool':
      return 'true or false';
    case 'duration':
      return 'duration (Go syntax: 500ms, 5s, 1m30s)';
    case 'int':
      return 'integer';
    case 'list':
      return 'comma-separated list';
    case 'url':
      return 'URL';
    default:
      return 'string';
  }
}

function defaultText(spec: ArgSpec): string | undefined {
  if (spec.default === undefined) return undefined;
  if (Array.isArray(spec.default)) return spec.default.join(',');
  return String(spec.default);
}

/** One provider's section of `discover help`, go-discover style (`    key:    text`). */
export function providerHelp(provider: AnyProvider): string {
  const rows: Array<[string, string]> = [['provider', `"${provider.name}"`]];
  for (const [key, spec] of Object.entries(provider.args)) {
    const facts: string[] = [];
    if (spec.required) facts.push('Required.');
    const def = defaultText(spec);
    if (def !== undefined) facts.push(`Default: ${def}.`);
    if (spec.type === 'enum') facts.push(`One of ${describeType(spec)}.`);
    if (spec.env?.length) facts.push(`Env: ${spec.env.join(', ')}.`);
    if (spec.aliases?.length) facts.push(`Also accepted as: ${spec.aliases.join(', ')}.`);
    if (spec.secret) facts.push('Secret: never printed.');
    rows.push([key, [spec.help, ...facts].join(' ')]);
  }
  const width = Math.max(...rows.map(([key]) => key.length)) + 2;
  const lines = [`${provider.name}: ${provider.summary}`, ''];
  for (const [key, text] of rows) lines.push(`    ${`${key}:`.padEnd(width)} ${wrap(text, 72 - width).join(`\n     ${' '.repeat(width)}`)}`);
  if (provider.examples?.length) {
    lines.push('', '    Examples:');
    for (const example of provider.examples) lines.push(`      ${example}`);
  }
  for (const note of provider.notes ?? []) lines.push('', ...wrap(note, 76).map((line) => `    ${line}`));
  return `${lines.join('\n')}\n`;
}

/** Global help plus every provider's, one blank line between sections (as go-discover's `Help()`). */
export function fullHelp(providers: readonly AnyProvider[]): string {
  return [GLOBAL_HELP, ...[...providers].sort((a, b) => (a.name < b.name ? -1 : 1)).map(providerHelp)].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** `docs/providers/<name>.md`. */
export function providerMarkdown(provider: AnyProvider): string {
  const out: string[] = [
    `<!-- Generated from providers/${provider.name}/index.ts by \`npm run docs\`. Do not edit: test/docs.test.ts checks it. -->`,
    `# \`provider=${provider.name}\``,
    '',
    provider.summary,
    '',
  ];
  if (provider.examples?.length) {
    out.push('## Examples', '', '```sh');
    // One shell word: a value's double quotes (`tag_value="a b"`) reach the parser as typed.
    for (const example of provider.examples) out.push(`discover addrs ${shellQuote(example)}`);
    out.push('```', '');
  }
  out.push('## Arguments', '', '| key | type | required | default | env | help |', '| --- | --- | --- | --- | --- | --- |');
  for (const [key, spec] of Object.entries(provider.args)) {
    const names = [key, ...(spec.aliases ?? [])].map((k) => `\`${k}\``).join(', ');
    const def = defaultText(spec);
    out.push(
      `| ${names} | ${cell(describeType(spec))} | ${spec.required ? 'yes' : ''} | ${def === undefined ? '' : `\`${cell(def)}\``} | ${(spec.env ?? []).map((e) => `\`${e}\``).join(', ')} | ${cell(spec.help)}${spec.secret ? ' **Secret**: printed as `***`, never logged.' : ''} |`,
    );
  }
  out.push('');
  if (provider.notes?.length) {
    out.push('## Notes', '');
    for (const note of provider.notes) out.push(note, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The README's provider table: name, summary, link to the generated doc. */
export function providerTable(providers: readonly AnyProvider[]): string {
  const lines = ['| provider | what it finds | docs |', '| --- | --- | --- |'];
  for (const p of providers) lines.push(`| \`${p.name}\` | ${p.summary} | [docs/providers/${p.name}.md](docs/providers/${p.name}.md) |`);
  return lines.join('\n');
}
