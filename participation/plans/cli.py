"""``flask --app app plan export CODE --format xlsx|json --out FILE``: a community's plan inputs as a file."""
from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale, gettext as _

from participation.extensions import db
from participation.formatting import number
from participation.plans.export import FORMATS, export_plan_inputs
from participation.roster.communities import community_by_code


def register(app: Flask) -> None:
    @app.cli.group("plan")
    def plan() -> None:
        """Plan inputs (一区一案)."""

    @plan.command("export")
    @click.argument("code")
    @click.option("--format", "kind", required=True, type=click.Choice(sorted(FORMATS)),
                  help="xlsx: the workbook (概况 / 需求汇总 / 分楼栋 / 资金测算 / 意见与投诉); json: for programs.")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
    def export_command(code: str, kind: str, out: Path) -> None:
        """Write a community's plan inputs as .xlsx or JSON (the export is audited)."""
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            community = community_by_code(code)
            if community is None:
                raise click.ClickException(_("No community has the code %(code)s.", code=code))
            data, _name, _mimetype, result = export_plan_inputs(None, community, kind, channel="cli")
            out.write_bytes(data)
            db.session.commit()
            budget = result["budget"]
            click.echo(_("Wrote %(path)s: %(items)d items, estimated cost %(cost)s yuan, gap %(gap)s yuan.",
                         path=str(out), items=len(result["items"]), cost=number(budget['estimated_cost']),
                         gap=number(budget['gap'])))
