#!/usr/bin/env node
// After `vitepress build docs`: every link inside the built site (the pages and the API reference
// TypeDoc generated) leads to a page that exists and, when it names an anchor (#section), to an
// element with that id. VitePress's own dead-link check sees page links only, not anchors.
//
//   node tools/docs/check-links.mjs [dist]     (part of npm run docs:build)
/* global process, console */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.argv[2] ?? join(root, 'docs', '.vitepress', 'dist');
if (!existsSync(join(dist, 'index.html'))) {
  console.error(`check-links: ${dist} has no built site (run vitepress build docs first)`);
  process.exit(2);
}

function htmlFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'assets' ? [] : htmlFiles(path);
    return name.endsWith('.html') ? [path] : [];
  });
}

/** The built file a site path names (clean URLs: /a/b -> a/b.html, /a/ -> a/index.html). */
function fileOf(sitePath) {
  const path = decodeURIComponent(sitePath).replace(/^\//, '');
  for (const candidate of [path, `${path}.html`, posix.join(path, 'index.html')]) {
    const file = join(dist, candidate);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return null;
}

const ids = new Map();
function idsOf(file) {
  if (!ids.has(file)) ids.set(file, new Set([...readFileSync(file, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])));
  return ids.get(file);
}

const problems = [];
let checked = 0;
for (const file of htmlFiles(dist)) {
  const html = readFileSync(file, 'utf8');
  const page = `/${relative(dist, file).split(sep).join('/')}`;
  // the page's content only: VitePress's own chrome (nav, sidebar, edit links) comes from the config
  for (const match of html.matchAll(/<a\b[^>]*\shref="([^"]*)"/g)) {
    const href = match[1].replace(/&amp;/g, '&');
    if (/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(href) || href === '') continue;
    const [path, hash] = href.split('#', 2);
    const target = path === '' ? file : fileOf(path.startsWith('/') ? path : posix.join(posix.dirname(page), path));
    checked += 1;
    if (!target) {
      problems.push(`${page}: link to ${href}: no such page`);
      continue;
    }
    if (hash && !idsOf(target).has(decodeURIComponent(hash))) problems.push(`${page}: link to ${href}: no element with id "${hash}"`);
  }
}

if (problems.length > 0) {
  console.error(`check-links: ${problems.length} broken link(s) in ${dist}:`);
  for (const problem of problems.slice(0, 50)) console.error(`  ${problem}`);
  if (problems.length > 50) console.error(`  ... and ${problems.length - 50} more`);
  process.exit(1);
}
console.log(`check-links: ${checked} links in the built site, all lead somewhere`);
