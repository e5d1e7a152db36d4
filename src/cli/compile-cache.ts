import module from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

type WithCompileCache = { enableCompileCache?: (directory?: string) => unknown };

/**
 * Node 22.1+ can keep V8's compiled code of the modules a process loads (its module compile
 * cache), as tsc's command line asks it to: on Node 24 a command that talks IMAP then loads its
 * modules in 70-80 ms instead of 102-109 (docs/performance.md). Kept under the user's own cache
 * directory ($XDG_CACHE_HOME or ~/.cache, then imap-connector/compile-cache), not in the shared
 * os.tmpdir() Node picks by default: compiled code another user of the machine could plant
 * there is code the CLI would run. NODE_COMPILE_CACHE (Node's own) names another directory,
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off. Node 20 has no such cache: nothing happens there.
 * Never throws: Node skips a cache it cannot write.
 */
export function useCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const enable = (module as WithCompileCache).enableCompileCache;
  // With NODE_COMPILE_CACHE set, Node enabled it at start, in that directory.
  if (!enable || env.NODE_COMPILE_CACHE) return;
  // The XDG base directory spec: a relative path there is to be ignored.
  const xdg = env.XDG_CACHE_HOME;
  const cacheHome = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  enable(join(cacheHome, 'imap-connector', 'compile-cache'));
}
