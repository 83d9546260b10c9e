"""The Gradio web app (imports gradio; the rest of the package never imports this)."""
