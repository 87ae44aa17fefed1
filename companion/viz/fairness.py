"""Fairness figures: per-group rates of one or more classifiers side by side (before and after a mitigation)."""

import matplotlib.pyplot as plt
import numpy as np

LABELS = {"accuracy": "accuracy", "selection_rate": "selection rate", "true_positive_rate": "true-positive rate",
          "false_positive_rate": "false-positive rate", "false_negative_rate": "false-negative rate"}


def plot_group_rates(tables, metrics=("selection_rate", "false_positive_rate", "false_negative_rate"),
                     group_names=None, axes=None):
    """One panel per metric; in each, a bar per (model, group): the group's rate under each model.

    Args:
        tables: {model name: :class:`companion.fairness.GroupTable`}, e.g. {"before": ..., "reweighing": ...};
            every table must have the same groups.
        metrics: names from :data:`LABELS` (the tables' ``by_group`` keys).
        group_names: {group label: name in the legend}; default "group <label>".
        axes: one matplotlib axes per metric, or None for a new row of panels.

    Returns the axes. The dotted line in each panel is the first model's overall rate.
    """
    if not tables:
        raise ValueError("tables is empty: pass {model name: GroupTable}")
    first = next(iter(tables.values()))
    for name, table in tables.items():
        if not np.array_equal(table.groups, first.groups):
            raise ValueError(f"table {name!r} has groups {table.groups.tolist()}, the first has "
                             f"{first.groups.tolist()}")
    unknown = [m for m in metrics if m not in LABELS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {list(LABELS)}")
    if axes is None:
        _, axes = plt.subplots(1, len(metrics), figsize=(3.3 * len(metrics), 3.0), sharey=True)
    axes = np.atleast_1d(axes)
    if len(axes) != len(metrics):
        raise ValueError(f"need one axes per metric ({len(metrics)}), got {len(axes)}")
    groups = first.groups.tolist()
    names = [group_names.get(g, str(g)) if group_names else f"group {g}" for g in groups]
    width = 0.8 / len(groups)
    models = np.arange(len(tables))
    for ax, metric in zip(axes, metrics):
        for i, name in enumerate(names):
            values = [table.by_group[metric][i] for table in tables.values()]
            ax.bar(models + (i - (len(groups) - 1) / 2) * width, values, width, label=name)
        ax.axhline(first.overall[metric], color="black", linestyle=":", linewidth=1)
        ax.set_xticks(models)
        ax.set_xticklabels(list(tables), fontsize=8)
        ax.set_title(LABELS[metric], fontsize=10)
    axes[0].set_ylabel("rate")
    axes[0].legend(fontsize=8)
    return axes
