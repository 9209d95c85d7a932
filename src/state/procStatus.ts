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

/** JavaScript's \s (what split(/\s+/) splits on) for characters up to U+00FF, which is all a byte string holds. */
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0;

/** `text.split(/\s+/)` without the regular expression (no empty words unless at the ends, as there). */
function words(text: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && !isSpace(text.charCodeAt(i))) continue;
    out.push(text.slice(from, i));
    while (i + 1 < text.length && isSpace(text.charCodeAt(i + 1))) i++;
    from = i + 1;
  }
  return out;
}

function ids(f: Map<string, string>, key: string): IdSet {
  const parts: number[] = [];
  for (const w of words(need(f, key))) parts.push(Number(w));
  let bad = parts.length !== 4;
  for (const n of parts) if (!Number.isInteger(n) || n < 0) bad = true;
  if (bad) {
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
  const groups: number[] = [];
  for (const w of words(f.get("Groups") ?? "")) if (w !== "") groups.push(Number(w));
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
