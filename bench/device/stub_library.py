"""Make a stub shared library: the same soname and exported symbols (functions return 0, data are zeroed
bytes of the same size), no code behind them.

    python3 stub_library.py LIB OUTDIR   -> OUTDIR/SONAME (and its .c, .map)
"""
import re, subprocess, sys, os
lib, outdir = sys.argv[1], sys.argv[2]
soname = re.search(r"SONAME\s+(\S+)", subprocess.run(["objdump", "-p", lib], capture_output=True, text=True).stdout).group(1)
out = subprocess.run(["nm", "-D", "--defined-only", "-S", "--with-symbol-versions", lib], capture_output=True, text=True).stdout
funcs, objs, versions = [], [], {}
for line in out.splitlines():
    parts = line.split()
    if len(parts) == 4:
        addr, size, typ, name = parts
    elif len(parts) == 3:
        addr, typ, name = parts; size = "1"
    else:
        continue
    ver = None
    if "@" in name:
        name, ver = re.split(r"@+", name, maxsplit=1)
    if typ == "A":  # version definition symbol
        versions.setdefault(name, [])
        continue
    if ver:
        versions.setdefault(ver, []).append(name)
    if typ in "TtWiI":
        funcs.append(name)
    elif typ in "DdBbRrVGgSs":
        objs.append((name, max(1, int(size, 16))))
c = ["/* stub */"]
for f in sorted(set(funcs)):
    c.append(f"long {f}(void) {{ return 0; }}")
for o, s in sorted(set(objs)):
    c.append(f"char {o}[{s}] __attribute__((aligned(16)));")
src = os.path.join(outdir, soname + ".c")
open(src, "w").write("\n".join(c) + "\n")
cmd = ["gcc", "-shared", "-fPIC", "-w", "-fno-builtin", "-o", os.path.join(outdir, soname), src, f"-Wl,-soname,{soname}"]
if versions:
    vs = os.path.join(outdir, soname + ".map")
    open(vs, "w").write("".join(f"{v} {{ global: {'; '.join(sorted(set(n))) + ';' if n else ''} }};\n" for v, n in versions.items()) )
    cmd.append(f"-Wl,--version-script={vs}")
subprocess.run(cmd, check=True)
print(soname, len(funcs), len(objs), len(versions))
