/**
 * Whether the reader of stdout got every byte (issue 24; DESIGN.md: a state is never ahead of
 * "a pipe drained"). A writer's last rows sit in the kernel's buffer when it ends; a reader
 * that stops early (`| head -n 22` of 24 rows) then never reads them, and no EPIPE tells the
 * writer. Stdout is a FIFO under a shell (`| head`) and a socket pair when a program spawned
 * us (Node's child_process, most platforms). Node has no ioctl, so on Linux perl (Debian's
 * perl-base is always there) or python3 tells the bytes not read yet (FIONREAD on a FIFO,
 * TIOCOUTQ on a socket) and whether a socket's peer hung up; a FIFO's reader is looked for
 * in /proc. Elsewhere it cannot be told: then undefined.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { sleep } from '../sleep.js';

// Linux's request numbers (asm-generic/ioctls.h), the same on x86, ARM and RISC-V.
const FIONREAD = 0x541b;
const TIOCOUTQ = 0x5411;
const POLLHUP = 0x10;

/** What a probe of stdout saw: bytes its reader has not read, and whether the reader left. */
interface StdoutProbe {
  unread: number;
  readerGone: boolean;
}

// Each prints "<bytes unread> <1 when the peer hung up>" for the descriptor 3 (our stdout).
function probesFor(request: number): [string, string[]][] {
  return [
    [
      'perl',
      [
        '-e',
        `open(my $f, "+<&=3") or open($f, ">&=3") or exit 2; my $n = pack("i", 0); ioctl($f, ${request}, $n) or exit 2;` +
          ` my $hup = 0;` +
          ` if (-S $f) { require IO::Poll; my $p = IO::Poll->new; $p->mask($f => ${POLLHUP}); $p->poll(0); $hup = ($p->events($f) & ${POLLHUP}) ? 1 : 0 }` +
          ` print unpack("i", $n), " ", $hup`,
      ],
    ],
    [
      'python3',
      [
        '-c',
        `import fcntl,select,struct,stat,os;n=struct.unpack("i",fcntl.ioctl(3,${request},b"\\0"*4))[0];h=0\n` +
          `if stat.S_ISSOCK(os.fstat(3).st_mode):\n p=select.poll();p.register(3,${POLLHUP});h=1 if any(e&${POLLHUP} for _,e in p.poll(0)) else 0\n` +
          `print(n,h)`,
      ],
    ],
  ];
}

/** What stdout is: a FIFO, a socket, or something whose reader cannot be watched. */
function stdoutKind(): 'fifo' | 'socket' | undefined {
  if (process.platform !== 'linux') return undefined;
  let target: string;
  try {
    target = readlinkSync('/proc/self/fd/1');
  } catch {
    return undefined;
  }
  if (target.startsWith('pipe:')) return 'fifo';
  if (target.startsWith('socket:')) return 'socket';
  return undefined;
}

/** Bytes stdout's reader has not read and whether it left; undefined when it cannot be told. */
export function probeStdout(): StdoutProbe | undefined {
  const kind = stdoutKind();
  if (!kind) return undefined;
  for (const [program, args] of probesFor(kind === 'fifo' ? FIONREAD : TIOCOUTQ)) {
    const probe = spawnSync(program, args, {
      stdio: ['ignore', 'pipe', 'ignore', 1],
      encoding: 'utf8',
    });
    const match = /^(\d+) ([01])\s*$/.exec(probe.stdout ?? '');
    if (probe.status !== 0 || !match) continue;
    const unread = Number(match[1]);
    const readerGone = kind === 'fifo' ? !pipeHasReader() : match[2] === '1';
    return { unread, readerGone };
  }
  return undefined;
}

/** Whether another process holds the read end of stdout's FIFO (Linux /proc). */
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
 * Waits until stdout is drained and its reader is still there waiting for more (true), or its
 * reader went away, with bytes unread or right after reading the last of them (false);
 * undefined when this machine cannot tell (the caller then trusts a clean end). A slow reader
 * is waited for, as a blocked writer would be.
 * @throws ABORTED when the signal fires meanwhile.
 */
export async function pipeDrained(signal?: AbortSignal): Promise<boolean | undefined> {
  for (;;) {
    const seen = probeStdout();
    if (seen === undefined) return undefined;
    if (seen.readerGone) return false;
    if (seen.unread === 0) return readerStays(signal);
    await sleep(POLL_MS, signal);
  }
}

/** Whether the reader of a drained stdout is still there a moment later (it wants the end). */
async function readerStays(signal: AbortSignal | undefined): Promise<boolean | undefined> {
  for (let check = 0; check < SETTLE_CHECKS; check++) {
    await sleep(SETTLE_MS, signal);
    const seen = probeStdout();
    if (seen === undefined) return undefined;
    if (seen.readerGone) return false;
  }
  return true;
}
