// Can someone other than root replace the sbx binary? sbx runs as root and execs workloads, so
// whoever can rewrite or swap it runs code as root at the next container start (the
// CVE-2019-5736 lesson). Pure: the caller stats the file and every directory above it.

export interface PathNode {
  path: string;
  uid: number;
  gid: number;
  /** st_mode: permission, setuid/setgid and sticky bits (type bits are ignored). */
  mode: number;
}

const S_ISVTX = 0o1000;
const S_IWGRP = 0o020;
const S_IWOTH = 0o002;

function writers(node: PathNode, writeBitsCount = true): string[] {
  const out: string[] = [];
  if (node.uid !== 0) out.push(`${node.path} is owned by uid ${node.uid}`);
  if (!writeBitsCount) return out;
  if (node.mode & S_IWGRP) out.push(`${node.path} is writable by group ${node.gid}`);
  if (node.mode & S_IWOTH) out.push(`${node.path} is world-writable`);
  return out;
}

/**
 * Reasons the file can be replaced by non-root; empty when it cannot. `dirs` runs from the
 * file's directory up to "/": a writable ancestor lets its entries be renamed away and
 * recreated. A sticky directory (like /tmp) protects root-owned entries from other users, so
 * group/world write on it matters only when the entry below is not root's.
 */
export function replaceableBy(file: PathNode, dirs: readonly PathNode[]): string[] {
  const out = writers(file);
  let child = file;
  for (const dir of dirs) {
    const stickyProtected = (dir.mode & S_ISVTX) !== 0 && child.uid === 0;
    out.push(...writers(dir, !stickyProtected));
    child = dir;
  }
  return out;
}

/** "/a/b/sbx" → ["/a/b", "/a", "/"]. */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  let p = path;
  while (p !== "/") {
    p = p.slice(0, p.lastIndexOf("/")) || "/";
    out.push(p);
  }
  return out;
}
