// tfjs-backend-wasm's .wasm files, served under <base>wasm/ in `docs:dev` and written there by the
// build, where every live example's initBackend({ wasmPaths }) looks for them.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

const require = createRequire(import.meta.url);

function binaries(): { name: string; path: string }[] {
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  return readdirSync(dist)
    .filter((name) => name.endsWith('.wasm'))
    .map((name) => ({ name, path: join(dist, name) }));
}

export function wasmBinaries(): Plugin {
  let base = '/';
  let ssr = false;
  return {
    name: 'bellman-wasm-binaries',
    configResolved(config) {
      base = config.base;
      ssr = Boolean(config.build.ssr);
    },
    configureServer(server) {
      const files = new Map(binaries().map((file) => [`${base}wasm/${file.name}`, file.path]));
      server.middlewares.use((req, res, next) => {
        const path = files.get((req.url ?? '').split('?')[0]!);
        if (!path) return next();
        res.setHeader('Content-Type', 'application/wasm');
        res.end(readFileSync(path));
      });
    },
    generateBundle() {
      if (ssr) return;
      for (const file of binaries()) this.emitFile({ type: 'asset', fileName: `wasm/${file.name}`, source: readFileSync(file.path) });
    },
  };
}
