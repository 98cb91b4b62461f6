"""Put the site online: a container bundle, a static copy, or a real publish.

    python deploy.py bundle  --db data/ogi.db --out dist/bundle [--app NAME]
    python deploy.py static  --db data/ogi.db --out dist/static [--live-url URL]
    python deploy.py publish fly|cloudrun --db data/ogi.db [--app NAME]

`bundle` and `publish` go through `datasette publish` (datasette-publish-fly, and
Datasette's own Cloud Run publisher) with the project's metadata, templates and
plugins. The plugins folder they carry also holds the `parsers` package (the
search plugin imports it) and the pinned requirements, which the generated
Dockerfile installs with `-r … -c constraints.txt`, so a deployment runs the
versions the tests ran, not whatever `pip install -U` finds that day.

`static` writes the static copy (static_copy.py): the database in chunks read
by the browser with range requests, a page per kind of data page, and the
entry pages rendered by the same Datasette.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import static_copy
from serving import setting_options  # the settings every way of serving uses

ROOT = Path(__file__).resolve().parent
DATABASE = "ogi"
# What a deployment installs: the project's pins, every transitive version fixed.
PIP_INSTALL = "-r plugins/requirements.txt -c plugins/constraints.txt"

PROVIDERS = {
    # provider: (its CLI, how to install it, command that succeeds only when logged in, how to log in)
    "fly": ("flyctl", "https://fly.io/docs/flyctl/install/", ["flyctl", "auth", "whoami"], "flyctl auth login"),
    "cloudrun": ("gcloud", "https://cloud.google.com/sdk/docs/install",
                 ["gcloud", "auth", "print-access-token", "--quiet"], "gcloud auth login && gcloud config set project PROJECT"),
}


class DeployError(Exception):
    """A problem the user can fix; printed without a traceback."""


# --- bundle and publish -------------------------------------------------------------------

def stage_plugins(into: Path) -> Path:
    """The plugins folder a deployment carries: our plugins, the pins, and the project itself as
    a wheel (the search plugin imports parsers.search), listed with the requirements."""
    plugins = into / "plugins"
    shutil.copytree(ROOT / "plugins", plugins, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(plugins), str(ROOT)], check=True, cwd=into)
    wheel = next(plugins.glob("ogi_reports-*.whl")).name
    shutil.copy(ROOT / "constraints.txt", plugins / "constraints.txt")
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    (plugins / "requirements.txt").write_text(requirements + f"plugins/{wheel}\n", encoding="utf-8")
    return plugins


def publish_arguments(db: Path, plugins: Path) -> list[str]:
    """Arguments every `datasette publish PROVIDER` here shares."""
    arguments = [str(db), "--metadata", str(ROOT / "metadata.yml"),
                 "--template-dir", str(ROOT / "templates"), "--plugins-dir", str(plugins),
                 f"--install={PIP_INSTALL}", "--version-note", version_note()]
    return arguments + [f"--extra-options={' '.join(setting_options())}"]


def version_note() -> str:
    result = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() or "unversioned"


def datasette_command() -> list[str]:
    return [sys.executable, "-m", "datasette"]


def bundle(db: Path, out: Path, app: str) -> Path:
    """A deployable container bundle (Dockerfile, fly.toml, database, site files) in `out`."""
    _require_database(db)
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as staging:
        plugins = stage_plugins(Path(staging))
        command = datasette_command() + ["publish", "fly", *publish_arguments(db, plugins),
                                         "--app", app, "--generate-dir", str(out)]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise DeployError("datasette publish fly --generate-dir failed:\n" + result.stderr + result.stdout)
    return out


def publish(provider: str, db: Path, app: str) -> None:
    """The real `datasette publish PROVIDER`, once its CLI is installed and logged in."""
    if provider not in PROVIDERS:
        raise DeployError(f"unknown provider {provider!r}: choose one of {', '.join(PROVIDERS)}")
    cli, install_from, logged_in_check, login = PROVIDERS[provider]
    if shutil.which(cli) is None:
        raise DeployError(f"`datasette publish {provider}` needs the {cli} command, which is not installed.\n"
                          f"Install it ({install_from}), log in with `{login}`, then run make publish again.\n"
                          f"Or deploy the container bundle from `make bundle` to any host (see README).")
    if subprocess.run(logged_in_check, capture_output=True).returncode:
        raise DeployError(f"{cli} is installed but not logged in: run `{login}`, then make publish again.")
    _require_database(db)
    name_option = ["--app", app] if provider == "fly" else ["--service", app]
    with tempfile.TemporaryDirectory() as staging:
        plugins = stage_plugins(Path(staging))
        command = datasette_command() + ["publish", provider, *publish_arguments(db, plugins), *name_option]
        if subprocess.run(command, cwd=ROOT).returncode:
            raise DeployError(f"datasette publish {provider} failed (its output is above)")


def _require_database(db: Path) -> None:
    if not db.is_file():
        raise DeployError(f"{db} does not exist: run `make build` first")


# --- command line -------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("bundle", "static", "publish"):
        command = commands.add_parser(name)
        if name == "publish":
            command.add_argument("provider", help="fly or cloudrun")
        command.add_argument("--db", type=Path, default=ROOT / "data" / f"{DATABASE}.db")
        command.add_argument("--app", default="ogi-reports", help="app (Fly) or service (Cloud Run) name")
        if name != "publish":
            command.add_argument("--out", type=Path, default=ROOT / "dist" / name)
        command.add_argument("--live-url", default="", help="the live site, for what a static copy cannot do")
        if name == "static":
            command.add_argument("--chunk-bytes", type=int, default=static_copy.CHUNK_BYTES,
                                 help="largest file of the database's chunks (default 20 MiB)")
    args = parser.parse_args(argv)
    try:
        if args.command == "bundle":
            print(f"bundle written to {bundle(args.db, args.out, args.app)}")
        elif args.command == "static":
            site = static_copy.static(args.db, args.out, args.live_url, args.chunk_bytes)
            print(f"static copy written to {site.out}: {sum(1 for p in site.out.rglob('*') if p.is_file())} files")
        else:
            publish(args.provider, args.db, args.app)
    except (DeployError, static_copy.StaticError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
