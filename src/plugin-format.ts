/**
 * An ES module plugin (`import`/`export` in a `.js` file) inside a CommonJS project: Node reads
 * every `.js` there as CommonJS (the nearest package.json says `"type": "commonjs"`, as
 * `npm init -y` writes, or nothing), so `import` is a syntax error. Node 22 detects such syntax
 * for packages without a `type`; Node 20 does not, and an explicit `"type": "commonjs"` stops
 * detection on any version. {@link importAsModule} imports the file the user named as an ES
 * module instead, through a load hook (`module.register`) that applies only to that file and to
 * the files it imports by relative paths (outside node_modules), and only when Node would
 * read them as CommonJS but they hold ES module syntax: a CommonJS file stays CommonJS.
 */
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** The query that marks a URL for the hook. It shows in the plugin's `import.meta.url`. */
export const ESM_MARK = 'autojoin-esm-plugin';

/** What only ES module syntax gives when compiled as a CommonJS function body. */
const ESM_ONLY = /Cannot use import statement outside a module|Unexpected token 'export'|Cannot use 'import\.meta' outside a module/;

/**
 * The hooks, as a module of their own (a data: URL, so it loads the same from src/ under tsx and
 * from dist/). Syntax detection compiles the source as a CommonJS function body and looks for
 * the errors only ES module syntax gives, the test Node 22's `--experimental-detect-module` makes.
 */
const HOOKS = `
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
const MARK = ${JSON.stringify(ESM_MARK)};
const ESM_ONLY = new RegExp(${JSON.stringify(ESM_ONLY.source)});
const marked = (url) => { try { return new URL(url).searchParams.has(MARK); } catch { return false; } };
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const parent = context.parentURL;
  // What a marked file imports by a relative path, outside node_modules, is the plugin's own: marked too.
  if (parent && marked(parent) && result.url.startsWith('file:') && !marked(result.url)
      && /^\\.\\.?\\//.test(specifier) && !result.url.includes('/node_modules/')) {
    const url = new URL(result.url);
    url.searchParams.set(MARK, '');
    return { ...result, url: url.href };
  }
  return result;
}
export async function load(url, context, next) {
  const result = await next(url, context);
  if (!marked(url) || result.format !== 'commonjs') return result;
  const path = fileURLToPath(url);
  const source = result.source == null ? readFileSync(path, 'utf8') : String(result.source);
  try {
    vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: path });
    return result;
  } catch (error) {
    if (!(error instanceof SyntaxError) || !ESM_ONLY.test(error.message)) return result;
  }
  return { format: 'module', source, shortCircuit: true };
}
`;

/** The `type` of the package.json nearest to `file` (`commonjs` when there is none, as in Node). */
function packageType(file: string): string {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const type = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type?: unknown }).type;
      return type === 'module' ? 'module' : 'commonjs';
    } catch (error) {
      // No package.json here (or not one Node could read either): look further up.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return 'commonjs';
    }
    if (path.dirname(dir) === dir) return 'commonjs';
  }
}

/**
 * Whether Node would read the `.js` file `file` as CommonJS although it holds ES module syntax
 * (`import`, `export`, `import.meta`). False for an unreadable file: the import then says why.
 */
export function esmInCommonJs(file: string): boolean {
  if (packageType(file) === 'module') return false;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  try {
    vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
    return false;
  } catch (error) {
    return error instanceof SyntaxError && ESM_ONLY.test(error.message);
  }
}

let registered = false;

/**
 * Imports `url` (a file: URL) as an ES module if it holds ES module syntax where Node would read it
 * as CommonJS (so do the files it imports by relative paths); a CommonJS file loads as CommonJS.
 * The hook is registered on first use only.
 */
export async function importAsModule(url: string): Promise<Record<string, unknown>> {
  if (!registered) {
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
    registered = true;
  }
  const marked = new URL(url);
  marked.searchParams.set(ESM_MARK, '');
  return (await import(marked.href)) as Record<string, unknown>;
}
