#!/usr/bin/env python3
"""The layering rules of issue 16, checked on the source (run by scripts/test.sh):

- rexian-server does not depend on rexian-store: its handlers reach the database only through
  the use cases of rexian-app (Cargo.toml names no rexian-store, the source names no
  `rexian_store`);
- no function in rexian-server is 80 lines or longer (signature to closing brace, as rustfmt
  lays it out).

Prints the longest functions; exits 1 when a rule is broken.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVER = ROOT / "crates" / "rexian-server"
LIMIT = 80
FN = re.compile(r"^(\s*)(pub(\([^)]*\))? )?(const )?(async )?(unsafe )?fn \w+")


def functions(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        indent = m.group(1)
        for j in range(i, len(lines)):
            # A body-less declaration (trait method) ends with `;` before any `{`.
            if lines[j].rstrip().endswith(";") and "{" not in "".join(lines[i : j + 1]):
                break
            if j > i and lines[j] == indent + "}":
                yield (j - i + 1, f"{path.relative_to(ROOT)}:{i + 1}", line.strip())
                break
            if j == i and line.rstrip().endswith("}"):
                break


def main():
    broken = []
    deps = (SERVER / "Cargo.toml").read_text(encoding="utf-8")
    section = deps.split("[dependencies]", 1)[1].split("\n[", 1)[0]
    if re.search(r"^rexian-store\s*=", section, re.M):
        broken.append("crates/rexian-server/Cargo.toml depends on rexian-store")
    sizes = []
    for path in sorted((SERVER / "src").rglob("*.rs")):
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            if "rexian_store" in line:
                broken.append(f"{path.relative_to(ROOT)}:{n} names rexian_store")
        sizes.extend(functions(path))
    sizes.sort(reverse=True)
    print("longest functions in rexian-server:")
    for n, where, sig in sizes[:5]:
        print(f"  {n:4} lines  {where}  {sig[:70]}")
    broken += [f"{w} is {n} lines (limit {LIMIT - 1})" for n, w, _ in sizes if n >= LIMIT]
    for b in broken:
        print("layers: " + b, file=sys.stderr)
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
