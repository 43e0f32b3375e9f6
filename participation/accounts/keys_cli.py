"""``flask --app app keys new | status | rehash | rotate | retire VERSION``: the key rings (``participation.keyring``).

``rotate`` adds a version to ``HOUSEHOLD_CODE_KEY`` (or, with ``--secret-key``, to ``SECRET_KEY``). On the embedded
SQLite default the ring lives in instance/ and is rewritten there; a ring given from outside (environment, secrets
file) cannot be changed from here, so the lines to roll out to every host are printed instead. docs/deploy.md,
section "Keys", walks through it.
"""
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale, gettext as _

from participation.accounts.key_versions import counts, retirable, rewrap_legacy_tokens, rows_needing, unverifiable
from participation.config import KEY_FILES, replace_instance_secret
from participation.extensions import db
from participation.keyring import LEGACY, KeyConfigError, KeyRing, current_ring, new_key, new_keys_text, parse_ring

SESSION_HELP = "the SECRET_KEY ring (sessions, CSRF tokens) instead of HOUSEHOLD_CODE_KEY (stored hashes)"


def _name(secret_key: bool) -> str:
    return "SECRET_KEY" if secret_key else "HOUSEHOLD_CODE_KEY"


def _ring(name: str) -> KeyRing:
    if name == "HOUSEHOLD_CODE_KEY":
        return current_ring()
    return parse_ring(current_app.config.get("SECRET_KEY_RING") or current_app.config["SECRET_KEY"], name)


def _source(name: str) -> str | None:
    return (current_app.config.get("KEY_SOURCES") or {}).get(name)


def _describe(name: str, ring: KeyRing) -> str:
    sources = {"environment": _("from the environment"), "secrets file": _("from the secrets file"),
               "instance": _("from instance/"), "application": _("given by the application")}
    return _("%(name)s (%(source)s): version %(current)d is current; versions held: %(versions)s", name=name,
             source=sources.get(_source(name), "?"), current=ring.current,
             versions=", ".join(str(version) for version in ring.versions))


def _version_word(version: int | None) -> str:
    if version is None:
        return _("version not recorded")
    return _("before versions") if version == LEGACY else _("version %(version)d", version=version)


def _report(ring: KeyRing) -> int:
    """Counts per store and version, which versions may go, what cannot move yet; the number of unverifiable rows."""
    found = counts()
    for store, by_version in found:
        spread = ", ".join(f"{_version_word(version)}: {count}"
                           for version, count in sorted(by_version.items(), key=lambda item: -(item[0] or 0)))
        click.echo(f"  {store.label}: " + (spread or _("none")))
    for version in ring.versions[1:]:
        needing = rows_needing(found, version)
        if needing:
            click.echo(_("Version %(version)d is still needed by %(count)d rows: keep it in the ring.",
                         version=version, count=needing))
    for version in retirable(found, ring):
        click.echo(_("Version %(version)d holds no row any more: it may leave the ring "
                     "(flask --app app keys retire %(version)d).", version=version))
    behind = [(store, by_version) for store, by_version in found
              if any(version != ring.current for version in by_version)]
    if behind:
        click.echo(_("Rows not on the current version move only when used, for want of the plain value:"))
        for store, by_version in behind:
            click.echo(f"  {store.label}: {store.moves}")
            if store.purpose.rewrappable and by_version.get(LEGACY):
                click.echo("    " + _("(those from before versions need no plain value: flask --app app keys rehash "
                                      "moves them now)"))
    lost = unverifiable(found, ring)
    if lost:
        click.echo(_("WARNING: %(count)d rows are on a version the ring does not hold, so they cannot be verified. "
                     "Put the missing version back into the ring.", count=lost), err=True)
    return lost


def _check_instance_ring(name: str) -> None:
    """Rewrite instance/ only when it holds the very ring this app runs with: never overwrite a key that something
    else (another configuration, a restore) may need. Checked before anything is done."""
    if _source(name) != "instance":
        return
    path = Path(current_app.instance_path) / KEY_FILES[name]
    try:
        same = path.exists() and parse_ring(path.read_text(), name) == _ring(name)
    except KeyConfigError:
        same = False
    if not same:
        raise click.ClickException(_("instance/%(file)s does not hold the %(name)s this app runs with: nothing was "
                                     "changed.", file=KEY_FILES[name], name=name))


def _deploy(name: str, ring: KeyRing, rolled_out: KeyRing | None = None) -> None:
    """Put ``ring`` in place: into instance/ for the embedded default, else print the lines for every host
    (``rolled_out``: the ring to give every host first, so that each knows a new key before any uses it)."""
    if _source(name) == "instance":
        replace_instance_secret(current_app.instance_path, KEY_FILES[name], ring.notation())
        click.echo(_("instance/%(file)s now holds %(name)s versions %(versions)s. Restart the app: until then it "
                     "goes on with the versions it started with.", file=KEY_FILES[name], name=name,
                     versions=", ".join(str(version) for version in ring.versions)))
        return
    click.echo(_("%(name)s is not kept by the application, so nothing was changed here.", name=name))
    if rolled_out is not None:
        click.echo(_("1. On every host set this, and restart (the new version becomes known, the old one stays "
                     "current):"))
        click.echo(f'   {name}="{rolled_out.notation()}"')
        click.echo(_("2. Once every host runs with it, set this on every host and restart again (the new version "
                     "becomes current):"))
    else:
        click.echo(_("On every host set this, and restart:"))
    click.echo(f'   {name}="{ring.notation()}"')
    click.echo(_('In a secrets file the same value goes in quotes: %(name)s = "…"', name=name))


def _rehash(ring: KeyRing) -> None:
    """Re-hash what needs no plain value, under the current version: every host already holds it, so none meets a
    hash it cannot check."""
    for label, count in rewrap_legacy_tokens().items():
        if count:
            click.echo(_("%(store)s: %(count)d stored before versions re-hashed under version %(version)d.",
                         store=label, count=count, version=ring.current))
    db.session.commit()


def register(app: Flask) -> None:
    @app.cli.group("keys")
    def keys() -> None:
        """Key rings: make keys, rotate them, see what each version still holds."""

    @keys.command("new")
    def new_command() -> None:
        """Print a fresh SECRET_KEY and HOUSEHOLD_CODE_KEY (environment and secrets-file forms)."""
        click.echo(new_keys_text())

    @keys.command("status")
    def status_command() -> None:
        """How many stored hashes each version holds; exits 1 when some cannot be verified with the ring."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            ring = current_ring()
            click.echo(_describe("HOUSEHOLD_CODE_KEY", ring))
            lost = _report(ring)
            click.echo(_describe("SECRET_KEY", _ring("SECRET_KEY")))
        if lost:
            raise SystemExit(1)

    @keys.command("rehash")
    def rehash_command() -> None:
        """Re-hash, under the current version, what needs no plain value (tokens and Open311 keys stored before
        versions)."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            ring = current_ring()
            _rehash(ring)
            if _report(ring):
                raise SystemExit(1)

    @keys.command("rotate")
    @click.option("--secret-key", is_flag=True, help=SESSION_HELP)
    def rotate_command(secret_key: bool) -> None:
        """Add a new version to the ring and re-hash what can be re-hashed without the plain values."""
        name = _name(secret_key)
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            _check_instance_ring(name)
            ring = _ring(name)
            if not secret_key:
                _rehash(ring)
            key = new_key()
            _deploy(name, ring.added(key), ring.added(key, current=False))
            if secret_key:
                click.echo(_("Sessions and forms signed with the old key stay valid while it is in the ring; "
                             "after %(hours)d hours none is left: then retire it.",
                             hours=current_app.permanent_session_lifetime.total_seconds() // 3600))
            else:
                click.echo(_("Stored hashes now (the new version counts once the app runs with it):"))
                if _report(ring):
                    raise SystemExit(1)

    @keys.command("retire")
    @click.argument("version", type=int)
    @click.option("--secret-key", is_flag=True, help=SESSION_HELP)
    def retire_command(version: int, secret_key: bool) -> None:
        """Take VERSION out of the ring, once no stored hash needs it."""
        name = _name(secret_key)
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            _check_instance_ring(name)
            ring = _ring(name)
            if version not in ring.versions:
                raise click.ClickException(_("%(name)s holds no version %(version)d.", name=name, version=version))
            if version == ring.current:
                raise click.ClickException(_("Version %(version)d is the current one: rotate first.",
                                             version=version))
            needing = 0 if secret_key else rows_needing(counts(), version)
            if needing:
                raise click.ClickException(_("Version %(version)d is still needed by %(count)d rows; "
                                             "`flask --app app keys status` says which.", version=version,
                                             count=needing))
            _deploy(name, ring.without(version))
