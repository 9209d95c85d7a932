// Parser for /proc/<pid>/status. Pure, so it is tested on fixed text.
import { parseHex } from "../caps/mask.ts";
import type { IdSet, ProcessState } from "./types.ts";

export class StatusParseError extends Error {}

function fields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

function need(f: Map<string, string>, key: string): string {
  const v = f.get(key);
  if (v === undefined) throw new StatusParseError(`no "${key}:" line`);
  return v;
}

function ids(f: Map<string, string>, key: string): IdSet {
  const parts = need(f, key).split(/\s+/).map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new StatusParseError(`"${key}:" is not four ids`);
  }
  const [real, effective, saved, fs] = parts as [number, number, number, number];
  return { real, effective, saved, fs };
}

function mask(f: Map<string, string>, key: string): bigint {
  const v = parseHex(need(f, key));
  // A malformed mask is never read as "no caps": that would report a clean state that is not.
  if (v === undefined) throw new StatusParseError(`"${key}:" is not a hex mask`);
  return v;
}

export function parseProcStatus(text: string, pid: number): ProcessState {
  const f = fields(text);
  const groups = (f.get("Groups") ?? "").split(/\s+/).filter(Boolean).map(Number);
  const filters = f.get("Seccomp_filters");
  return {
    pid,
    source: "procfs",
    uid: ids(f, "Uid"),
    gid: ids(f, "Gid"),
    groups,
    caps: {
      inheritable: mask(f, "CapInh"),
      permitted: mask(f, "CapPrm"),
      effective: mask(f, "CapEff"),
      bounding: mask(f, "CapBnd"),
      // Absent before Linux 4.3, when no ambient set exists.
      ambient: f.has("CapAmb") ? mask(f, "CapAmb") : 0n,
    },
    securebits: null,
    // Absent before Linux 4.10 and without CONFIG_SECCOMP respectively.
    noNewPrivs: f.get("NoNewPrivs") === "1",
    seccompMode: Number(f.get("Seccomp") ?? 0),
    seccompFilters: filters === undefined ? null : Number(filters),
  };
}
