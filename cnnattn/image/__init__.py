"""Safe image loading, preprocessing from the backbone config, and image discovery."""
