"""The baseline: a minimal Gradio app serving one Grad-CAM overlay, written the way plain apps are
(gr.Interface, PIL in, PIL out). Same backbone, weights and preprocessing as cnnattn, and the
library's own Grad-CAM and overlay: only the app around them is plain.

    python bench/gradcam_app.py --port 7861
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from cnnattn.analysis.gradcam import gradcam  # noqa: E402
from cnnattn.explain import Explainer  # noqa: E402
from cnnattn.render import overlay  # noqa: E402


class GradCamOverlay:
    """photo -> Grad-CAM of the top-1 class at the backbone's feature layer -> overlay, in stages."""

    def __init__(self, device: str = "cpu"):
        explainer = Explainer.load(device=device)  # cnnattn's backbone and preprocessing; its heads go unused
        self.backbone, self.preprocessing, self.device = explainer.backbone, explainer.preprocessing, explainer.device

    def prepare(self, image: Image.Image) -> torch.Tensor:
        return self.preprocessing(image.convert("RGB")).unsqueeze(0).to(self.device)

    @torch.inference_mode()
    def top1(self, inputs: torch.Tensor) -> int:
        return int(self.backbone.model(inputs).argmax())

    def grayscale_cam(self, inputs: torch.Tensor, class_index: int) -> np.ndarray:
        return gradcam(self.backbone, inputs, class_index)  # (H, W) in [0, 1] at input size

    def render(self, image: Image.Image, cam: np.ndarray) -> Image.Image:
        return overlay(image.convert("RGB"), cam)

    def __call__(self, image: Image.Image) -> Image.Image:
        inputs = self.prepare(image)
        return self.render(image, self.grayscale_cam(inputs, self.top1(inputs)))


def build_app(baseline: GradCamOverlay):
    import gradio as gr

    photo, answer = gr.Image(type="pil"), gr.Image(type="pil")
    return gr.Interface(baseline, photo, answer, title="Grad-CAM", api_name="gradcam", flagging_mode="never")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=7861)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    build_app(GradCamOverlay(args.device)).launch(server_name="127.0.0.1", server_port=args.port, quiet=True)


if __name__ == "__main__":
    main()
