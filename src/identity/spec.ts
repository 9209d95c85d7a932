// USER[:GROUP], parsed the way gosu does it (github.com/moby/sys/user GetExecUser), minus the
// forms that let an empty or oddly written value run the workload as root.
//
// Each part is a number or a name. A part that is a plain decimal id is always an id, even when a
// user or group has that digit string as its name (as in moby). Anything else is a name and must be
// found later in /etc/passwd or /etc/group: "0day", "0x0", "1e3", " 0" and "root\n" are names, so
// they fail as unknown unless such an entry exists.
//
// Where sbx refuses what gosu 1.14 accepts:
//  - an empty user part ("", ":", ":grp", "::"): gosu keeps the current user — root, when an unset
//    $APP_USER reaches `gosu "$APP_USER" …` in an entrypoint;
//  - a number with a sign or leading zeros ("+0", "00", "+1000", "01000"): gosu reads them as the
//    plain id, so "+0" and "00" are root without saying "0";
//  - more than one ':' ("0:0:0"): gosu 1.14 ignores everything after the second part, newer gosu
//    looks up a group named "0:0";
//  - a name longer than 255 bytes (LOGIN_NAME_MAX - 1): no user database entry can be that long
//    in practice, and the message stays short.
// Where sbx and gosu agree: "USER:" means "USER" (empty group part = no group given); ids must be
// within 0..2^31-1 ("-1", "4294967295" are range errors; gosu 1.14 calls an overflowing
// "99999999999999999999" an unknown name instead, newer gosu a range error, as here).
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { type Fail, failFor } from "./errors.ts";
import { classifyNonId, MAX_ID, parseId } from "./id.ts";

/** A user or group as the operator wrote it. */
export type IdRef = { readonly kind: "id"; readonly id: number } | { readonly kind: "name"; readonly name: ByteString };

export interface UserSpec {
  /** Exactly as given (bytes), for messages and reports. */
  readonly text: ByteString;
  readonly user: IdRef;
  /** Absent for "USER" and "USER:". */
  readonly group?: IdRef;
}

export const MAX_NAME_BYTES = 255;

export function parseUserSpec(text: ByteString): UserSpec {
  const parts = text.split(":");
  const [userPart = "", groupPart = ""] = parts;
  const fail = failFor("user spec", text);

  if (userPart === "") {
    throw fail("empty-user", text, "the user part is empty (gosu would keep the current user, usually root); name a user or uid");
  }
  if (parts.length > 2) throw fail("extra-colon", text, "more than one ':' (expected USER[:GROUP])");

  const user = parseIdRef(userPart, "user", fail);
  const group = groupPart === "" ? undefined : parseIdRef(groupPart, "group", fail);
  return group ? { text, user, group } : { text, user };
}

/** One user or group part; `fail` builds the error so each caller names its own input. */
export function parseIdRef(part: ByteString, what: "user" | "group", fail: Fail): IdRef {
  const id = parseId(part);
  if (id !== undefined) return { kind: "id", id };
  switch (classifyNonId(part)) {
    case "out-of-range":
      throw fail("out-of-range", part, `${what} id ${quote(part)} is outside 0-${MAX_ID}`);
    case "not-canonical":
      throw fail("not-canonical", part, `${what} id ${quote(part)} must be written plainly (no sign, no leading zeros)`);
    case "name":
      if (part.length > MAX_NAME_BYTES) {
        throw fail("name-too-long", part, `${what} name ${quote(part)} is longer than ${MAX_NAME_BYTES} bytes`);
      }
      return { kind: "name", name: part };
  }
}
