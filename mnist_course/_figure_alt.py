"""Record a text description of each plot a lesson shows, for the published pages' alt text.

:func:`mnist_course.lessons.execute_notebook` runs this file in the lesson's kernel before the
first cell (IPython's ``exec_files``; it is run, not imported, so ``mnist_course`` is not
loaded early). From then on every figure the kernel shows (with ``plt.show()`` or as a cell's value)
carries ``{"image/png": {"alt": "..."}}`` in its output metadata: what the figure's own titles, axis
labels and legend say it shows. The site renders that as the image's ``alt`` attribute.
"""


def _mnist_course_figure_alt():
    def quoted(texts):
        return ", ".join(f"'{text}'" for text in texts)

    def describe_axes(ax):
        what = []
        title = ax.get_title() or ax.get_title(loc="left") or ax.get_title(loc="right")
        if title:
            what.append(f"'{title}'")
        if ax.images:
            what.append("an image")
        elif ax.containers:
            what.append("bars")
        elif ax.lines or ax.collections:
            what.append("curves" if ax.lines else "points")
        y_label, x_label = ax.get_ylabel(), ax.get_xlabel()
        if y_label and x_label:
            what.append(f"{y_label} against {x_label}")
        elif y_label or x_label:
            what.append(f"axis '{y_label or x_label}'")
        legend = ax.get_legend()
        if legend is not None:
            labels = [text.get_text() for text in legend.get_texts()]
            if labels:
                what.append(f"legend {quoted(labels)}")
        return ", ".join(what)

    def describe(fig):
        axes = [ax for ax in fig.axes if ax.get_visible()]
        # a colorbar is an axes of its own: name it by its label, not as a panel
        colorbars = [ax for ax in axes if hasattr(ax, "_colorbar")]
        panels = [ax for ax in axes if ax not in colorbars]
        parts = []
        suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
        if suptitle:
            parts.append(f"'{suptitle}'")
        if panels and all(ax.images and not ax.get_xlabel() for ax in panels) and len(panels) > 3:
            titles = [ax.get_title() for ax in panels if ax.get_title()]
            text = f"a grid of {len(panels)} images"
            if titles:
                shown = quoted(titles[:12]) + (", ..." if len(titles) > 12 else "")
                text += f" titled {shown}"
            parts.append(text)
        else:
            described = [describe_axes(ax) for ax in panels]
            if len(panels) > 1:
                parts.append(f"{len(panels)} panels")
            parts += [text for text in described if text]
        for bar in colorbars:
            label = bar.get_ylabel() or bar.get_xlabel()
            parts.append(f"colour scale {label}" if label else "a colour scale")
        if not parts:
            return ""
        return "Plot: " + "; ".join(parts)

    def with_alt(print_png):
        def print_png_with_alt(fig, *args, **kwargs):
            data = print_png(fig, *args, **kwargs)
            try:
                alt = describe(fig)
            except Exception:  # a description must never break a lesson
                alt = ""
            # IPython keeps the metadata of a (data, metadata) pair under "image/png"
            return (data, {"alt": alt}) if alt and data else data

        return print_png_with_alt

    from IPython.core import pylabtools

    print_figure = pylabtools.print_figure

    def print_figure_with_alt(fig, fmt="png", *args, **kwargs):
        if fmt != "png":
            return print_figure(fig, fmt, *args, **kwargs)
        return with_alt(print_figure)(fig, fmt, *args, **kwargs)

    # the inline backend registers its PNG printer later, from pylabtools.print_figure
    pylabtools.print_figure = print_figure_with_alt
    # or has done so already
    formatter = get_ipython().display_formatter.formatters["image/png"]  # noqa: F821
    try:
        from matplotlib.figure import Figure

        formatter.for_type(Figure, with_alt(formatter.lookup_by_type(Figure)))
    except (ImportError, KeyError):
        pass


# run in a kernel (exec_files puts get_ipython in the namespace), never on a plain import
if "get_ipython" in globals():
    _mnist_course_figure_alt()
del _mnist_course_figure_alt
