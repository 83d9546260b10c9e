"""The Lesson's answers for one photo, from the Pipeline's cached encoding: the photo studied (head and
`lesson_answer`), the texts of the steps keyed by output name (`cnnattn.lesson.outputs`), the block the
browser writes the same texts from, and the webcam's frames. The check buttons' handlers build on
`study` (lesson_check_handlers); the tab places and wires all of it (lesson)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
from PIL import Image

from cnnattn.errors import UserError
from cnnattn.heads import Head, HeadId
from cnnattn.i18n import text
from cnnattn.lesson import steps
from cnnattn.lesson.answer import LessonAnswer, lesson_answer
from cnnattn.lesson.block import lesson_block
from cnnattn.lesson.links import link_note, link_params
from cnnattn.lesson.outputs import TABLE_OUTPUTS, registered_steps, text_outputs
from cnnattn.lesson.settings import LessonSettings
from cnnattn.lesson.tables import Table
from cnnattn.pipeline import Pipeline
from cnnattn.render import fit_within, overlay
from cnnattn.webapp.explore import read_upload

SHOWN = "jpeg"  # server-drawn results (occlusion, deletion, webcam) travel as JPEG: ~5 ms to encode


def dataframe(table: Table) -> dict:
    """A lesson table as gr.Dataframe's value, rows and columns counted from 1 as the library labels them."""
    return {"headers": table.headers, "data": table.rows}


@dataclass(frozen=True)
class Studied:
    """A photo being studied, with the chosen head and the lesson's answer for it."""

    photo: Image.Image
    encoded: object
    head: Head
    index: int
    answer: LessonAnswer


def blank_texts() -> dict:
    """Every text output with nothing in it (a refused photo leaves no earlier answer up); the layer
    dropdown keeps its state."""
    blank = {name: None if name in TABLE_OUTPUTS else "" for name in text_outputs()}
    return blank | {"layer": gr.skip()}


class LessonAnswers:
    """Handlers on one Pipeline: each takes the photo's path and one LessonSettings."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline

    @property
    def explainer(self):
        return self.pipeline.explainer

    def heads(self) -> list[str]:
        return [str(head_id) for head_id in steps.head_ids(self.explainer.heads)]

    def study(self, image: str | None, settings: LessonSettings) -> Studied:
        """Encode (cached by content: one backbone pass per photo) and build the lesson's answer."""
        _, photo, encoded = self.pipeline.encode(read_upload(image))
        settings = settings.checked(self.heads())
        head_id = HeadId.parse(settings.head)
        head = steps.find_head(self.explainer.heads, head_id)
        calibration = self.explainer.calibration_temperature
        answer = lesson_answer(self.explainer.heads, encoded, settings, calibration_temperature=calibration)
        return Studied(photo, encoded, head, head_id.index, answer)

    def texts(self, image: str | None, example: str | None, settings: LessonSettings) -> dict:
        """The steps' texts and tables for the settings the view shows, by output name (no backbone pass
        once encoded)."""
        studied = self.study(image, settings)
        answer, head = studied.answer, studied.head
        texts = {
            "head": answer.head_text,
            "step1": answer.step_texts[0],
            "scores": gr.Dataframe(dataframe(answer.scores), label=answer.scores.title),
            "step2": answer.step_texts[1],
            "weights": gr.Dataframe(dataframe(answer.weights), label=answer.weights.title),
            "cell": answer.cell_text,
            "readout": answer.readout_text,
            "step3": answer.step_texts[2],
            "step3_table": gr.Dataframe(dataframe(answer.step3), label=answer.step3.title),
            "link": f"?{link_params(settings, example)}",  # the browser prefixes its own address
            "link_note": link_note(example, settings.language),
            "layer": gr.update(visible=bool(head.layers)),  # the layer only to heads that run on earlier stages
        }
        for step in registered_steps():  # the same template the browser fills (static/lesson/texts.js)
            values = step.maths(head, studied.index, studied.encoded, settings)
            texts[step.output] = "" if values is None else text(step.template, settings.language, **values)
        return texts

    def browser_texts(self, image: str | None, example: str | None, settings: LessonSettings) -> dict:
        """payload["lesson"]: what the browser needs to write these texts itself for any head, temperature
        and query (static/lesson/), so the view's controls send no request."""
        _, _, encoded = self.pipeline.encode(read_upload(image))
        settings = settings.checked(self.heads())
        calibration = self.explainer.calibration_temperature
        return lesson_block(self.explainer.heads, encoded, settings, example, calibration)


class WebcamFrames:
    """The webcam's frames: each through the Pipeline (safe loader, one backbone pass), the last one kept."""

    def __init__(self, pipeline: Pipeline, output_dir: Path):
        self.pipeline = pipeline
        self.output_dir = output_dir

    def live_frame(self, frame: str | None, language: str = "en"):
        """One webcam frame (a path, as uploads): the class map over it."""
        if frame is None:
            return gr.skip(), gr.skip()
        _, photo, encoded = self.pipeline.encode_frame(read_upload(frame))
        weights = steps.pooling_lesson(self.pipeline.explainer.head("class"), 0, encoded).weights
        return gr.Image(overlay(fit_within(photo, 512), weights), format=SHOWN), frame

    def freeze(self, frame: str | None, language: str = "en") -> str:
        """Keep the last webcam frame as the lesson's photo (a copy in the outputs folder: gradio sweeps its
        own); the photo's handler checks it with the safe loader."""
        if frame is None:
            raise UserError("error.no_frame")
        folder = self.output_dir / "frames"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / uuid.uuid4().hex
        path.write_bytes(read_upload(frame))
        return str(path)
