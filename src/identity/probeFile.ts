// The file-system side of the PATH lookup: stat(2) following symlinks, then access(X_OK) with the
// ids this process has now, so the answer is the target user's once the ids are switched.
import { access, isDirectory, stat, X_OK } from "../sys/file.ts";
import type { ByteString } from "../text/bytes.ts";
import type { FileProbe } from "./lookPath.ts";

export function probeFile(path: ByteString): FileProbe {
  const st = stat(path);
  if (!st.ok) return { kind: "unreachable", errno: st.errno };
  if (isDirectory(st.value)) return { kind: "directory" };
  return access(path, X_OK).ok ? { kind: "executable" } : { kind: "not-executable" };
}
