// A parsed user spec plus the user database → the ids, home and supplementary groups to switch to.
//
// Identity (as gosu / moby/sys/user GetExecUser):
//  - USER by name: the first /etc/passwd entry with that name; none is an error.
//  - USER by number: the first entry with that uid if there is one (its name, gid, home and shell
//    apply), otherwise the bare uid, with HOME=/.
//  - GROUP by name: the first /etc/group entry with that name; none is an error. By number: that
//    gid, with or without an entry.
//  - No GROUP: the passwd entry's gid. For a uid without an entry the rules differ by front end
//    (IdentityRules): gosu mode keeps the caller's gid, as gosu, Docker's `-u UID` and setpriv do
//    (0 in an entrypoint: `gosu 1000 id` prints gid=0); `sbx exec` refuses and asks for a group,
//    because any default silently puts the workload into some group (gid = uid would make
//    `--user 27` a member of `sudo` on Debian, the caller's gid makes it root's group).
// So in `sbx exec`, uid or gid 0 only ever comes from a spec that says 0/root, or from an entry it
// names whose passwd/group line says 0; never from a default, a bad number (moby reads a bad uid
// field as 0), or the caller. Ids are 0..2^31-1 by construction, never -1 ("unchanged" to setres*id).
// HOME is the entry's home field, or "/" without an entry; an empty field is "/" in `sbx exec`
// and stays empty in gosu mode, as in gosu.
//
// Supplementary groups (GroupsPolicy; undefined = gosu's rule):
//  - default, USER with a passwd entry and no GROUP: as `init`. That is gosu's rule (the user's
//    /etc/group memberships) plus the primary gid, which gosu leaves out unless /etc/group lists the
//    user in it. A gid held only as egid is lost when the workload runs a setgid program, and with
//    it any "group G is denied" restriction (0705 owner-root group-G files; cri-o #8268).
//  - default, USER:GROUP, or a uid without entry: exactly [gid] (gosu: none, the gid held only as
//    egid; see above).
//  - init: [gid, passwd gid, every group listing the user's name], first occurrence kept, as
//    initgroups(3) does without NSS. Needs a passwd entry.
//  - clear: none.
//  - keep: the caller's current groups, passed in. The only way the caller's (root's) own
//    supplementary groups reach the workload, so it must be asked for by name.
//  - LIST: exactly these groups, by name or number (numbers need no entry); the primary gid is not
//    added, because the operator listed what they want.
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { type Fail, failFor } from "./errors.ts";
import type { GroupEntry, PasswdEntry, UserDb } from "./passwd.ts";
import { type IdRef, parseIdRef, type UserSpec } from "./spec.ts";

export type GroupsPolicy =
  | { readonly kind: "init" }
  | { readonly kind: "clear" }
  | { readonly kind: "keep" }
  | { readonly kind: "list"; readonly text: ByteString; readonly groups: readonly IdRef[] };

/** Which rule produced ResolvedUser.groups, for --dry-run and the report. */
export type GroupsRule = "init" | "primary" | "clear" | "keep" | "list";

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  /** The passwd entry's home, or "/" without an entry (an empty field: see IdentityRules). */
  readonly home: ByteString;
  /** The passwd entry's shell, when there is an entry and the field is not empty. */
  readonly shell?: ByteString;
  /** The passwd entry's name, when there is an entry. */
  readonly name?: ByteString;
  /** Supplementary groups to set, in order, without duplicates. */
  readonly groups: readonly number[];
  readonly groupsRule: GroupsRule;
}

/** Where `sbx exec` and gosu mode differ (see above). */
export interface IdentityRules {
  /** A uid without a passwd entry and no group: refuse, or take the caller's gid (gosu). */
  readonly bareUid: "refuse" | "caller-gid";
  /** An empty home field: "/" (sbx exec), or kept empty (gosu: HOME=""). */
  readonly emptyHome: "root-dir" | "empty";
}

export const EXEC_RULES: IdentityRules = { bareUid: "refuse", emptyHome: "root-dir" };
export const GOSU_RULES: IdentityRules = { bareUid: "caller-gid", emptyHome: "empty" };

export interface ResolveOptions {
  readonly rules: IdentityRules;
  /** The caller's real gid, for a bare uid under gosu's rule. */
  readonly callerGid: number;
  /** Undefined: gosu's rule (see above). */
  readonly groups?: GroupsPolicy;
  /** The caller's supplementary groups (getgroups(2)); read only by `keep`. */
  readonly currentGroups: readonly number[];
}

/** `init`, `clear`, `keep`, or a comma list of group names and numbers. */
export function parseGroupsPolicy(text: ByteString): GroupsPolicy {
  if (text === "init" || text === "clear" || text === "keep") return { kind: text };
  const fail = failFor("groups", text);
  const items = text.split(",");
  if (items.some((item) => item === "")) {
    throw fail("empty-item", text, "empty item (expected init, clear, keep or a comma list of groups)");
  }
  return { kind: "list", text, groups: items.map((item) => parseIdRef(item, "group", fail)) };
}

export function resolveUser(spec: UserSpec, db: UserDb, options: ResolveOptions): ResolvedUser {
  const fail = failFor("user spec", spec.text);

  const entry = findUser(db.passwd, spec.user);
  let uid: number;
  if (entry) uid = entry.uid;
  else if (spec.user.kind === "id") uid = spec.user.id;
  else throw fail("unknown-user", spec.user.name, `no user ${quote(spec.user.name)} in /etc/passwd`);
  let gid: number;
  if (spec.group) gid = groupId(db.group, spec.group, fail);
  else if (entry) gid = entry.gid;
  else if (options.rules.bareUid === "caller-gid") gid = options.callerGid;
  else throw fail("no-group", spec.text, `uid ${uid} has no entry in /etc/passwd, so it has no group of its own; name one, e.g. ${uid}:${uid} or ${uid}:0`);

  const { groups, rule } = supplementaryGroups({ spec, entry, uid, gid }, db.group, options, fail);
  return {
    uid,
    gid,
    home: entry ? entry.home || (options.rules.emptyHome === "empty" ? "" : "/") : "/",
    ...(entry?.shell ? { shell: entry.shell } : {}),
    ...(entry ? { name: entry.name } : {}),
    groups: unique(groups),
    groupsRule: rule,
  };
}

interface Target {
  spec: UserSpec;
  entry: PasswdEntry | undefined;
  uid: number;
  gid: number;
}

function supplementaryGroups(
  { spec, entry, uid, gid }: Target,
  group: readonly GroupEntry[],
  options: ResolveOptions,
  fail: Fail,
): { groups: number[]; rule: GroupsRule } {
  const policy = options.groups ?? (entry && !spec.group ? { kind: "init" } : undefined);
  switch (policy?.kind) {
    case undefined:
      return { groups: [gid], rule: "primary" };
    case "init": {
      if (!entry) {
        throw fail(
          "no-passwd-entry",
          spec.text,
          `groups "init" needs a /etc/passwd entry for uid ${uid} to find its memberships; use clear, keep or a list`,
        );
      }
      const memberships = group.filter((g) => g.members.includes(entry.name)).map((g) => g.gid);
      return { groups: [gid, entry.gid, ...memberships], rule: "init" };
    }
    case "clear":
      return { groups: [], rule: "clear" };
    case "keep":
      return { groups: [...options.currentGroups], rule: "keep" };
    case "list":
      return { groups: policy.groups.map((ref) => groupId(group, ref, failFor("groups", policy.text))), rule: "list" };
  }
}

function findUser(passwd: readonly PasswdEntry[], ref: IdRef): PasswdEntry | undefined {
  return passwd.find((e) => (ref.kind === "id" ? e.uid === ref.id : e.name === ref.name));
}

function groupId(group: readonly GroupEntry[], ref: IdRef, fail: Fail): number {
  if (ref.kind === "id") return ref.id;
  const entry = group.find((g) => g.name === ref.name);
  if (!entry) throw fail("unknown-group", ref.name, `no group ${quote(ref.name)} in /etc/group`);
  return entry.gid;
}

function unique(ids: readonly number[]): number[] {
  return [...new Set(ids)];
}
