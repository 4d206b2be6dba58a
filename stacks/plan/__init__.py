"""Making a plan: the Pulumi program, the offline engine, the plan model, render and graph."""

_SHORT_LIVED = {"value": False}


def short_lived_process() -> None:
    """Declare that this process exits soon after its plans (the `mlplat` console script).

    A run leaves ~300 objects of cyclic garbage per resource (the SDK's futures and closures):
    collecting them took 0.5 s after a 660-resource plan, about a fifth of the run. A process
    about to exit need not collect them: each run's leftovers are frozen out of the collector
    (`gc.freeze`) and the memory goes back with the process. Libraries and tests, which plan
    many times in one process, keep collecting.
    """
    _SHORT_LIVED["value"] = True


def is_short_lived() -> bool:
    return _SHORT_LIVED["value"]


__all__ = ["is_short_lived", "short_lived_process"]
