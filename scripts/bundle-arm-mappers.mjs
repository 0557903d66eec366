// The azure bundle's arm-network keeps the type mappers the provider's operation groups can reach,
// not all of them (scripts/bundle-providers.mjs uses the plugin; docs/performance.md has the
// measurements).
//
// Every arm-network operations file does `import * as Mappers from "../models/mappers.js"` and
// hands that whole namespace to `coreClient.createSerializer(Mappers)`, which looks mappers up by
// name as it reads an answer. A namespace used as a value cannot be tree-shaken, and most mappers
// spread a parent's properties (`...SubResource.type.modelProperties`), which esbuild keeps as a
// possible side effect: 902 mappers (850 KB of the azure client chunk) stayed for two operation
// groups. The bundle's copies of models/mappers.js and models/parameters.js hold only what the
// kept groups' operation specs (and the client's own) can reach, computed here from the package's
// files and checked by loading the result.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The package's ESM files the pruning reads. `settings` is SETTINGS.azure.armOperations of
 * scripts/bundle-providers.mjs: `{ package, file, keep }`. @returns { client, operations: { <group>:
 * { file, impl } }, mappers, parameters } (absolute paths)
 */
export function armFiles(settings) {
  const packageDir = fileURLToPath(import.meta.resolve(settings.package)).replace(/[\\/]dist[\\/].*$/, '');
  const client = path.join(packageDir, settings.file);
  const esm = path.dirname(client);
  const clientText = readFileSync(client, 'utf8');
  // The client builds each group as `this.<group> = new <Class>Impl(this)`; the class lives in operations/<group>.js.
  const operations = {};
  for (const group of settings.keep) {
    const built = clientText.match(new RegExp(`this\\.${group} =\\s*new (\\w+Impl)\\(this\\);`));
    if (!built) throw new Error(`bundle: ${settings.package}'s client no longer builds ${group} as new <Class>Impl(this)`);
    const file = path.join(esm, 'operations', `${group}.js`);
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`bundle: ${settings.package} has no operations/${group}.js`);
    }
    if (!text.includes(`export class ${built[1]} `)) throw new Error(`bundle: ${file} does not define ${built[1]}`);
    operations[group] = { file, impl: built[1] };
  }
  return { client, operations, mappers: path.join(esm, 'models', 'mappers.js'), parameters: path.join(esm, 'models', 'parameters.js') };
}

/**
 * The mapper names a file's operation specs give core-client's Serializer (`Mappers.X`: request
 * bodies, `bodyMapper`, `headersMapper`, the `default` error bodies) and the `Parameters.Y` they
 * use. Throws when the file uses its mappers namespace in any other way (the names would then
 * not be the whole list).
 */
function namesUsedBy(file) {
  const text = readFileSync(file, 'utf8');
  if (!/^import \* as Mappers from "\.\.?\/(models\/)?mappers\.js";$/m.test(text)) {
    throw new Error(`bundle: ${file} no longer imports its mappers as \`import * as Mappers\``);
  }
  const members = [...text.matchAll(/\bMappers\.([\w$]+)/g)].map((match) => match[1]);
  const serializers = text.match(/\bcoreClient\.createSerializer\(Mappers, \/\* isXml \*\/ false\)/g)?.length ?? 0;
  const uses = text.match(/\bMappers\b/g)?.length ?? 0;
  // One import, one serializer, and member reads: anything else (Mappers[x], a spread) could reach any mapper.
  if (serializers !== 1 || uses !== 2 + members.length) {
    throw new Error(`bundle: ${file} uses its Mappers namespace other than by \`Mappers.X\` and one createSerializer (${uses} uses)`);
  }
  const parameters = [...text.matchAll(/\bParameters\.([\w$]+)/g)].map((match) => match[1]);
  return { mappers: new Set(members), parameters: new Set(parameters) };
}

/**
 * The mappers core-client's serializer can look up while running the operation specs of
 * `files`, given the whole namespace `all` (models/mappers.js) and `parameters`
 * (models/parameters.js): the roots, then every `className` a mapper names (Composite types,
 * each property of `modelProperties`, `additionalProperties`, a Sequence's `element`, a
 * Dictionary's `value`), every `uberParent`, and for each polymorphic type T the entries `T` and
 * `T.<value>` of `discriminators` that core-client's getIndexDiscriminator may pick, followed the
 * same way (and their subtypes'). `cuts` (mapper name -> properties kept, see cutProperties): a
 * cut mapper's other properties are not followed. @returns { names, discriminators, parameters } sorted
 */
export function reachableMappers(all, parameters, files, cuts = {}) {
  const names = new Set();
  const discriminatorKeys = new Set();
  const usedParameters = new Set();
  const polymorphic = new Set();
  const pending = [];
  const reach = (name, from) => {
    if (names.has(name)) return;
    if (name === 'discriminators' || !Object.hasOwn(all, name)) {
      throw new Error(`bundle: ${from} names the mapper ${name}, which arm-network's models/mappers.js does not define`);
    }
    names.add(name);
    pending.push([all[name], name]);
  };
  const walk = (mapper, from) => {
    const type = mapper?.type;
    if (!type) return;
    if (type.name === 'Composite' && type.className) reach(type.className, from);
    if (type.uberParent) reach(type.uberParent, from);
    if (type.polymorphicDiscriminator || type.uberParent) polymorphic.add(type.uberParent ?? type.className);
    const cut = type.className !== undefined && Object.hasOwn(cuts, type.className) && mapper === all[type.className] ? cuts[type.className] : undefined;
    for (const [name, property] of Object.entries(type.modelProperties ?? {})) if (!cut || cut.includes(name)) walk(property, from);
    if (type.additionalProperties) walk(type.additionalProperties, from);
    if (type.element) walk(type.element, from);
    if (type.value) walk(type.value, from);
  };
  for (const file of files) {
    const used = namesUsedBy(file);
    for (const name of used.mappers) reach(name, path.basename(file));
    for (const name of used.parameters) {
      const parameter = parameters[name];
      if (!parameter?.mapper) throw new Error(`bundle: ${path.basename(file)} uses Parameters.${name}, which has no mapper in models/parameters.js`);
      usedParameters.add(name);
      walk(parameter.mapper, `Parameters.${name}`);
    }
  }
  const allDiscriminators = all.discriminators ?? {};
  const doneTypes = new Set();
  while (pending.length > 0 || doneTypes.size < polymorphic.size) {
    while (pending.length > 0) walk(...pending.pop());
    for (const type of polymorphic) {
      if (doneTypes.has(type)) continue;
      doneTypes.add(type);
      for (const [key, mapper] of Object.entries(allDiscriminators)) {
        if (key !== type && !key.startsWith(`${type}.`)) continue;
        const name = mapper?.type?.className;
        if (!name || all[name] !== mapper) throw new Error(`bundle: discriminators["${key}"] is not the mapper its className names`);
        discriminatorKeys.add(key);
        reach(name, `discriminators["${key}"]`);
        // getIndexDiscriminator goes on to the subtypes of a subtype.
        polymorphic.add(name);
      }
    }
  }
  return { names: [...names].sort(), discriminators: [...discriminatorKeys].sort(), parameters: [...usedParameters].sort() };
}

/**
 * Checks `cuts` (mapper name -> the properties a provider reads, providers/azure/fields.ts) against
 * the package's mappers, and returns the statement that applies them in the bundle's mappers.js:
 * each cut mapper's `modelProperties` replaced by those properties, in the file's order. It runs
 * after every statement, so the mappers that spread a cut one's properties keep them all.
 */
export function cutProperties(all, cuts) {
  const entries = Object.entries(cuts);
  for (const [name, properties] of entries) {
    const model = all[name]?.type;
    if (model?.name !== 'Composite' || !model.modelProperties) throw new Error(`bundle: arm-network has no composite mapper ${name} to cut`);
    for (const property of properties)
      if (!Object.hasOwn(model.modelProperties, property)) throw new Error(`bundle: arm-network's mapper ${name} has no property ${property}`);
  }
  if (entries.length === 0) return '';
  const list = entries.map(([name, properties]) => `    [${name}, ${JSON.stringify(properties)}],\n`).join('');
  return [
    '// autojoin: the properties the provider reads (scripts/bundle-arm-mappers.mjs, cutProperties).\n',
    `for (const [mapper, kept] of [\n${list}]) {\n`,
    '    mapper.type.modelProperties = Object.fromEntries(Object.entries(mapper.type.modelProperties).filter(([name]) => kept.includes(name)));\n',
    '}\n',
  ].join('');
}

/**
 * A generated file of `export const <name> = ...;` statements, split: `head` (comments, imports),
 * each statement by name, `tail` (the source map comment). Throws unless the file is exactly
 * that, one statement per export of `module` (its evaluated exports).
 */
export function splitExportConsts(text, file, module) {
  const starts = [...text.matchAll(/^export const ([\w$]+) = /gm)];
  const tailAt = text.search(/^\/\/# sourceMappingURL=.*$/m);
  if (starts.length === 0 || tailAt < 0) throw new Error(`bundle: ${file} is no longer a list of \`export const\``);
  const statements = new Map();
  starts.forEach((match, i) => {
    const body = text.slice(match.index, i + 1 < starts.length ? starts[i + 1].index : tailAt);
    // One line, or lines indented up to the closing `};`: nothing else sits between two statements.
    const lines = body.trimEnd().split('\n');
    const whole = lines.length === 1 ? /;$/.test(lines[0]) : /^[}\]];$/.test(lines.at(-1)) && lines.slice(1, -1).every((line) => /^(\s|$)/.test(line));
    if (!whole) {
      throw new Error(`bundle: ${file}: ${match[1]} is not one \`export const\` statement`);
    }
    statements.set(match[1], body);
  });
  const names = Object.keys(module).sort();
  if (!isDeepStrictEqual([...statements.keys()].sort(), names)) throw new Error(`bundle: ${file}'s statements are not its exports`);
  return { head: text.slice(0, starts[0].index), statements, tail: text.slice(tailAt) };
}

/** The identifiers of `names` a statement reads (`...SubResource.type.modelProperties`, `X.type.polymorphicDiscriminator`, `FooMapper`). */
function identifiersIn(statement, names) {
  const found = new Set();
  for (const match of statement.replaceAll('...', '   ').matchAll(/(?<![\w$."])([A-Za-z_$][\w$]*)\b(?!["\w$]|\s*:)/g))
    if (names.has(match[1])) found.add(match[1]);
  return found;
}

/**
 * The bundle's models/mappers.js and models/parameters.js: the statements the kept operation
 * groups and the client's own operations reach (and the ones those read by name), the
 * `discriminators` of the kept polymorphic types, the parameters' import of only what they use.
 * Both are loaded and compared with the package's before they are used: every kept mapper and
 * parameter equal to the original, the reach complete within the pruned mappers.
 * @returns { mappers, parameters, reached } (`mappers`/`parameters` the files' text)
 */
export async function pruneArmModels(settings, cuts = {}) {
  const files = armFiles(settings);
  const all = await import(pathToFileURL(files.mappers).href);
  const allParameters = await import(pathToFileURL(files.parameters).href);
  const roots = [files.client, ...Object.values(files.operations).map((group) => group.file)];
  const cutStatement = cutProperties(all, cuts);
  const reached = reachableMappers(all, allParameters, roots, cuts);

  // parameters.js: the used statements, and an import of the mappers they name.
  const parametersText = readFileSync(files.parameters, 'utf8');
  const parameterParts = splitExportConsts(parametersText, files.parameters, allParameters);
  const importLine = parameterParts.head.match(/^import \{([^}]+)\} from "\.\.\/models\/mappers\.js";$/m);
  if (!importLine || /import \* as/.test(parameterParts.head)) throw new Error(`bundle: ${files.parameters} no longer imports its mappers by name`);
  const aliases = new Map(
    importLine[1]
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .map((item) => {
        const [name, alias] = item.split(/\s+as\s+/);
        return [alias ?? name, name];
      }),
  );
  const keptParameters = reached.parameters.map((name) => parameterParts.statements.get(name));
  const importedAliases = new Set(keptParameters.flatMap((statement) => [...identifiersIn(statement, new Set(aliases.keys()))]));
  const imports = [...importedAliases].sort().map((alias) => (aliases.get(alias) === alias ? alias : `${aliases.get(alias)} as ${alias}`));
  const parameters = [
    parameterParts.head.replace(importLine[0], imports.length > 0 ? `import { ${imports.join(', ')} } from "../models/mappers.js";` : ''),
    ...keptParameters,
    parameterParts.tail,
  ].join('');

  // mappers.js: the reached mappers, the mappers the parameters import, and the ones those statements read by name.
  const mapperParts = splitExportConsts(readFileSync(files.mappers, 'utf8'), files.mappers, all);
  const mapperNames = new Set(Object.keys(all).filter((name) => name !== 'discriminators'));
  const kept = new Set([...reached.names, ...[...importedAliases].map((alias) => aliases.get(alias))]);
  for (const name of kept) for (const read of identifiersIn(mapperParts.statements.get(name), mapperNames)) kept.add(read);
  // In the file's order: a statement may read one above it.
  const keptStatements = [...mapperParts.statements].filter(([name]) => kept.has(name)).map(([, statement]) => statement);
  const discriminators = `export const discriminators = {\n${reached.discriminators.map((key) => `    ${JSON.stringify(key)}: ${all.discriminators[key].type.className},\n`).join('')}};\n`;
  const mappers = [mapperParts.head, ...keptStatements, discriminators, cutStatement, mapperParts.tail].join('');

  await checkPruned({ mappers, parameters, all, allParameters, reached, roots, kept, cuts });
  return { mappers, parameters, reached, kept: [...kept].sort() };
}

/** Loads the pruned files and compares them with the package's: throws on any difference that matters. */
async function checkPruned({ mappers, parameters, all, allParameters, reached, roots, kept, cuts }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-arm-models-'));
  try {
    mkdirSync(path.join(dir, 'models'));
    writeFileSync(path.join(dir, 'models', 'mappers.js'), mappers);
    writeFileSync(path.join(dir, 'models', 'parameters.js'), parameters);
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    const prunedMappers = await import(pathToFileURL(path.join(dir, 'models', 'mappers.js')).href);
    const prunedParameters = await import(pathToFileURL(path.join(dir, 'models', 'parameters.js')).href);
    // A cut mapper is the package's with only the properties kept (a parameter may hold one: a request body the provider never sends).
    const cutOf = (mapper) => {
      const name = Object.keys(cuts).find((key) => all[key] === mapper);
      if (name === undefined) return mapper;
      const modelProperties = Object.fromEntries(Object.entries(mapper.type.modelProperties).filter(([key]) => cuts[name].includes(key)));
      return { ...mapper, type: { ...mapper.type, modelProperties } };
    };
    for (const name of kept) {
      if (!isDeepStrictEqual(prunedMappers[name], cutOf(all[name]))) throw new Error(`bundle: the pruned mapper ${name} differs from arm-network's`);
    }
    for (const key of reached.discriminators) {
      if (!isDeepStrictEqual(prunedMappers.discriminators[key], all.discriminators[key]))
        throw new Error(`bundle: the pruned discriminators["${key}"] differs`);
    }
    for (const name of reached.parameters) {
      const expected = allParameters[name].mapper ? { ...allParameters[name], mapper: cutOf(allParameters[name].mapper) } : allParameters[name];
      if (!isDeepStrictEqual(prunedParameters[name], expected)) throw new Error(`bundle: the pruned Parameters.${name} differs from arm-network's`);
    }
    // The reach computed within the pruned files alone finds the same: nothing it needs is missing.
    const again = reachableMappers(prunedMappers, prunedParameters, roots, cuts);
    if (!isDeepStrictEqual(again, reached)) throw new Error('bundle: the pruned mappers do not reach what the whole ones do');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The esbuild plugin: the bundle's models/mappers.js and models/parameters.js are the pruned
 * ones. Only the client, the kept operations files and parameters.js may import mappers.js
 * (the armOperations plugin imports the kept groups' files directly): any other importer would
 * look up mappers that are not there, and fails the build.
 */
export const armMappers = (settings, cuts = {}) => ({
  name: 'arm-mappers',
  setup(build) {
    let pruned;
    let files;
    build.onStart(async () => {
      files = armFiles(settings);
      pruned = await pruneArmModels(settings, cuts);
    });
    build.onResolve({ filter: /(^|\/)mappers\.js$/ }, (args) => {
      if (path.resolve(args.resolveDir, args.path) !== files.mappers) return undefined;
      const allowed = [files.client, files.parameters, ...Object.values(files.operations).map((group) => group.file)];
      if (!allowed.includes(args.importer))
        throw new Error(`bundle: ${args.importer} imports arm-network's mappers, which the bundle prunes for ${settings.keep.join(', ')} only`);
      return undefined;
    });
    build.onLoad({ filter: /[\\/]models[\\/](mappers|parameters)\.js$/ }, (args) => {
      if (args.path === files.mappers) return { contents: pruned.mappers, loader: 'js' };
      if (args.path === files.parameters) return { contents: pruned.parameters, loader: 'js' };
      return undefined;
    });
  },
});

/**
 * arm-network's index re-exports models/index.js: 267 `Known<Enum>` objects (97 KB), each built
 * by a function run at load, which esbuild keeps as a possible side effect. They are lists of
 * documented values for callers; the provider reads none (a provider that imports one fails the
 * build: esbuild finds no such export), so the bundle's index leaves them out.
 */
export const armNoKnownEnums = (settings) => ({
  name: 'arm-no-known-enums',
  setup(build) {
    const index = path.join(path.dirname(armFiles(settings).client), 'index.js');
    build.onLoad({ filter: /[\\/]index\.js$/ }, (args) => {
      if (args.path !== index) return undefined;
      const text = readFileSync(index, 'utf8');
      const line = 'export * from "./models/index.js";';
      if (text.split(line).length !== 2) throw new Error(`bundle: ${index} no longer has ${line}`);
      return { contents: text.replace(line, ''), loader: 'js' };
    });
  },
});
