// esbuild plugin for scripts/bundle-providers.mjs: an import through a package's "barrel" (a file
// made only of `export ... from` lines, such as @smithy/core's submodule index.js files) is
// pointed at the modules that define the names it imports.
//
// Why: esbuild places a module in a chunk by which entry points reach its FILE through any import,
// used or not (esbuild's `markFileReachableForCodeSplitting`), and keeps code by use. A barrel that
// re-exports every module of a package thus makes each of them "reachable" from every entry that
// imports anything through it: a module kept only for a lazily imported entry (the JSON protocols
// of the STS and SSO clients behind the AWS credential chain) lands in a chunk the main entry
// loads, and every lookup compiles it. Imported from where they are defined, the same bindings
// (ES module exports are live either way) reach the chunks by what each entry uses.
//
// What importing the barrel also did is kept: every module it re-exports that may have side
// effects (its package's `sideEffects` is not false, or lists it) gets a bare import in its place.
// A name that cannot be traced (re-exported by `export *` from a module that itself uses
// `export *`, or found twice) stays imported through the barrel: correct, only not smaller.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as acorn from 'acorn';

const parse = (text) => acorn.parse(text, { ecmaVersion: 'latest', sourceType: 'module' });
const nameOf = (node) => node.name ?? node.value;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Whether a node of a module's body is an `export { ... } from` or `export * from` (a barrel's only kind). */
const reExport = (node) =>
  (node.type === 'ExportNamedDeclaration' && node.source && !node.declaration) || (node.type === 'ExportAllDeclaration' && !node.exported);

export function flattenBarrels() {
  return {
    name: 'flatten-barrels',
    setup(build) {
      const packages = new Map(); // folder -> { dir, json } | null
      const infos = new Map(); // file -> Promise<Info>
      const settled = new Map(); // file -> Info
      const tables = new Map(); // barrel file -> { names, ambiguous, effects } | null

      const resolve = async (spec, fromDir) => {
        const result = await build.resolve(spec, { resolveDir: fromDir, kind: 'import-statement' });
        return result.errors.length || result.external ? undefined : result.path;
      };

      /** Whether evaluating this module could do something besides defining its exports. */
      const mayHaveEffects = (file) => {
        const pkg = packageOf(file, packages);
        const flag = pkg?.json.sideEffects;
        if (flag === false) return false;
        return Array.isArray(flag) ? listed(flag, pkg.dir, file) : true;
      };

      /**
       * One file's facts, read on its own (never waiting on another file's, so concurrent loads
       * cannot wait on each other): a barrel's re-exports with their resolved targets, or a
       * module's own export names (null when it has an `export *`).
       */
      const info = (file) => {
        if (!infos.has(file)) {
          infos.set(
            file,
            read(file).then((value) => {
              settled.set(file, value);
              return value;
            }),
          );
        }
        return infos.get(file);
      };
      const read = async (file) => {
        let body;
        try {
          body = parse(readFileSync(file, 'utf8')).body;
        } catch {
          return { barrel: false, exports: null };
        }
        if (body.length && body.every(reExport)) {
          const targets = await Promise.all(body.map((node) => resolve(node.source.value, path.dirname(file))));
          return { barrel: !targets.includes(undefined), body, targets };
        }
        let exports = new Set();
        for (const node of body) {
          if (node.type === 'ExportAllDeclaration' && !node.exported) exports = null;
          else if (node.type === 'ExportAllDeclaration') exports?.add(nameOf(node.exported));
          else if (node.type === 'ExportDefaultDeclaration') exports?.add('default');
          else if (node.type === 'ExportNamedDeclaration') {
            if (node.declaration?.id) exports?.add(node.declaration.id.name);
            for (const d of node.declaration?.declarations ?? []) if (d.id.type === 'Identifier') exports?.add(d.id.name);
            for (const s of node.specifiers) exports?.add(nameOf(s.exported));
          }
        }
        return { barrel: false, exports };
      };

      /** Waits until every file a barrel reaches through re-exports has been read. */
      const readAll = async (file) => {
        const seen = new Set();
        const queue = [file];
        while (queue.length) {
          const next = queue.pop();
          if (seen.has(next)) continue;
          seen.add(next);
          const facts = await info(next);
          if (facts.barrel) queue.push(...facts.targets);
        }
      };

      /** A barrel's table (name -> the defining file and its name there), from settled facts; null if not a barrel. */
      const table = (file, stack = new Set()) => {
        if (tables.has(file)) return tables.get(file);
        const facts = settled.get(file);
        if (!facts?.barrel || stack.has(file)) return null;
        stack.add(file);
        const names = new Map();
        const ambiguous = new Set();
        const effects = new Set();
        const add = (name, target) => {
          const had = names.get(name);
          if (had && (had.file !== target.file || had.name !== target.name)) ambiguous.add(name);
          else names.set(name, target);
        };
        let usable = true;
        facts.body.forEach((node, i) => {
          const target = facts.targets[i];
          const inner = table(target, stack);
          if (inner) for (const e of inner.effects) effects.add(e);
          else if (mayHaveEffects(target)) effects.add(target);
          if (node.type === 'ExportNamedDeclaration') {
            for (const s of node.specifiers) {
              const local = nameOf(s.local);
              const via = inner ? inner.names.get(local) : { file: target, name: local };
              if (via) add(nameOf(s.exported), via);
              else ambiguous.add(nameOf(s.exported));
            }
          } else if (inner) {
            for (const [name, via] of inner.names) if (name !== 'default') add(name, via);
            for (const name of inner.ambiguous) ambiguous.add(name);
          } else {
            const own = settled.get(target)?.exports;
            if (!own) usable = false;
            else for (const name of own) if (name !== 'default') add(name, { file: target, name });
          }
        });
        stack.delete(file);
        for (const name of ambiguous) names.delete(name);
        const result = usable ? { names, ambiguous, effects: [...effects] } : null;
        tables.set(file, result);
        return result;
      };

      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.m?js$/ }, async (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('from')) return undefined;
        let body;
        try {
          body = parse(text).body;
        } catch {
          return undefined;
        }
        const edits = [];
        for (const node of body) {
          const isImport = node.type === 'ImportDeclaration';
          const named = isImport
            ? node.specifiers.length > 0 && node.specifiers.every((s) => s.type === 'ImportSpecifier')
            : reExport(node) && node.type === 'ExportNamedDeclaration';
          // A string name (`export { "a-b" as x }`) would need quoting in the rewrite: left as it is.
          if (!named || node.specifiers.some((s) => [s.local, s.imported, s.exported].some((n) => n && !IDENTIFIER.test(nameOf(n))))) continue;
          const target = await resolve(node.source.value, path.dirname(args.path));
          if (!target) continue;
          await readAll(target);
          const map = table(target);
          if (!map) continue;
          const through = [];
          const direct = new Map();
          for (const s of node.specifiers) {
            const imported = nameOf(isImport ? s.imported : s.local);
            const alias = nameOf(isImport ? s.local : s.exported);
            const clause = (name) => (name === alias ? name : `${name} as ${alias}`);
            const via = map.names.get(imported);
            if (!via) through.push(clause(imported));
            else {
              if (!direct.has(via.file)) direct.set(via.file, []);
              direct.get(via.file).push(clause(via.name));
            }
          }
          const word = isImport ? 'import' : 'export';
          const parts = map.effects.map((file) => `import ${JSON.stringify(file)};`);
          for (const [file, clauses] of direct) parts.push(`${word} { ${clauses.join(', ')} } from ${JSON.stringify(file)};`);
          if (through.length) parts.push(`${word} { ${through.join(', ')} } from ${JSON.stringify(node.source.value)};`);
          edits.push([node.start, node.end, parts.join(' ')]);
        }
        if (!edits.length) return undefined;
        let out = text;
        for (const [start, end, replacement] of edits.reverse()) out = out.slice(0, start) + replacement + out.slice(end);
        return { contents: out, loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

/** The nearest package.json with a name above a file, and its folder. */
function packageOf(file, cache) {
  const seen = [];
  let dir = path.dirname(file);
  let found;
  for (;;) {
    if (cache.has(dir)) {
      found = cache.get(dir);
      break;
    }
    seen.push(dir);
    try {
      const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (json.name !== undefined) {
        found = { dir, json };
        break;
      }
    } catch {
      // no package.json here
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const d of seen) cache.set(d, found ?? null);
  return found ?? null;
}

/**
 * Whether a package's `sideEffects` list names a file: paths relative to the package, `*` and `**`
 * globs, and a pattern without a `/` matching the file's name in any folder (as webpack reads it).
 */
function listed(list, dir, file) {
  const relative = path.relative(dir, file).split(path.sep).join('/');
  return list.some((pattern) => {
    const p = pattern.includes('/') ? pattern.replace(/^\.\//, '') : `**/${pattern}`;
    if (!p.includes('*')) return p === relative || `${p}.js` === relative;
    const glob = p
      .split('**/')
      .map((part) => part.split('*').map(escapeRegExp).join('[^/]*'))
      .join('(?:.*/)?');
    return new RegExp(`^${glob}$`).test(relative);
  });
}

const escapeRegExp = (text) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
