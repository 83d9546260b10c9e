"""Measurements of maps and models: entropy, perturbation curves, Grad-CAM, readouts, calibration."""
