import module from 'node:module';

type WithCompileCache = { enableCompileCache?: () => unknown };

/**
 * Node 22.1+ keeps V8's compiled code of the modules a process loads (its module compile cache:
 * os.tmpdir()/node-compile-cache, or the directory NODE_COMPILE_CACHE names;
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off), as tsc's command line asks for it too. On Node 24 a
 * command that talks IMAP then loads its modules in 70-80 ms instead of 102-109
 * (docs/performance.md). Node 20 has no such cache: nothing happens there. Never throws: Node
 * skips a cache it cannot write.
 */
export function useCompileCache(): void {
  (module as WithCompileCache).enableCompileCache?.();
}
