/**
 * The top self-time entries of a V8 .cpuprofile (node --cpu-prof), grouped by function and
 * file: where a scenario's CPU time goes, for the performance notes.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  where: string;
  selfMs: number;
  percent: number;
}

/** One line of a profile summary: share, self time, function and where it is. */
export function formatHotSpot(spot: HotSpot): string {
  return `${String(spot.percent).padStart(5)}%  ${String(spot.selfMs).padStart(6)} ms  ${spot.name}  ${spot.where}`;
}

/** The top self time of one profile, or of several summed (the threads of one kind). */
export function summarizeProfile(paths: string | readonly string[], top = 12): HotSpot[] {
  const selfUs = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  for (const path of typeof paths === 'string' ? [paths] : paths)
    total += addSelfTimes(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, selfUs);
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfMs: Math.round(e.us / 1000),
      percent: Math.round((e.us / total) * 1000) / 10,
    }));
}

/** Adds a profile's self time per function to `selfUs`; returns the profile's total. */
function addSelfTimes(
  profile: CpuProfile,
  selfUs: Map<string, { name: string; where: string; us: number }>,
): number {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const where = `${frame.url.replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}@${where}`;
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const entry = selfUs.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += delta;
    selfUs.set(key, entry);
  });
  return total;
}
