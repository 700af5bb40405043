// Node module hooks that run a README example on the workspace's TypeScript sources, as jest does:
// `@bellman/<name>[/<entry>]` resolves to packages/<name>/src/<entry>.ts, a relative `./x.js`
// from a .ts file to `./x.ts` when that exists, and .ts files are stripped of types with @swc/core.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transform } from '@swc/core';

const packagesDir = fileURLToPath(new URL('../../packages/', import.meta.url));

export async function resolve(specifier, context, nextResolve) {
  const workspace = /^@bellman\/([^/]+)(?:\/(.+))?$/.exec(specifier);
  if (workspace) {
    const file = `${packagesDir}${workspace[1]}/src/${workspace[2] ?? 'index'}.ts`;
    if (existsSync(file)) return { url: pathToFileURL(file).href, format: 'module', shortCircuit: true };
  }
  if (/^\.{1,2}\//.test(specifier) && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const url = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(url)) return { url: url.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const { code } = await transform(await readFile(path, 'utf8'), {
    filename: path,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  });
  return { format: 'module', source: code, shortCircuit: true };
}
