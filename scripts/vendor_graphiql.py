"""Fetch the pinned GraphiQL bundle from the npm registry into app/gateway/static/vendor.

GraphiQL is served from Newsgate itself, never a CDN, so that it works offline, behind
proxies and under a strict Content-Security-Policy. The files are committed: running
Newsgate needs no Node.js. To update, change the versions below, run this script (it needs
npm), run the browser test (tests/test_graphiql.py) and commit what changed.
"""

import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "app" / "gateway" / "static" / "vendor"

# package@version: {file in the package: file served}. GraphiQL 4 is the last major version
# with browser-ready (UMD) builds, and React 18 the last with them too.
PACKAGES = {
    "react@18.3.1": {"umd/react.production.min.js": "react.production.min.js"},
    "react-dom@18.3.1": {"umd/react-dom.production.min.js": "react-dom.production.min.js"},
    "graphiql@4.1.2": {
        "graphiql.min.js": "graphiql.min.js",
        "graphiql.min.css": "graphiql.min.css",
    },
    "@graphiql/plugin-explorer@4.0.6": {
        "dist/index.umd.js": "plugin-explorer.umd.js",
        "dist/style.css": "plugin-explorer.css",
    },
    # Bundled inside the explorer plugin's file: only its licence is copied.
    "graphiql-explorer@0.9.0": {},
}
LICENCE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt")


def npm_pack(spec: str, into: Path) -> tuple[Path, dict[str, str]]:
    """The package's tarball (npm checks its integrity) and its package.json."""
    out = subprocess.run(
        ["npm", "pack", "--json", spec], cwd=into, check=True, capture_output=True, text=True
    ).stdout
    info = json.loads(out)[0]
    tarball = into / info["filename"]
    with tarfile.open(tarball) as archive:
        archive.extractall(into / info["name"].replace("/", "+"), filter="data")
    return into / info["name"].replace("/", "+") / "package", info


def main() -> None:
    shutil.rmtree(VENDOR, ignore_errors=True)
    (VENDOR / "licenses").mkdir(parents=True)
    notice = [
        "# Vendored GraphiQL",
        "",
        "Written by scripts/vendor_graphiql.py from the npm registry; do not edit by hand.",
        "",
        "| package | version | licence | integrity | files |",
        "| --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as temporary:
        for spec, files in PACKAGES.items():
            package, info = npm_pack(spec, Path(temporary))
            manifest = json.loads((package / "package.json").read_text())
            for source, served in files.items():
                shutil.copyfile(package / source, VENDOR / served)
            licence = next((package / n for n in LICENCE_FILES if (package / n).exists()), None)
            name = info["name"].replace("/", "+")
            if licence is not None:
                shutil.copyfile(licence, VENDOR / "licenses" / f"{name}.txt")
            notice.append(
                f"| {info['name']} | {info['version']} | {manifest.get('license')}"
                f"{'' if licence else ' (no licence file in the package)'} "
                f"| {info['integrity']} | {', '.join(files.values()) or 'bundled in another'} |"
            )
    notice += [
        "",
        "@graphiql/plugin-explorer ships no licence file; it is published from the same",
        "repository as graphiql, under the same MIT licence (licenses/graphiql.txt).",
    ]
    (VENDOR / "NOTICE.md").write_text("\n".join(notice) + "\n")
    print(f"wrote {VENDOR}")


if __name__ == "__main__":
    main()
