"""QR decoding: decode rate on photographed-looking variants and images/s on phone-sized photos.

    .venv/bin/python benchmarks/bench_qr.py [--photos 200] [--workers 2]

Prints two tables: how many variants of generated codes are decoded (rotation, scale,
JPEG compression, blur, small code in a big screenshot), and how fast a set of 12 MP
phone photos (one in ten holding a code) is checked with 1 and N worker processes.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reclaim.links.analyse import _decode_all
from reclaim.links.qr import decode_image

PAYLOADS = ["https://weixin.qq.com/g/AbCdEfGh", "wxp://f2f0xYzAbC123", "https://bit.ly/3xYz",
            "http://weixin-pay.example.top/redpacket?id=1", "WIFI:S:Home;T:WPA;P:secret;;"]


def render(text: str, scale: int) -> Image.Image:
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=scale, border=4)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def variants(text: str) -> dict[str, Image.Image]:
    base = render(text, 6)
    out = {"clean": base, "rotated 15°": base.rotate(15, expand=True, fillcolor="white"),
           "rotated 90°": base.rotate(90, expand=True), "small (scale 2)": render(text, 2),
           "blurred": base.filter(ImageFilter.GaussianBlur(1.2))}
    shot = Image.new("RGB", (1170, 2532), (240, 240, 240))
    shot.paste(render(text, 4), (300, 1500))
    out["in a screenshot"] = shot
    photo = Image.new("RGB", (4032, 3024), (120, 110, 100))
    photo.paste(render(text, 12).rotate(8, expand=True, fillcolor="white"), (1500, 900))
    out["in a 12 MP photo"] = photo
    small = Image.new("RGB", (4032, 3024), (120, 110, 100))
    small.paste(render(text, 5), (2500, 1700))
    out["small in 12 MP"] = small
    return out


def save(img: Image.Image, path: Path, quality: int | None) -> None:
    if quality:
        img.save(path, "JPEG", quality=quality)
    else:
        img.save(path, "PNG")


def phone_photo(rng: random.Random, with_code: str | None) -> Image.Image:
    img = Image.new("RGB", (4032, 3024))
    draw = ImageDraw.Draw(img)
    for _ in range(60):
        x, y = rng.randrange(4032), rng.randrange(3024)
        draw.ellipse((x, y, x + rng.randrange(100, 900), y + rng.randrange(100, 900)),
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    img = img.filter(ImageFilter.GaussianBlur(3))
    if with_code:
        img.paste(render(with_code, 10), (rng.randrange(200, 2600), rng.randrange(200, 1800)))
    return img


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("Decode rate on variants (PNG, JPEG q=40):")
        print(f"{'variant':<20} {'decoded':>10}")
        totals = [0, 0]
        for name in variants(PAYLOADS[0]):
            ok = 0
            for i, text in enumerate(PAYLOADS):
                img = variants(text)[name]
                for quality in (None, 40):
                    path = root / f"v{i}{quality}.img"
                    save(img, path, quality)
                    ok += [c.text for c in decode_image(path)] == [text]
            totals[0] += ok
            totals[1] += len(PAYLOADS) * 2
            print(f"{name:<20} {ok:>5}/{len(PAYLOADS) * 2}")
        print(f"{'all':<20} {totals[0]:>5}/{totals[1]}  ({totals[0] / totals[1]:.0%})")

        rng = random.Random(7)
        paths = {}
        for i in range(args.photos):
            path = root / f"photo{i}.jpg"
            phone_photo(rng, PAYLOADS[i % len(PAYLOADS)] if i % 10 == 0 else None).save(path, "JPEG", quality=88)
            paths[str(i)] = str(path)
        expected = sum(1 for i in range(args.photos) if i % 10 == 0)
        print(f"\n{args.photos} phone photos (4032×3024 JPEG), {expected} holding a code:")
        print(f"{'workers':>7} {'images/s':>9} {'codes found':>12}")
        for workers in sorted({1, args.workers}):
            start = time.perf_counter()
            found = sum(len(codes) for _, codes in _decode_all(paths, workers, None))
            rate = args.photos / (time.perf_counter() - start)
            print(f"{workers:>7} {rate:>9.1f} {found:>6}/{expected}")


if __name__ == "__main__":
    main()
