"""Photos staff upload (field survey): checked to be real images, cleaned of metadata, kept outside /static.

A phone photo carries EXIF with the GPS position of whoever took it and the phone's serial data. We keep only the
pixels: apply the EXIF orientation, then re-encode a fresh image that has no metadata at all.
"""
import io
import logging
import os
import secrets
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_SIDE = 1600
# Pixels are counted from the file's header, before anything is decoded. A PNG or WebP is decoded at full size,
# 3 bytes a pixel (4 with transparency, counted as 4/3 of a pixel), and downscaling needs about as much again:
# 16 MP costs ~100 MB at peak (bench/hostile_uploads.py); a 59 MP PNG took 2.1 GB and 27 s. A JPEG, what phones
# save, is decoded at 1/2, 1/4 or 1/8 of its size (draft) to just above MAX_SIDE and counted at that size, so a
# 50 or 108 MP phone photo costs a few megapixels: its own limit only refuses absurd declared sizes.
MAX_PIXELS = 16_000_000
MAX_JPEG_PIXELS = 120_000_000
JPEG_QUALITY = 85


class UploadError(ValueError):
    """A refused upload; the message is shown to the user."""


def max_upload_bytes() -> int:
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or 16 * 1024 * 1024)


def describe_size(n_bytes: int) -> str:
    """16 MB, 500 KB: how the limit is told to people."""
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes / (1024 * 1024):g} MB"
    return f"{max(1, n_bytes // 1024)} KB"


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def store_photo(stream, folder: str) -> str:
    """Check, clean and store an uploaded photo under ``UPLOAD_FOLDER/<folder>``; return its relative path.

    Raises UploadError (nothing stored) when the file is empty, too large, or not a JPEG, PNG or WebP image.
    """
    limit = max_upload_bytes()
    data = stream.read(limit + 1)
    if not data:
        _log_refusal("empty", folder=folder)
        raise UploadError(_("The photo file is empty."))
    if len(data) > limit:
        _log_refusal("too_large", folder=folder, limit_bytes=limit)
        raise UploadError(_("The photo is too large. Photos up to %(size)s are accepted.", size=describe_size(limit)))
    clean = clean_image(data)
    relative = f"{folder}/{secrets.token_hex(16)}.jpg"
    target = upload_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    clean.save(partial, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    os.replace(partial, target)
    return relative


def clean_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The decoded, upright, downscaled RGB pixels of ``data``, in a new image without any metadata.

    Refused before decoding: anything but JPEG, PNG or WebP, and more than ``max_pixels`` to decode (a JPEG counts
    at the reduced scale it is decoded at)."""
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check (Image.MAX_IMAGE_PIXELS) stays as a backstop: its warning is a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise _not_an_image(f"format {probe.format}")
                _check_pixels(probe, max_pixels)
                probe.verify()  # reads the file's structure, not its pixels: catches truncated or forged images
            image = Image.open(io.BytesIO(data))
            _check_pixels(image, max_pixels)
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)   # draft (JPEG) or reduce, then resize
            upright = ImageOps.exif_transpose(image)   # on the small image: turning costs a copy of it
            rgb = _flatten(upright)
    except UploadError:
        raise
    except Exception as error:  # Pillow raises many kinds on malformed files; all mean "not a usable photo"
        raise _not_an_image(repr(error)) from error
    # A fresh image from raw pixels: no EXIF (GPS), XMP, ICC, comments or anything else from the original.
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    """Refuse what would cost more than ``max_pixels`` to decode, from the header alone (Pillow opens lazily)."""
    width, height = image.size
    if image.format == "JPEG":
        if width * height > MAX_JPEG_PIXELS:
            raise _too_many_pixels(width, height)
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))   # JPEG only: pick the decoding scale, still nothing decoded
        width, height = image.size
    if width * height * max(3, len(image.getbands())) > 3 * max_pixels:
        raise _too_many_pixels(width, height)


def _too_many_pixels(width: int, height: int) -> UploadError:
    _log_refusal("too_many_pixels", width=width, height=height)
    return UploadError(_("The picture has too many pixels. Please send a smaller photo."))


def _not_an_image(detail: str) -> UploadError:
    _log_refusal("not_an_image", detail=detail)
    return UploadError(_("This file is not a photo. Please choose a JPEG, PNG or WebP picture."))


def _log_refusal(reason: str, **fields) -> None:
    """A refused upload at INFO: someone sending forged or huge files shows up in the log, not only in their
    browser."""
    logger.info("upload refused: %s", reason, extra={"event": "upload.refused", "reason": reason, **fields})


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparent parts become white (JPEG has no transparency)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def stored_file(relative: str) -> Path | None:
    """The file of a stored upload, or None when it is missing or the path leaves the upload folder."""
    root = upload_root().resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def discard(relative: str | None) -> None:
    """Remove a stored upload that will not be used (its transaction failed); a missing file is fine."""
    path = stored_file(relative) if relative else None
    if path is not None:
        path.unlink(missing_ok=True)
