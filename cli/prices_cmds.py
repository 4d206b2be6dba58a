"""prices: the maintainer's tools for the price-list snapshot mlplat ships."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def prices() -> None:
    """The shipped price-list snapshot: which instance types each region offers, and their prices.

    \b
    Example:
        mlplat prices build --from ./aws-price-list --out stacks/pricelist
    """


@prices.command("build")
@click.option("--from", "offers", type=click.Path(file_okay=False, exists=True), default=None,
              help="A directory of AWS Price List bulk files (offers/v1.0/aws/index.json, region indexes, "
                   "per-region offer files) or GetProducts JSON.")  # fmt: skip
@click.option("--karpenter-prices", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Karpenter's zz_generated.pricing_aws.go (or its JSON form): EC2 prices for regions "
                   "no offer file covers.")  # fmt: skip
@click.option("--instance-types", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Karpenter's instance-types.md reference: vCPU, memory, architecture, GPUs per type.")
@click.option("--hardware-source", default="", help="Provenance line for --instance-types (repo, commit, date).")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Where to write aws-<region>.json and aws-instance-types.json (stacks/pricelist in a checkout).")
def build(offers: str | None, karpenter_prices: str | None, instance_types: str | None, hardware_source: str,
          out: str) -> None:  # fmt: skip
    """Build the dated snapshot from downloaded price files; reads no network.

    Every section records the date and source of its prices, which `mlplat cost` reports (and
    flags when older than 6 months).

    \b
    Example:
        mlplat prices build --from ./aws-price-list --out stacks/pricelist
        mlplat prices build --karpenter-prices zz_generated.pricing_aws.go \\
            --instance-types instance-types.md --out stacks/pricelist
    """
    from mlplat.stacks.errors import MlplatError
    from mlplat.stacks.pricelist.build import build as build_snapshot
    from mlplat.stacks.pricelist.build import write

    if not (offers or karpenter_prices or instance_types):
        raise MlplatError("nothing to build from: give --from, --karpenter-prices or --instance-types")
    docs, built = build_snapshot(
        Path(offers) if offers else None,
        Path(karpenter_prices) if karpenter_prices else None,
        Path(instance_types) if instance_types else None,
        hardware_source,
    )
    for p in write(docs, Path(out)):
        click.echo(f"wrote {p}", err=True)
    for region, sections in sorted(built.regions.items()):
        summary = ", ".join(f"{name} {len(s.prices)} ({s.to_dict()['as_of']})" for name, s in sorted(sections.items()))
        click.echo(f"{region}: {summary}", err=True)
    for what, n in sorted(built.unclaimed.items()):
        click.echo(f"not mapped: {n} × {what}", err=True)
