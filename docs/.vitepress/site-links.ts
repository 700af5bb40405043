// Links in the site. The Markdown in docs/ and the package READMEs it includes link as files do on
// GitHub: to a package's README (`../../packages/nn/README.md`), to a sibling package's folder
// (`../nn`, from a README) or to a file of the repository. This markdown-it rule rewrites those
// before VitePress checks the links: a package README or folder becomes its guide page
// (/packages/<name>), a docs page linked from an included README becomes that page, and a link to a
// repository file the site does not serve keeps its text without the link. A link to a path that
// exists nowhere is left alone, so VitePress's dead-link check fails the build on it.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { MarkdownRenderer } from 'vitepress';

type Token = ReturnType<MarkdownRenderer['parse']>[number];

export interface SiteLinkOptions {
  docsDir: string;
  rootDir: string;
}

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/|#|\/)/i;

/** The site path for a repository path, or null when the site does not serve it. */
function sitePathOf(absolute: string, { docsDir, rootDir }: SiteLinkOptions): string | null {
  const packages = join(rootDir, 'packages') + sep;
  if (absolute.startsWith(packages)) {
    const [name, ...rest] = absolute.slice(packages.length).split(sep);
    const inPackage = rest.join('/');
    if (name && (inPackage === '' || inPackage === 'README.md') && existsSync(join(docsDir, 'packages', `${name}.md`))) return `/packages/${name}`;
    return null;
  }
  if (absolute.startsWith(docsDir + sep) && existsSync(absolute) && statSync(absolute).isFile()) {
    const path = relative(docsDir, absolute).split(sep).join('/');
    if (path.endsWith('.md')) return `/${path.replace(/(^|\/)README\.md$/, '$1index.md').replace(/\.md$/, '')}`;
    return null;
  }
  return null;
}

/** Rewrites one href of a page (`page`: its path under docs/); undefined: leave it. null: unlink. */
export function rewriteSiteLink(page: string, href: string, options: SiteLinkOptions): string | null | undefined {
  if (EXTERNAL.test(href)) return undefined;
  const [path = '', hash] = href.split('#', 2);
  const suffix = hash === undefined ? '' : `#${hash}`;
  const fromPage = resolve(options.docsDir, dirname(page), path);
  // a file of the site: a page becomes its absolute path (a relative one may climb out of docs/
  // and back, which a browser cannot follow), anything else is left to VitePress and Vite
  if (fromPage.startsWith(options.docsDir + sep) && existsSync(fromPage) && statSync(fromPage).isFile()) {
    return fromPage.endsWith('.md') ? `${sitePathOf(fromPage, options)}${suffix}` : undefined;
  }
  const candidates = [fromPage];
  // text included from packages/<name>/README.md links relative to that README
  const guide = /^packages\/([\w-]+)\.md$/.exec(page);
  if (guide) candidates.push(resolve(options.rootDir, 'packages', guide[1]!, path));
  for (const absolute of candidates) {
    const sitePath = sitePathOf(absolute, options);
    if (sitePath) return sitePath + suffix;
  }
  if (candidates.some((absolute) => absolute.startsWith(options.rootDir + sep) && existsSync(absolute))) return null;
  return undefined;
}

/** The markdown-it plugin: applies rewriteSiteLink to every link of every page. */
export function siteLinks(options: SiteLinkOptions) {
  return (md: MarkdownRenderer) => {
    md.core.ruler.after('inline', 'bellman-site-links', (state) => {
      const page = (state.env as { relativePath?: string }).relativePath;
      if (!page) return;
      for (const block of state.tokens) {
        if (!block.children) continue;
        const kept: Token[] = [];
        const unlinked: boolean[] = [];
        for (const token of block.children) {
          if (token.type === 'link_open') {
            const href = token.attrGet('href') ?? '';
            const rewritten = rewriteSiteLink(page, href, options);
            unlinked.push(rewritten === null);
            if (rewritten === null) continue;
            if (rewritten !== undefined) token.attrSet('href', rewritten);
          } else if (token.type === 'link_close') {
            if (unlinked.pop()) continue;
          }
          kept.push(token);
        }
        block.children = kept;
      }
    });
  };
}
