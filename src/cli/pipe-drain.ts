/**
 * Whether the reader of stdout's pipe got every byte (issue 24; DESIGN.md: a state is never
 * ahead of "a pipe drained"). A writer's last rows sit in the pipe's buffer (64 KiB) when it
 * ends; a reader that stops early (`| head -n 22` of 24 rows) then never reads them, and no
 * EPIPE tells the writer. Node has no ioctl, so on Linux the bytes still unread come from
 * FIONREAD run by perl (Debian's perl-base is always there) or python3, and whether anyone
 * still holds the read end from /proc. Elsewhere it cannot be told: then undefined.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { sleep } from '../sleep.js';

// Linux's FIONREAD request number (asm-generic/ioctls.h), the same on x86, ARM and RISC-V.
const FIONREAD = 0x541b;
const PROBES: [string, string[]][] = [
  [
    'perl',
    [
      '-e',
      `open(my $f, ">&=3") or exit 2; my $n = pack("i", 0); ioctl($f, ${FIONREAD}, $n) or exit 2; print unpack("i", $n)`,
    ],
  ],
  [
    'python3',
    ['-c', `import fcntl,struct;print(struct.unpack("i",fcntl.ioctl(3,${FIONREAD},b"\\0"*4))[0])`],
  ],
];

/** Bytes in stdout's pipe not read yet; undefined when this machine cannot tell. */
export function unreadInPipe(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const [program, args] of PROBES) {
    const probe = spawnSync(program, args, {
      stdio: ['ignore', 'pipe', 'ignore', 1],
      encoding: 'utf8',
    });
    const bytes = Number(probe.stdout);
    if (probe.status === 0 && Number.isSafeInteger(bytes) && probe.stdout.trim() !== '')
      return bytes;
  }
  return undefined;
}

/** Whether another process holds the read end of stdout's pipe (Linux /proc). */
export function pipeHasReader(): boolean {
  let pipe: string;
  try {
    pipe = readlinkSync('/proc/self/fd/1');
  } catch {
    return true;
  }
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== pipe) continue;
        const flags = /flags:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        // O_ACCMODE of the flags (octal): 0 is read-only, the reader's end.
        if (flags && (parseInt(flags[1]!, 8) & 3) === 0) return true;
      } catch {
        // The process or descriptor went away meanwhile.
      }
    }
  }
  return false;
}

const POLL_MS = 100;
// How long a reader that read the last byte is watched: one that stops early (`head -n 399`
// of 400 rows can read all 400 in one read() and use 399) exits right after; one that used
// everything stays, waiting for the end of the stream.
const SETTLE_MS = 150;
const SETTLE_CHECKS = 2;

/**
 * Waits until stdout's pipe is drained and its reader is still there waiting for more (true),
 * or its reader went away, with bytes unread or right after reading the last of them (false);
 * undefined when this machine cannot tell (the caller then trusts a clean end). A slow reader
 * is waited for, as a blocked writer would be.
 * @throws ABORTED when the signal fires meanwhile.
 */
export async function pipeDrained(signal?: AbortSignal): Promise<boolean | undefined> {
  for (;;) {
    const unread = unreadInPipe();
    if (unread === undefined) return undefined;
    if (unread > 0 && !pipeHasReader()) return false;
    if (unread === 0) return readerStays(signal);
    await sleep(POLL_MS, signal);
  }
}

/** Whether the reader of a drained pipe is still there a moment later (it wants the end). */
async function readerStays(signal: AbortSignal | undefined): Promise<boolean> {
  for (let check = 0; check < SETTLE_CHECKS; check++) {
    await sleep(SETTLE_MS, signal);
    if (!pipeHasReader()) return false;
  }
  return true;
}
