// The build settings every package shares; each package's tsup.config.ts passes its entry points.
import { defineConfig, type Options } from 'tsup';

/** Entry points of one package: output name (without extension) to source file. */
export type Entries = Record<string, string>;

/**
 * ESM (`.js`, `.d.ts`) and CommonJS (`.cjs`, `.d.cts`) builds with source maps for ES2022, leaving
 * the other Bellman packages and TensorFlow.js as imports. The declarations are built without the
 * workspace `paths` of tsconfig.base.json, so they import `@bellman/*` by package name.
 */
export function bellmanPackage(entry: Entries) {
  const options: Options = {
    entry,
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { paths: {} } },
    sourcemap: true,
    clean: true,
    target: 'es2022',
    external: [/^@bellman\//, /^@tensorflow\//, /^#/],
  };
  return defineConfig(options);
}
