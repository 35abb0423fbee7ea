#!/usr/bin/env python3
"""Checks that GeoFilterCore's layer folders only use the layers before them.

The layers, in the order data flows (Docs/Architecture.md):

    Platform  Addresses  Sets  Regions  Database  Policy  Plan  Backends  Updates

A file may name what its own folder and the folders before it declare, never what a later
folder declares. Platform comes first: anyone may use it, and it uses no other layer.
Backends/Nftables and Backends/IPSet may use Backends/ itself but not each other.

What counts as naming: a top-level type (struct, enum, class, protocol, actor, typealias)
declared in a later folder, or a member that a later folder adds to a type in an extension
(`extension CIDRSet { var rangeBounds ... }` in Backends/ makes `rangeBounds` a Backends name,
unless an earlier layer declares a member of that name too). Comments and the text of string
literals are ignored; code in string interpolations is not.

The layers below the plan (Platform, Addresses, Sets, Regions, Database, Policy) also may not
use an identifier that speaks of a kernel backend (nft, ipset, hashNet, iptables).

Usage: check-layering.py [--root DIR]   (DIR: the package, default this script's parent's parent)
Exit status 0 when clean, 1 with one line per violation ("FILE:LINE: ..."), 2 on a usage error.
"""
import os
import re
import sys

LAYERS = ["Platform", "Addresses", "Sets", "Regions", "Database", "Policy", "Plan", "Backends", "Updates"]
# Sub-layers of Backends that must not use each other.
SIBLINGS = {"Backends/Nftables", "Backends/IPSet"}
BACKEND_FREE = {"Platform", "Addresses", "Sets", "Regions", "Database", "Policy"}
BACKEND_WORDS = re.compile(r"nft|ipset|hashnet|iptables", re.IGNORECASE)

TYPE_DECL = re.compile(
    r"^(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private|final|indirect)\s+)*"
    r"(?:struct|enum|class|protocol|actor|typealias)\s+([A-Za-z_]\w*)")
EXTENSION = re.compile(r"^(?:(?:public|package|internal|fileprivate|private)\s+)*extension\s+([A-Za-z_][\w.]*)")
MEMBER_DECL = re.compile(
    r"^    (?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private|static|final|"
    r"mutating|nonmutating|override|class|nonisolated|consuming|borrowing)\s+)*"
    r"(?:func|var|let)\s+([A-Za-z_]\w*)")
IDENT = re.compile(r"[A-Za-z_]\w*")


def strip_code(text):
    """The file's code with comments removed and string literal text blanked (interpolations
    kept), line structure preserved."""
    out = []
    i = 0
    n = len(text)
    depth_stack = []  # for strings: ("str", multiline) ; parentheses depth inside interpolation
    mode = "code"
    paren = 0
    interp_stack = []  # saved (multiline) of strings we are interpolating in, with paren depth
    multiline = False
    while i < n:
        c = text[i]
        if mode == "code":
            if text.startswith("//", i):
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            if text.startswith("/*", i):
                level = 1
                i += 2
                while i < n and level:
                    if text.startswith("/*", i):
                        level += 1
                        i += 2
                    elif text.startswith("*/", i):
                        level -= 1
                        i += 2
                    else:
                        if text[i] == "\n":
                            out.append("\n")
                        i += 1
                continue
            if text.startswith('"""', i):
                mode, multiline = "string", True
                out.append('"')
                i += 3
                continue
            if c == '"':
                mode, multiline = "string", False
                out.append('"')
                i += 1
                continue
            if interp_stack:
                if c == "(":
                    paren += 1
                elif c == ")":
                    if paren == 0:
                        multiline, paren = interp_stack.pop()
                        mode = "string"
                        i += 1
                        continue
                    paren -= 1
            out.append(c)
            i += 1
        else:  # string
            if c == "\\" and i + 1 < n:
                if text[i + 1] == "(":
                    interp_stack.append((multiline, paren))
                    paren = 0
                    mode = "code"
                    out.append(" ")
                    i += 2
                    continue
                i += 2
                continue
            if multiline and text.startswith('"""', i):
                mode = "code"
                out.append('"')
                i += 3
                continue
            if not multiline and c == '"':
                mode = "code"
                out.append('"')
                i += 1
                continue
            if c == "\n":
                out.append("\n")
            i += 1
    return "".join(out)


def layer_of(relative):
    parts = relative.split(os.sep)
    if len(parts) < 2 or parts[0] not in LAYERS:
        return None
    if parts[0] == "Backends" and len(parts) > 2 and "Backends/" + parts[1] in SIBLINGS:
        return "Backends/" + parts[1]
    return parts[0]


def rank(layer):
    return LAYERS.index(layer.split("/")[0])


def may_use(user, owner):
    """Whether a file of layer `user` may name what layer `owner` declares."""
    if user == owner or owner == "Platform":
        return True
    if user == "Platform":
        return False
    if user in SIBLINGS and owner in SIBLINGS:
        return False
    if owner in SIBLINGS:  # a backend's own names are for that backend only
        return False
    if user in SIBLINGS and owner == "Backends":
        return True
    return rank(owner) < rank(user)


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if len(argv) == 3 and argv[1] == "--root":
        root = argv[2]
    elif len(argv) != 1:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    source_root = os.path.join(root, "Sources", "GeoFilterCore")
    if not os.path.isdir(source_root):
        print(f"check-layering: {source_root} does not exist", file=sys.stderr)
        return 2

    files = {}
    problems = []
    for directory, _, names in os.walk(source_root):
        for name in sorted(names):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, source_root)
            layer = layer_of(relative)
            if layer is None:
                problems.append(f"{relative}:1: not in a layer folder ({' '.join(LAYERS)})")
                continue
            with open(path, encoding="utf-8") as handle:
                files[relative] = (layer, strip_code(handle.read()))

    # Who declares what: types by the layer of their file; extension members by the lowest layer
    # that declares a member of that name.
    type_owner = {}
    for relative, (layer, code) in files.items():
        for line in code.splitlines():
            match = TYPE_DECL.match(line)
            if match:
                type_owner.setdefault(match.group(1), set()).add(layer)
    # Direct members of a type's body or of an extension of one of this module's types.
    declared_members = {}
    extension_members = {}
    for relative, (layer, code) in files.items():
        extended = None
        for line in code.splitlines():
            if TYPE_DECL.match(line):
                extended = None
                continue
            match = EXTENSION.match(line)
            if match:
                base = match.group(1).split(".")[0]
                owners = type_owner.get(base)
                extended = base if owners and layer not in owners else None
                continue
            member = MEMBER_DECL.match(line)
            if member:
                declared_members.setdefault(member.group(1), set()).add(layer)
                if extended:
                    extension_members.setdefault(member.group(1), set()).add(layer)
    member_layers = {name: layers for name, layers in extension_members.items()
                     if declared_members[name] == layers}

    for relative, (layer, code) in sorted(files.items()):
        for number, line in enumerate(code.splitlines(), start=1):
            for match in IDENT.finditer(line):
                word = match.group(0)
                owners = type_owner.get(word)
                if owners and not any(may_use(layer, owner) for owner in owners):
                    problems.append(f"{relative}:{number}: {layer} names {word}, declared in {'/'.join(sorted(owners))}")
                    continue
                start = match.start()
                if start > 0 and line[start - 1] == "." and word in member_layers and not owners:
                    layers = member_layers[word]
                    if not any(may_use(layer, owner) for owner in layers):
                        problems.append(
                            f"{relative}:{number}: {layer} uses .{word}, added by {'/'.join(sorted(layers))}")
                        continue
                if layer in BACKEND_FREE and BACKEND_WORDS.search(word):
                    problems.append(f"{relative}:{number}: {layer} speaks of a kernel backend ({word})")

    for problem in problems:
        print(problem)
    if problems:
        print(f"check-layering: {len(problems)} violation(s) of the layer order {' < '.join(LAYERS)}",
              file=sys.stderr)
        return 1
    print(f"check-layering: {len(files)} files, layers in order")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
