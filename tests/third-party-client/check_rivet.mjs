// Drive zoom-sim's Users API with @zoom/rivet, Zoom's official Node SDK, unchanged.
//
// rivet is pointed at the simulator through its own constructor options: `baseUrl` for
// the API and `tokenStore` for the access token. Its OAuth host cannot be configured:
// rivet 0.4.0 builds the token URL from a module constant,
//   users/users.mjs: const OAUTH_BASE_URL = "https://zoom.us";
//                    url: new URL(OAUTH_TOKEN_PATH, OAUTH_BASE_URL).toString()
// so the token is fetched here with rivet's exact request (POST /oauth/token, Basic
// client auth, form body grant_type=account_credentials&account_id=...) and handed to
// rivet through its TokenStore interface; the response is checked against the shape
// rivet's S2SAuth.assertRawToken requires. zoomus (check_zoomus.py) covers OAuth end to end.
//
// Usage: node check_rivet.mjs BASE_URL ACCOUNT_ID CLIENT_ID CLIENT_SECRET
// Prints one line per check, then `RESULT passed=N failed=M`; exits 1 on any failure.

import { readFileSync } from "node:fs";
import { ApiResponseError, UsersS2SAuthClient } from "@zoom/rivet/users";

const PAGE_SIZE = 30;
let passed = 0;
let failed = 0;

function check(name, ok, detail = "") {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`  ${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
  return ok;
}

async function simGet(base, path) {
  const response = await fetch(`${base}${path}`);
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return response.json();
}

async function main() {
  const [base, accountId, clientId, clientSecret] = process.argv.slice(2, 6);
  const rivetVersion = JSON.parse(
    readFileSync(new URL("./node_modules/@zoom/rivet/package.json", import.meta.url), "utf8"),
  ).version;
  console.log(`@zoom/rivet ${rivetVersion} (API calls; OAuth host not configurable) against ${base}`);

  // 1. The token, requested as rivet's Auth.makeOAuthTokenRequest does.
  const tokenResponse = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "account_credentials", account_id: accountId }),
  });
  const raw = await tokenResponse.json();
  check(
    "token response has the shape rivet's S2SAuth.assertRawToken requires",
    tokenResponse.status === 200 &&
      typeof raw.access_token === "string" &&
      typeof raw.expires_in === "number" &&
      typeof raw.scope === "string",
    `HTTP ${tokenResponse.status}, access_token ${typeof raw.access_token}, expires_in ${typeof raw.expires_in}, scope ${typeof raw.scope}`,
  );
  const tokenStore = {
    token: {
      accessToken: raw.access_token,
      expirationTimeIso: new Date(Date.now() + raw.expires_in * 1000).toISOString(),
      scopes: String(raw.scope).split(" "),
    },
    getLatestToken() {
      return this.token;
    },
    storeToken(token) {
      this.token = token;
    },
  };
  const rivet = new UsersS2SAuthClient({
    clientId,
    clientSecret,
    accountId,
    tokenStore,
    baseUrl: `${base}/v2`,
    disableReceiver: true,
  });
  const users = rivet.endpoints.users;

  const everyone = (await simGet(base, "/_sim/users")).users;
  const activeTruth = new Set(everyone.filter((u) => u.status === "active").map((u) => u.id));

  // 2. List every active user across pages.
  const listed = [];
  const problems = [];
  let pages = 0;
  let totalRecords;
  let nextPageToken = "";
  do {
    const query = { status: "active", page_size: PAGE_SIZE };
    if (nextPageToken) query.next_page_token = nextPageToken;
    const { data, statusCode } = await users.listUsers({ query });
    if (statusCode !== 200) problems.push(`page ${pages + 1}: HTTP ${statusCode}`);
    pages += 1;
    totalRecords = data.total_records;
    listed.push(...(data.users ?? []));
    nextPageToken = data.next_page_token ?? "";
  } while (nextPageToken && pages <= 100);
  const listedIds = listed.map((u) => u.id);
  if (listed.some((u) => u.status !== "active")) problems.push("a listed user is not active");
  if (new Set(listedIds).size !== listedIds.length) problems.push("a user was listed twice");
  if (!listedIds.every((id) => activeTruth.has(id))) problems.push("a listed id is not active in /_sim/users");
  if (totalRecords !== activeTruth.size) problems.push(`total_records ${totalRecords}`);
  check(
    "list active users across pages",
    pages > 1 && listed.length === activeTruth.size && problems.length === 0,
    `${listed.length} listed in ${pages} pages of ${PAGE_SIZE}, /_sim/users has ${activeTruth.size} active` +
      (problems.length ? `; ${problems.join("; ")}` : ""),
  );

  const members = everyone.filter((u) => u.role_name === "Member" && u.status === "active");
  const [toDeactivate, toRemove] = members;

  // 3. Get one user by email.
  const got = await users.getUser({ path: { userId: toDeactivate.email } });
  check(
    "get user by email",
    got.statusCode === 200 && got.data.email === toDeactivate.email && got.data.id === toDeactivate.id,
    `GET /users/${toDeactivate.email} -> HTTP ${got.statusCode}, id ${got.data.id}, trackingId ${got.trackingId}`,
  );

  // 4. Deactivate a member.
  const deactivated = await users.updateUserStatus({
    path: { userId: toDeactivate.id },
    body: { action: "deactivate" },
  });
  check(
    "deactivate a member",
    deactivated.statusCode === 204,
    `PUT /users/${toDeactivate.id}/status {action: deactivate} -> HTTP ${deactivated.statusCode}`,
  );

  // 5. Remove another member (disassociate: Zoom's default action).
  const removed = await users.deleteUser({ path: { userId: toRemove.id }, query: { action: "disassociate" } });
  check(
    "disassociate a member",
    removed.statusCode === 204,
    `DELETE /users/${toRemove.id}?action=disassociate -> HTTP ${removed.statusCode}`,
  );

  // 6. The owner cannot be deactivated: rivet turns Zoom's {code, message} into its error.
  const owner = everyone.find((u) => u.role_name === "Owner");
  let thrown;
  try {
    await users.updateUserStatus({ path: { userId: owner.id }, body: { action: "deactivate" } });
  } catch (error) {
    thrown = error;
  }
  check(
    "deactivating the owner is refused with {code, message}",
    thrown instanceof ApiResponseError && /^\[400\/\d+\]: "/.test(thrown.message),
    thrown ? `${thrown.name}: ${thrown.message}` : "no error thrown",
  );

  // 7. Ground truth.
  const after = new Map((await simGet(base, "/_sim/users")).users.map((u) => [u.id, u]));
  const operations = (await simGet(base, "/_sim/operations")).operations;
  // The log holds every state-changing call; the refused ones carry applied=false.
  const lastTwo = operations.filter((op) => op.applied !== false).slice(-2).map((op) => `${op.op} ${op.user_id}`);
  const expected = [`deactivate ${toDeactivate.id}`, `disassociate ${toRemove.id}`];
  check(
    "simulator state: deactivated member inactive, disassociated member gone",
    after.get(toDeactivate.id)?.status === "inactive" &&
      !after.has(toRemove.id) &&
      after.size === everyone.length - 1 &&
      JSON.stringify(lastTwo) === JSON.stringify(expected),
    `${toDeactivate.email} is ${after.get(toDeactivate.id)?.status}, ` +
      `${toRemove.email} ${after.has(toRemove.id) ? "still there" : "gone"}; last operations ${JSON.stringify(lastTwo)}`,
  );
}

try {
  await main();
} catch (error) {
  check("rivet check ran to the end", false, `${error?.name}: ${error?.message}`);
}
console.log(`RESULT passed=${passed} failed=${failed}`);
process.exitCode = failed ? 1 : 0;
