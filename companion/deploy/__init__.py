"""Deployment: models exported (torch.export, ONNX), served over HTTP, and their inputs watched for drift.

Importing ``companion.deploy`` is cheap: torch, onnxruntime and FastAPI load only when a submodule that
needs them is imported (``from companion.deploy.export import export_onnx``).
"""

from pathlib import Path


def dockerfile_path():
    """The service's ``deploy/Dockerfile`` in the repository the package came from: beside the package in a
    checkout (an editable install, or a notebook run in ``book/``), or in a clone under the working folder
    (as Colab's set-up cell makes). Raises FileNotFoundError naming the places looked at."""
    places = [Path(__file__).resolve().parents[2], Path.cwd(), Path.cwd().parent,
              *sorted(p for p in Path.cwd().iterdir() if p.is_dir())]
    for place in places:
        if (place / "deploy" / "Dockerfile").is_file():
            return place / "deploy" / "Dockerfile"
    raise FileNotFoundError(f"no deploy/Dockerfile in {', '.join(map(str, places[:3]))} or a folder of the "
                            "working folder: run this from a clone of the book's repository")
