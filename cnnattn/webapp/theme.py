"""The page's colours: gradio's default theme with text and accents dark enough for WCAG AA contrast
(axe-core's color-contrast rule), checked by tests/test_accessibility.py."""

from __future__ import annotations

import gradio as gr

# Gradio's empty file list and empty image are divs with an aria-label (axe: aria-prohibited-attr): the
# downloads box and the Lesson's occlusion and deletion images are hidden until they hold something, in CSS,
# so showing them costs no request and the endpoints keep returning plain files and images.
PAGE_CSS = (
    "#downloads:has(.empty), #lesson-occluded:has(.empty), #lesson-deletion:has(.empty) { display: none; }"
    ' html[data-lesson-class="hidden"] #lesson-class { display: none; }'  # set by static/lesson/gradio.js
    # Predict, then reveal: while the map is hidden, so is every text and table that would give it away.
    " .gradio-container:has(#lesson-view [data-concealed='true']) :is(#lesson-step1, #lesson-scores, #lesson-step2,"
    " #lesson-weights, #lesson-cell, #lesson-readout, #lesson-step3, #lesson-step3-table) { display: none; }"
    # Before a photo the lesson's tables would show gradio's placeholder columns "1 2 3".
    " .gradio-container:has(#lesson-view [data-empty='true']) :is(#lesson-scores, #lesson-weights,"
    " #lesson-step3-table) { display: none; }"
)


def accessible_theme() -> gr.themes.Base:
    """White on the primary button, the selected tab and links at >= 4.5:1; footer text likewise."""
    return gr.themes.Default(primary_hue="blue").set(
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_border_color="*primary_700",
        button_primary_border_color_hover="*primary_800",
        color_accent="*primary_700",
        body_text_color_subdued="*neutral_600",
    )
