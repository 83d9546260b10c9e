"""The Lesson's text outputs, named once: the web layer's components, the server's answers and the browser's
writer (static/lesson/outputs.js TEXT_OUTPUTS, checked equal by tests/js) all read them by these names.

A step beyond the three built-in ones is one registration (`register_step`): its maths on the photo's
cached encoding, the catalogue template it fills and the name of its output. The Lesson tab shows it as
Markdown `#lesson-<output>` under step 3; its values travel in the lesson block, per head id, and the
browser fills the template with them (docs/LESSON.md, "Add a lesson step"). Register before the app is
built: the page's components are made once. No gradio.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cnnattn.explain import Encoded
from cnnattn.heads import Head
from cnnattn.lesson.settings import LessonSettings

# The built-in texts and tables, in the order the page lays them out (the output's element id in comments).
TEXT_OUTPUTS = (
    "head",  # lesson-head-text: what the head is, and its formula
    "step1",  # lesson-step1
    "scores",  # lesson-scores: step 1's table
    "step2",  # lesson-step2
    "weights",  # lesson-weights: step 2's table
    "cell",  # lesson-cell: the arithmetic of the query cell
    "readout",  # lesson-readout
    "step3",  # lesson-step3
    "step3_table",  # lesson-step3-table
    "link",  # lesson-link: the link that reopens this lesson
    "link_note",  # lesson-link-note
    "layer",  # lesson-layer: shown to heads that run on earlier stages
)
TABLE_OUTPUTS = ("scores", "weights", "step3_table")

# maths(head, index, encoded, settings) -> the template's values for head id `index` of `head`, or None
# where the step says nothing about that head (the page then shows an empty text).
StepMaths = Callable[[Head, int, Encoded, LessonSettings], "dict | None"]


@dataclass(frozen=True)
class LessonStep:
    output: str  # its name among the outputs; the page's Markdown is #lesson-<output>
    template: str  # the catalogue key the browser fills (str.format specs as static/lesson/format.js reads)
    maths: StepMaths


_registered: dict[str, LessonStep] = {}


def register_step(step: LessonStep) -> None:
    """Add a step to every Lesson built from now on (before `cnnattn.webapp.app.build_app`)."""
    if step.output in TEXT_OUTPUTS or step.output in _registered:
        raise ValueError(f"A lesson output is already named {step.output!r}.")
    if not step.output.isidentifier():
        raise ValueError(f"A lesson output's name is an identifier, not {step.output!r}.")
    _registered[step.output] = step


def unregister_step(output: str) -> None:
    """Undo `register_step` (tests register a toy step for one module)."""
    del _registered[output]


def registered_steps() -> tuple[LessonStep, ...]:
    return tuple(_registered.values())


def text_outputs() -> tuple[str, ...]:
    """Every text output of the Lesson: the built-in ones, then the registered steps' in registration order."""
    return TEXT_OUTPUTS + tuple(_registered)


def step_values(heads, encoded: Encoded, settings: LessonSettings) -> dict:
    """The lesson block's "steps": output -> its template and, per head id, the values (None: nothing)."""
    return {
        step.output: {
            "template": step.template,
            "values": {str(i): step.maths(head, i.index, encoded, settings) for head in heads for i in head.ids()},
        }
        for step in _registered.values()
    }
