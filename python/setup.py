"""Builds libgaussianmixtures.so with SwiftPM and bundles it, with the Swift runtime libraries it
loads, into the package's _lib folder, so the installed package needs no Swift toolchain on the
library path (only Debian's liblapacke and libopenblas)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution


def repository_root():
    """The Swift package: GAUSSIANMIXTURES_SWIFT_ROOT, or the folder above this one (pip builds in place)."""
    root = Path(os.environ.get("GAUSSIANMIXTURES_SWIFT_ROOT", Path(__file__).resolve().parent.parent))
    if not (root / "Package.swift").exists():
        raise SystemExit(f"gaussianmixtures: no Package.swift in {root}; build from the repository "
                         "(pip install ./python) or set GAUSSIANMIXTURES_SWIFT_ROOT")
    return root


def build_library(root):
    """One release build of the library product, with $ORIGIN as its only run path."""
    scratch = root / ".build-python"
    command = ["swift", "build", "-c", "release", "--product", "gaussianmixtures", "--scratch-path", str(scratch),
               "-Xswiftc", "-no-toolchain-stdlib-rpath", "-Xlinker", "-rpath", "-Xlinker", "$ORIGIN"]
    print("gaussianmixtures: " + " ".join(command), flush=True)
    subprocess.run(command, cwd=root, check=True)
    binpath = subprocess.run(command[:4] + ["--scratch-path", str(scratch), "--show-bin-path"], cwd=root, check=True,
                             capture_output=True, text=True).stdout.strip()
    return Path(binpath) / "libgaussianmixtures.so"


def swift_runtime_dir():
    """The toolchain folder of the Swift runtime libraries (…/usr/lib/swift/linux)."""
    swift = shutil.which("swift")
    if swift is None:
        raise SystemExit("gaussianmixtures: swift is not on PATH; install Swift 6 to build the package")
    return Path(swift).resolve().parent.parent / "lib" / "swift" / "linux"


def runtime_dependencies(library, runtime):
    """Every library `library` loads, directly or not, that lives in the toolchain's runtime folder."""
    env = dict(os.environ, LD_LIBRARY_PATH=str(runtime))
    out = subprocess.run(["ldd", str(library)], check=True, capture_output=True, text=True, env=env).stdout
    found = []
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m and Path(m.group(2)).resolve().parent == runtime.resolve():
            found.append(Path(m.group(2)))
    return found


class BuildWithSwift(build_py):
    def run(self):
        super().run()
        root = repository_root()
        library = build_library(root)
        target = Path(self.build_lib) / "gaussianmixtures" / "_lib"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library, target / library.name)
        for dependency in runtime_dependencies(library, swift_runtime_dir()):
            shutil.copy2(dependency, target / dependency.name)
            print(f"gaussianmixtures: bundled {dependency.name}", flush=True)


class BinaryDistribution(Distribution):
    """The wheel holds a native library: mark it platform-specific."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithSwift}, distclass=BinaryDistribution)
