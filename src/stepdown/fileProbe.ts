// The file-system side of the PATH lookup: stat(2) following symlinks, then access(X_OK) with the
// ids this process has now, so the answer is the target user's once the ids are switched.
import { accessSync, constants, statSync } from "node:fs";
import type { FileProbe } from "../user/lookPath.ts";

export function probeFile(path: string): FileProbe {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    return { kind: "unreachable", errno: (e as NodeJS.ErrnoException).code ?? "EIO" };
  }
  if (isDir) return { kind: "directory" };
  try {
    accessSync(path, constants.X_OK);
    return { kind: "executable" };
  } catch {
    return { kind: "not-executable" };
  }
}
