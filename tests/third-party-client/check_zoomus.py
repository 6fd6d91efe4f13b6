"""Drive zoom-sim with zoomus, a third-party Zoom client, unchanged.

zoomus is pointed at the simulator only through its own constructor options
(`base_uri` for the API, `oauth_uri` for Server-to-Server OAuth). Every Zoom call
below goes through zoomus; plain HTTP is used only for the simulator's own
`/_sim/*` ground truth, which is not part of Zoom's API.

Usage: check_zoomus.py BASE_URL ACCOUNT_ID CLIENT_ID CLIENT_SECRET
Prints one line per check, then `RESULT passed=N failed=M`; exits 1 on any failure.
"""

import json
import sys
import urllib.request
from importlib.metadata import version

from zoomus import ZoomClient

PAGE_SIZE = 30  # Zoom's default page size: several pages for the account run.sh starts

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(f"  {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
    return ok


def sim_get(base, path):
    with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:
        return json.load(response)


def body_of(response):
    try:
        return response.json()
    except ValueError:
        return response.text


def main():
    base, account_id, client_id, client_secret = sys.argv[1:5]
    print(f"zoomus {version('zoomus')} against {base}", flush=True)

    def client(secret=client_secret):
        return ZoomClient(
            client_id,
            secret,
            account_id,
            base_uri=f"{base}/v2",
            oauth_uri=f"{base}/oauth/token",
            timeout=10,
        )

    # 1. Server-to-Server OAuth: zoomus fetches the token in its constructor.
    zoom = client()
    token = zoom.config.get("token")
    rejected = client("not-the-secret").config.get("token")
    check(
        "S2S OAuth token (account_credentials, Basic client auth, form body)",
        isinstance(token, str) and token != "" and rejected is None,
        f"token issued ({len(token or '')} chars); wrong secret -> token {rejected!r}",
    )

    everyone = sim_get(base, "/_sim/users")["users"]
    active_truth = {u["id"] for u in everyone if u["status"] == "active"}

    # 2. List every active user, following next_page_token across pages.
    listed, pages, total_records, problems = [], 0, None, []
    next_token = ""
    while True:
        params = {"status": "active", "page_size": PAGE_SIZE}
        if next_token:
            params["next_page_token"] = next_token
        response = zoom.user.list(**params)
        if response.status_code != 200:
            problems.append(f"page {pages + 1}: HTTP {response.status_code} {body_of(response)}")
            break
        page = response.json()
        pages += 1
        total_records = page.get("total_records")
        listed.extend(page.get("users", []))
        next_token = page.get("next_page_token") or ""
        if not next_token or pages > 100:
            break
    listed_ids = [u.get("id") for u in listed]
    if any(u.get("status") != "active" for u in listed):
        problems.append("a listed user is not active")
    if len(set(listed_ids)) != len(listed_ids):
        problems.append("a user was listed twice")
    if set(listed_ids) != active_truth:
        problems.append(f"ids differ from /_sim/users ({len(set(listed_ids) ^ active_truth)} differ)")
    if total_records != len(active_truth):
        problems.append(f"total_records {total_records}")
    check(
        "list active users across pages",
        pages > 1 and len(listed) == len(active_truth) and not problems,
        f"{len(listed)} listed in {pages} pages of {PAGE_SIZE}, /_sim/users has {len(active_truth)} active"
        + (f"; {'; '.join(problems)}" if problems else ""),
    )

    members = [u for u in everyone if u["role_name"] == "Member" and u["status"] == "active"]
    to_deactivate, to_delete = members[0], members[1]

    # 3. Get one user by email.
    response = zoom.user.get(id=to_deactivate["email"])
    user = body_of(response)
    check(
        "get user by email",
        response.status_code == 200
        and isinstance(user, dict)
        and user.get("email") == to_deactivate["email"]
        and user.get("id") == to_deactivate["id"]
        and user.get("status") == "active",
        f"GET /users/{to_deactivate['email']} -> HTTP {response.status_code}, id {user.get('id') if isinstance(user, dict) else user!r}",
    )

    # 4. Deactivate a member.
    response = zoom.user.update_status(id=to_deactivate["id"], action="deactivate")
    check(
        "deactivate a member",
        response.status_code == 204,
        f"PUT /users/{to_deactivate['id']}/status {{action: deactivate}} -> HTTP {response.status_code} {response.text!r}",
    )

    # 5. Delete another member.
    response = zoom.user.delete(id=to_delete["id"], action="delete")
    check(
        "delete a member",
        response.status_code == 204,
        f"DELETE /users/{to_delete['id']}?action=delete -> HTTP {response.status_code} {response.text!r}",
    )

    # 6. The owner cannot be deactivated: Zoom's error shape reaches the client.
    owner = next(u for u in everyone if u["role_name"] == "Owner")
    response = zoom.user.update_status(id=owner["id"], action="deactivate")
    error = body_of(response)
    check(
        "deactivating the owner is refused with {code, message}",
        response.status_code == 400 and isinstance(error, dict) and {"code", "message"} <= error.keys(),
        f"HTTP {response.status_code} {error}",
    )

    # 7. Ground truth: the first member is inactive, the second is gone, nothing else changed.
    after = {u["id"]: u for u in sim_get(base, "/_sim/users")["users"]}
    operations = sim_get(base, "/_sim/operations")["operations"]
    # The log holds every state-changing call; the refused ones carry applied=false.
    applied = [(op["op"], op["user_id"]) for op in operations if op.get("applied", True)]
    expected_ops = [("deactivate", to_deactivate["id"]), ("delete", to_delete["id"])]
    check(
        "simulator state: deactivated member inactive, deleted member gone",
        after.get(to_deactivate["id"], {}).get("status") == "inactive"
        and to_delete["id"] not in after
        and len(after) == len(everyone) - 1
        and applied == expected_ops,
        f"{to_deactivate['email']} is {after.get(to_deactivate['id'], {}).get('status')}, "
        f"{to_delete['email']} {'gone' if to_delete['id'] not in after else 'still there'}; operations {applied}",
    )

    print(f"RESULT passed={passed} failed={failed}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # a crash is a failure, reported as such
        print(f"  FAIL zoomus check crashed: {type(error).__name__}: {error}", flush=True)
        print(f"RESULT passed={passed} failed={failed + 1}", flush=True)
        sys.exit(1)
