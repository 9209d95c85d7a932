// --landlock-access and --landlock-rule before any change: the kernel's Landlock ABI, each rule's
// path opened as root (so that the target user need not be able to open it), with O_PATH and
// without following a final symlink (a symlink is refused: a rule names the file hierarchy itself,
// and a link would silently move it), and the identities of the files the probes and the command
// walk through, for planning (plan.ts in this folder).
import type { ExecOptions } from "../../options/exec.ts";
import { moveCloexecAbove } from "../../sys/fd.ts";
import { AT_FDCWD, close, fstat, isDirectory, O, openAt, readlink, S_IFLNK, S_IFMT, stat } from "../../sys/file.ts";
import { landlockAbiVersion } from "../../sys/landlock.ts";
import { describe } from "../../sys/result.ts";
import type { ByteString } from "../../text/bytes.ts";
import { quote } from "../../text/quote.ts";
import { Refusal } from "../refusal.ts";
import type { FileId, LandlockFacts, OpenedRule, ProbeTarget } from "./types.ts";

const idOf = (st: { dev: string; ino: string }): FileId => `${st.dev}/${st.ino}`;

/** The path as the kernel resolves it (every symlink followed), through an O_PATH fd; null when it does not resolve. */
function canonical(path: ByteString): ByteString | null {
  const fd = openAt(AT_FDCWD, path, O.PATH);
  if (!fd.ok) return null;
  const link = readlink(`/proc/self/fd/${fd.value}`);
  close(fd.value);
  return link.ok && link.value.startsWith("/") ? link.value : null;
}

/** The identities from / down to `path` (resolved first): what Landlock walks up through to find the rules that apply. */
export function chainOf(path: ByteString): FileId[] | null {
  const real = canonical(path);
  if (real === null) return null;
  const parts = real.split("/").filter(Boolean);
  const out: FileId[] = [];
  for (let i = 0; i <= parts.length; i++) {
    const st = stat("/" + parts.slice(0, i).join("/"));
    if (!st.ok) return null;
    out.push(idOf(st.value));
  }
  return out;
}

function openRule(text: string, path: ByteString, access: bigint | null, keep: number, shown: string): OpenedRule {
  const opened = openAt(AT_FDCWD, path, O.PATH | O.NOFOLLOW);
  if (!opened.ok) throw new Refusal("usage", `${shown}: cannot open ${quote(path)} as root: ${describe(opened)}`);
  const moved = moveCloexecAbove(opened.value, 3 + keep);
  if (!moved.ok) throw new Refusal("usage", `${shown}: cannot move the fd of ${quote(path)}: ${describe(moved)}`);
  const st = fstat(moved.value);
  if (!st.ok) throw new Refusal("usage", `${shown}: cannot stat ${quote(path)}: ${describe(st)}`);
  if ((st.value.mode & S_IFMT) === S_IFLNK) {
    const target = readlink(path);
    throw new Refusal(
      "usage",
      `${shown}: ${quote(path)} is a symbolic link${target.ok ? ` (to ${quote(target.value)})` : ""}; a Landlock rule names a file hierarchy, and sbx does not follow a final symlink to find it — name the target itself`,
    );
  }
  return { text, path, access, fd: moved.value, directory: isDirectory(st.value), id: idOf(st.value) };
}

export function prepareLandlock(o: ExecOptions, keep: number, command: ByteString | null, shown: (text: string) => string): LandlockFacts {
  const abi = landlockAbiVersion();
  const rules = (o.landlockRule ?? []).map((r) => openRule(r.text, r.path, r.access, keep, shown(quote(r.text))));
  const targets: ProbeTarget[] = ["/dev", "/dev/null"];
  const chains = Object.fromEntries(targets.map((t) => [t, chainOf(t)])) as LandlockFacts["chains"];
  const real = command === null ? null : canonical(command);
  const chain = real === null ? null : chainOf(real);
  return {
    abi: abi.ok ? abi.value : null,
    abiErrno: abi.ok ? null : abi.errno,
    rules,
    chains,
    command: real !== null && chain !== null ? { path: real, chain } : null,
  };
}
