#!/usr/bin/env python3
"""Makes the small JPEG and PDF inputs of Tests/DicomCoreTests/SecondaryCaptureTests.swift with
Pillow (Tests/Fixtures/img2dcm/). Run from the repository root:

    python3 Scripts/make-img2dcm-fixtures.py
"""
from pathlib import Path

import numpy as np
from PIL import Image

out = Path("Tests/Fixtures/img2dcm")
out.mkdir(parents=True, exist_ok=True)
y, x = np.mgrid[0:24, 0:33]     # odd width: 33 columns, 24 rows
grey = Image.fromarray(((x * 7 + y * 3) % 256).astype(np.uint8), "L")
colour = Image.fromarray(np.stack([(x * 7) % 256, (y * 9) % 256, ((x + y) * 5) % 256], -1).astype(np.uint8), "RGB")
grey.save(out / "grey.jpg", "JPEG", quality=90)
colour.save(out / "colour420.jpg", "JPEG", quality=90)                  # 4:2:0 (H2V2 luma)
colour.save(out / "colour422.jpg", "JPEG", quality=90, subsampling=1)   # 4:2:2 (H2V1 luma)
colour.save(out / "colour444.jpg", "JPEG", quality=90, subsampling=0)   # 4:4:4
colour.save(out / "progressive.jpg", "JPEG", quality=90, progressive=True)
colour.save(out / "colour.png", "PNG")
Image.new("RGB", (40, 20), (255, 255, 255)).save(out / "blank.pdf", "PDF")
