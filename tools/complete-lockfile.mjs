#!/usr/bin/env node
// Adds lockfile entries for other platforms' optional binary packages (@swc/core-darwin-arm64,
// @rollup/rollup-win32-x64-msvc, ...) when `npm install` left them out. A registry mirror that
// serves only some platforms' binaries makes npm drop those entries, and `npm ci` then rejects
// the lockfile ("Missing: ... from lock file") on every machine. Each entry gets the version the
// parent pins and the os/cpu/libc its name states, so npm skips it on other platforms without a
// download.
//
//   node tools/complete-lockfile.mjs [package-lock.json]    (run after `npm install`)

import { readFileSync, writeFileSync } from 'node:fs';

const OPERATING_SYSTEMS = new Set([
  'aix', 'android', 'darwin', 'freebsd', 'linux', 'netbsd', 'openbsd', 'openharmony', 'sunos',
  'win32',
]);
const CPUS = new Map([
  ['arm64', 'arm64'], ['aarch64', 'arm64'], ['x64', 'x64'], ['ia32', 'ia32'], ['arm', 'arm'],
  ['armv7', 'arm'], ['ppc64', 'ppc64'], ['ppc64le', 'ppc64'], ['s390x', 's390x'],
  ['riscv64', 'riscv64'], ['loong64', 'loong64'], ['wasm32', 'wasm32'], ['mips64el', 'mips64el'],
]);

/** os/cpu/libc constraints read off a platform package's name, e.g. "linux-arm-musleabihf". */
export function platformFromName(name) {
  const base = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
  const tokens = base.split('-');
  const os = tokens.find((token) => OPERATING_SYSTEMS.has(token));
  const cpuToken = tokens.find((token) => CPUS.has(token));
  const libc = tokens.some((token) => token.startsWith('musl'))
    ? 'musl'
    : tokens.some((token) => token.startsWith('gnu'))
      ? 'glibc'
      : undefined;
  return { os, cpu: cpuToken === undefined ? undefined : CPUS.get(cpuToken), libc };
}

function completeLockfile(lockPath) {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  const packages = lock.packages;
  const added = [];
  const skipped = [];
  for (const [location, entry] of Object.entries(packages)) {
    for (const [dependency, spec] of Object.entries(entry.optionalDependencies ?? {})) {
      // npm resolves a dependency beside its parent or in an ancestor node_modules folder.
      const candidates = [];
      let folder = location;
      for (;;) {
        candidates.push(`${folder === '' ? '' : `${folder}/`}node_modules/${dependency}`);
        const cut = folder.lastIndexOf('/node_modules/');
        if (folder === '') break;
        folder = cut === -1 ? '' : folder.slice(0, cut);
      }
      if (candidates.some((candidate) => candidate in packages)) continue;
      if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) {
        skipped.push(`${dependency}@${spec} (not an exact version)`);
        continue;
      }
      const { os, cpu, libc } = platformFromName(dependency);
      if (os === undefined && cpu === undefined) {
        skipped.push(`${dependency}@${spec} (no platform in its name)`);
        continue;
      }
      const topLevel = `node_modules/${dependency}`;
      packages[topLevel] = {
        version: spec,
        ...(cpu === undefined ? {} : { cpu: [cpu] }),
        ...(entry.dev ? { dev: true } : {}),
        ...(libc === undefined ? {} : { libc: [libc] }),
        optional: true,
        ...(os === undefined ? {} : { os: [os] }),
      };
      added.push(`${dependency}@${spec}`);
    }
  }
  lock.packages = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => a.localeCompare(b, 'en')),
  );
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`${lockPath}: added ${added.length} platform entries`);
  for (const line of skipped) console.log(`  left out ${line}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  completeLockfile(process.argv[2] ?? 'package-lock.json');
}
