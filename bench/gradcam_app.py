"""The baseline: a minimal Gradio app serving one Grad-CAM overlay, written the way plain apps are
(gr.Interface, PIL in, PIL out). Same backbone, weights and preprocessing as cnnattn.

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

from cnnattn.backbones import create_backbone  # noqa: E402
from cnnattn.explain import resolve_device  # noqa: E402
from cnnattn.image.preprocess import Preprocessing  # noqa: E402


class GradCamOverlay:
    """photo -> Grad-CAM of the top-1 class on the last conv block (bn2) -> overlay, in stages."""

    def __init__(self, device: str = "cpu"):
        from pytorch_grad_cam import GradCAM

        backbone = create_backbone()
        self.device = resolve_device(device)
        self.net = backbone.model.to(self.device).requires_grad_(True)  # as a freshly loaded model
        self.preprocessing = Preprocessing.from_config(backbone.data_config, backbone.stride)
        self.cam = GradCAM(model=self.net, target_layers=[self.net.bn2])

    def prepare(self, image: Image.Image) -> torch.Tensor:
        return self.preprocessing(image.convert("RGB")).unsqueeze(0).to(self.device)

    def grayscale_cam(self, inputs: torch.Tensor) -> np.ndarray:
        return self.cam(input_tensor=inputs, targets=None)[0]  # (H, W) in [0, 1] at input size

    def render(self, image: Image.Image, cam: np.ndarray) -> Image.Image:
        from pytorch_grad_cam.utils.image import show_cam_on_image

        rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
        resized = np.asarray(Image.fromarray(cam).resize(image.size, Image.Resampling.BILINEAR))
        return Image.fromarray(show_cam_on_image(rgb, resized, use_rgb=True))

    def __call__(self, image: Image.Image) -> Image.Image:
        return self.render(image, self.grayscale_cam(self.prepare(image)))


def build_app(overlay: GradCamOverlay):
    import gradio as gr

    return gr.Interface(
        overlay, gr.Image(type="pil"), gr.Image(type="pil"), title="Grad-CAM", api_name="gradcam", flagging_mode="never"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=7861)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    build_app(GradCamOverlay(args.device)).launch(server_name="127.0.0.1", server_port=args.port, quiet=True)


if __name__ == "__main__":
    main()
