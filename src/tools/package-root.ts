/**
 * The installed package's root (where package.json and bin/ are), found from this module's
 * location so it works from compiled `dist/` and from TypeScript sources under test alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'mq') {
      cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the mq package root');
    dir = parent;
  }
}

export function cliEntry(): string {
  return path.join(packageRoot(), 'bin', 'run.js');
}
