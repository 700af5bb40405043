/**
 * Checks of output paths, run before any work so that a bad --out fails at once, in one line,
 * with nothing written: a directory where a file is wanted, a path under a regular file, or a place
 * the process cannot write. Missing parent directories are fine (the writers create them).
 */
// The default import (not named imports) so that tests can replace accessSync: see
// test/input-errors.test.ts, which simulates EACCES that way because the tests run as root.
import fs from 'node:fs';
import { dirname, isAbsolute, normalize, resolve, sep } from 'node:path';
import { UsageError } from './errors.js';

export interface OutputPathOptions {
  /** Directory a relative path is resolved against (default process.cwd()). */
  cwd?: string;
}

type Kind = 'file' | 'directory' | 'other';

/** The path being checked: the flag that named it, the user's spelling (kept in messages) and its absolute form. */
interface Target {
  flag: string;
  shown: string;
  abs: string;
}

function target(path: string, flag: string, options: OutputPathOptions): Target {
  if (path.trim() === '') throw new UsageError(`${flag} must not be empty`);
  const abs = isAbsolute(path) ? resolve(path) : resolve(options.cwd ?? process.cwd(), path);
  return { flag, shown: path, abs };
}

/** An ancestor of the target as the user would write it: `a` for `a/b/c.h5`, else its absolute path. */
function display(t: Target, abs: string): string {
  if (abs === t.abs) return t.shown;
  if (isAbsolute(t.shown)) return abs;
  let typed = normalize(t.shown).replace(/[\\/]+$/, '');
  let a = t.abs;
  while (typed !== '.' && typed !== '' && a !== dirname(a)) {
    typed = dirname(typed);
    a = dirname(a);
    if (a === abs) return typed === '.' ? abs : typed;
  }
  return abs;
}

function fail(t: Target, what: string): never {
  throw new UsageError(`${t.flag} ${t.shown}: ${what}`);
}

/** What exists at `abs`: its kind, or undefined when nothing does (also when an ancestor is not a directory). */
function kindAt(t: Target, abs: string): Kind | undefined {
  try {
    const st = fs.statSync(abs);
    return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      // a dangling symbolic link: stat says ENOENT, but nothing can be created there either
      let dangling = false;
      try {
        dangling = fs.lstatSync(abs).isSymbolicLink();
      } catch {
        dangling = false;
      }
      if (dangling) fail(t, `${display(t, abs)} is a broken symbolic link`);
      return undefined;
    }
    if (code === 'EACCES' || code === 'EPERM') fail(t, `permission denied (cannot look into ${display(t, dirname(abs))})`);
    if (code === 'ENAMETOOLONG') fail(t, 'the path is too long');
    if (code === 'ELOOP') fail(t, 'too many levels of symbolic links');
    fail(t, `cannot use this path (${code ?? (err as Error).message})`);
  }
}

function ensureWritable(t: Target, dir: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = display(t, dir);
    if (code === 'EROFS') fail(t, `read-only file system (cannot write to ${where})`);
    if (code === 'EACCES' || code === 'EPERM') fail(t, `permission denied (cannot write to ${where})`);
    fail(t, `cannot write to ${where} (${code ?? (err as Error).message})`);
  }
}

/**
 * Walk up from the target to the nearest ancestor that exists. It must be a directory, and
 * writable (the missing directories below it will be created there).
 */
function checkAncestors(t: Target): void {
  let dir = dirname(t.abs);
  for (;;) {
    const kind = kindAt(t, dir);
    if (kind === 'directory') return ensureWritable(t, dir);
    if (kind !== undefined) fail(t, `${display(t, dir)} is ${kind === 'file' ? 'a file' : 'not a directory'}`);
    const up = dirname(dir);
    if (up === dir) fail(t, 'no existing directory above it');
    dir = up;
  }
}

/**
 * Check a path a command will write one file to, before any work is done. The path must not be an
 * existing directory, none of its ancestors may be a regular file, and the nearest existing
 * ancestor directory must be writable (missing parent directories are fine: writers create them).
 * Throws a one-line UsageError naming `flag`, the path as given and what is wrong, e.g.
 * `--out runs/x is a directory, not a file`, `--out a/b/c.h5: a is a file`,
 * `--out /root/ro/x.h5: permission denied (cannot write to /root/ro)`.
 * A relative path is resolved against `options.cwd` (default process.cwd()); returns the absolute path.
 */
export function checkOutputFile(path: string, flag: string, options: OutputPathOptions = {}): string {
  const t = target(path, flag, options);
  const kind = kindAt(t, t.abs);
  if (kind === 'directory') throw new UsageError(`${flag} ${path} is a directory, not a file`);
  if (kind === undefined && /[\\/]$/.test(path)) throw new UsageError(`${flag} ${path} ends with ${sep}: give a file name, not a directory`);
  if (kind === 'other') throw new UsageError(`${flag} ${path} exists and is not a regular file`);
  // an existing file is replaced (written beside it, then renamed over it): its directory must be writable
  checkAncestors(t);
  return t.abs;
}

/**
 * Check a directory a command will write into (creating it if needed), before any work is done.
 * The path must not be an existing file, none of its ancestors may be a regular file, and it must
 * be writable: the directory itself when it exists, else its nearest existing ancestor.
 * Throws a one-line UsageError such as `--out runs/x is a file, not a directory`,
 * `--out a/b: a is a file`, `--out /root/ro: permission denied (cannot write to /root/ro)`.
 * A relative path is resolved against `options.cwd` (default process.cwd()); returns the absolute path.
 */
export function checkOutputDirectory(dir: string, flag: string, options: OutputPathOptions = {}): string {
  const t = target(dir, flag, options);
  const kind = kindAt(t, t.abs);
  if (kind === 'file') throw new UsageError(`${flag} ${dir} is a file, not a directory`);
  if (kind === 'other') throw new UsageError(`${flag} ${dir} exists and is not a directory`);
  if (kind === 'directory') ensureWritable(t, t.abs);
  else checkAncestors(t);
  return t.abs;
}
