"""Print a development JWT: ``python -m crm_dev.token --role ADMIN --user alice --team east``.

Signed with ``JWT_SECRET`` (or the dev default) exactly like the services expect.
"""

from __future__ import annotations

import argparse
import os
import sys

from crm_kit.auth import Role, issue_dev_token
from crm_kit.settings import AuthSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_dev.token")
    parser.add_argument("--role", default=os.environ.get("ROLE", "ADMIN"), help="comma separated")
    parser.add_argument("--user", default=os.environ.get("USER_ID", "alice"))
    parser.add_argument("--team", default=os.environ.get("TEAM", ""))
    parser.add_argument("--name", default="")
    parser.add_argument("--ttl", type=int, default=12 * 3600, help="seconds")
    args = parser.parse_args(argv)
    roles = [r.strip().upper() for r in args.role.split(",") if r.strip()]
    unknown = [r for r in roles if r not in Role.__members__]
    if unknown or not roles:
        valid = ", ".join(Role.__members__)
        print(f"unknown role(s) {', '.join(unknown) or '(none)'}: use {valid}", file=sys.stderr)
        return 2
    settings = AuthSettings.from_env()
    print(
        issue_dev_token(
            settings.jwt_secret,
            sub=args.user,
            roles=roles,
            team=args.team,
            name=args.name or args.user,
            ttl_seconds=args.ttl,
            issuer=settings.issuer,
            audience=settings.audience,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
