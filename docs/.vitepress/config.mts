// The Bellman docs site. docs/ is the source: its Markdown pages, one guide per package (each
// includes the package's README), the live examples under examples/ and the API reference that
// TypeDoc generates into api/ (tools/docs/build.mjs runs it first). The sidebar is built from the
// folders, so a new package or page appears without editing this file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type DefaultTheme } from 'vitepress';
import { siteLinks } from './site-links';
import { wasmBinaries } from './wasm-binaries';

const docsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootDir = join(docsDir, '..');

/** The first `# ` heading of a Markdown page, else its file name. */
function titleOf(file: string): string {
  const heading = /^# (.+)$/m.exec(readFileSync(file, 'utf8'));
  return heading ? heading[1]!.replace(/`/g, '').trim() : file.replace(/^.*\//, '').replace(/\.md$/, '');
}

/** A sidebar entry per Markdown page of docs/<folder>, in file-name order (`index.md` first). */
function pagesIn(folder: string, title: (file: string) => string = titleOf): DefaultTheme.SidebarItem[] {
  const dir = join(docsDir, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .sort((a, b) => (a === 'index.md' ? -1 : b === 'index.md' ? 1 : a.localeCompare(b)))
    .map((name) => ({ text: title(join(dir, name)), link: `/${folder}/${name.replace(/\.md$/, '')}` }));
}

/** One entry per workspace package, named as npm names it. */
function packagePages(): DefaultTheme.SidebarItem[] {
  return readdirSync(join(rootDir, 'packages'))
    .filter((name) => existsSync(join(rootDir, 'packages', name, 'package.json')) && existsSync(join(docsDir, 'packages', `${name}.md`)))
    .map((name) => ({ text: JSON.parse(readFileSync(join(rootDir, 'packages', name, 'package.json'), 'utf8')).name as string, link: `/packages/${name}` }));
}

/** TypeDoc's sidebar for docs/api (written by tools/docs/build.mjs before the site builds). */
function apiSidebar(): DefaultTheme.SidebarItem[] {
  const file = join(docsDir, 'api', 'typedoc-sidebar.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: build the site with \`npm run docs:build\` (or \`npm run docs:dev\`), which runs TypeDoc first`);
  return JSON.parse(readFileSync(file, 'utf8')) as DefaultTheme.SidebarItem[];
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

const guide: DefaultTheme.SidebarItem[] = [
  { text: 'Getting started', link: '/getting-started' },
  { text: 'Sweeps', link: '/sweeps' },
  { text: 'Architecture', link: '/architecture' },
  ...(existsSync(join(docsDir, 'contributing.md')) ? [{ text: 'Adding a package', link: '/contributing' }] : []),
];

export default defineConfig({
  title: 'Bellman',
  description: 'Reinforcement learning in TypeScript on TensorFlow.js: offline and online Q-learning, classifier rewards, diffusion planning, in Node and in the browser',
  cleanUrls: true,
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  // docs/README.md is the folder's index on GitHub and the site's home page.
  rewrites: { 'README.md': 'index.md' },
  srcExclude: ['**/runs/**'],
  markdown: {
    config: (md) => md.use(siteLinks({ docsDir, rootDir })),
    // anchors as GitHub makes them, so that #links work in both places
    anchor: { slugify: githubSlug },
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/getting-started' },
      { text: 'Live examples', link: pagesIn('examples')[0]?.link ?? '/getting-started' },
      { text: 'Packages', link: '/packages/core' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: [
      { text: 'Guide', items: guide },
      { text: 'Live examples', items: pagesIn('examples') },
      { text: 'Packages', items: packagePages() },
      { text: 'Experiments', items: pagesIn('experiments') },
      { text: 'Results', items: [{ text: 'Benchmarks', link: '/benchmarks' }, { text: 'Performance', link: '/performance' }] },
      { text: 'API reference', collapsed: true, items: apiSidebar() },
    ],
    search: { provider: 'local' },
    outline: [2, 3],
  },
  vite: {
    plugins: [wasmBinaries()],
    build: { chunkSizeWarningLimit: 4096 },
  },
});
