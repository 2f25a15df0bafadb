"""Colour management of previews: embedded ICC profiles, AVIF/HEIF nclx codes and HDR (PQ,
HLG) tone mapping, all to sRGB, which is what an output without a profile means."""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageCms


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _probe_image(mode: str) -> Image.Image:
    """Colours spanning the gamut, to tell an sRGB-equivalent profile from another."""
    levels = np.linspace(0, 255, 9).round().astype(np.uint8)
    cube = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(27, 27, 3)
    if mode == "L":
        return Image.fromarray(np.ascontiguousarray(cube[..., 0]), "L")
    rgb = Image.fromarray(np.ascontiguousarray(cube), "RGB")
    return rgb.convert("RGBA") if mode == "RGBA" else rgb


@lru_cache(maxsize=32)
def _icc_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from an embedded profile to sRGB; None when the profile is
    sRGB or equivalent (most photos: nothing to do), or unusable (it is then ignored)."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out_mode = "RGBA" if mode == "RGBA" else "RGB"
        transform = ImageCms.buildTransform(
            source,
            _srgb_profile(),
            mode,
            out_mode,
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
        )
        if mode == "CMYK":
            return transform
        probe = _probe_image(mode)
        converted = np.asarray(transform.apply(probe).convert("RGB"), dtype=np.int16)
        expected = np.asarray(probe.convert("RGB"), dtype=np.int16)
    except Exception:  # a damaged or unsupported profile: show the pixels as they are
        return None
    return None if int(np.abs(converted - expected).max()) <= 2 else transform


def to_srgb(im: Image.Image, icc: bytes | None, nclx: tuple[int, int] | None) -> Image.Image:
    """The image in sRGB: through its ICC profile, else its nclx codes; as it is when
    either already means sRGB (or a profile is unusable)."""
    if icc and im.mode in ("RGB", "RGBA", "L", "CMYK"):
        transform = _icc_transform(icc, im.mode)
        if transform is not None:
            return transform.apply(im)
    if im.mode == "CMYK":
        return im.convert("RGB")
    if nclx is not None and im.mode in ("RGB", "RGBA"):
        primaries, transfer = nclx
        if not _is_srgb_nclx(primaries, transfer):
            return _convert_encoded(im, primaries, transfer)
    return im


_SRGB_TRANSFERS = frozenset({1, 2, 6, 13, 14, 15})  # BT.709 family, sRGB, unspecified
_SDR_PRIMARIES = frozenset({1, 2})  # BT.709 (= sRGB), unspecified


def _is_srgb_nclx(primaries: int, transfer: int) -> bool:
    return primaries in _SDR_PRIMARIES and transfer in _SRGB_TRANSFERS


# RGB -> XYZ of the H.273 primaries we convert from (D65 white unless noted)
_PRIMARIES_XY: dict[int, tuple[tuple[float, float], ...]] = {
    1: ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060), (0.3127, 0.3290)),  # BT.709
    9: ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046), (0.3127, 0.3290)),  # BT.2020
    11: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), (0.314, 0.351)),  # DCI-P3
    12: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), (0.3127, 0.3290)),  # Display P3
}


def _rgb_to_xyz(primaries: int) -> np.ndarray:
    *colours, white = _PRIMARIES_XY.get(primaries, _PRIMARIES_XY[1])
    columns = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in colours]).T
    wx, wy = white
    scale = np.linalg.solve(columns, np.array([wx / wy, 1.0, (1 - wx - wy) / wy]))
    return columns * scale


@lru_cache(maxsize=8)
def _to_bt709(primaries: int) -> np.ndarray:
    """Linear RGB in ``primaries`` -> linear sRGB/BT.709 (white points are matched by the
    matrices' construction: both map their white to Y = 1)."""
    return np.linalg.solve(_rgb_to_xyz(1), _rgb_to_xyz(primaries)).astype(np.float32)


_SDR_WHITE_NITS = 203.0  # ITU-R BT.2408 reference white


def _linearise(encoded: np.ndarray, transfer: int) -> tuple[np.ndarray, bool]:
    """(linear light with SDR white at 1.0, whether it is HDR and needs tone mapping)."""
    if transfer == 16:  # SMPTE ST 2084 (PQ), absolute: 1.0 = 10000 nits
        m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
        power = np.power(encoded, 1 / m2)
        nits = 10000 * np.power(np.maximum(power - c1, 0) / (c2 - c3 * power), 1 / m1)
        return nits / _SDR_WHITE_NITS, True
    if transfer == 18:  # ARIB STD-B67 (HLG): inverse OETF, then the 1000-nit display OOTF
        a, b, c = 0.17883277, 0.28466892, 0.55991073
        scene = np.where(
            encoded <= 0.5, encoded * encoded / 3, (np.exp((encoded - c) / a) + b) / 12
        )
        luma = scene @ np.array([0.2627, 0.6780, 0.0593], np.float32)
        nits = 1000 * scene * np.power(np.maximum(luma, 1e-6), 0.2)[..., None]
        return nits / _SDR_WHITE_NITS, True
    if transfer == 8:
        return encoded, False
    if transfer == 4:
        return np.power(encoded, 2.2), False
    if transfer == 5:
        return np.power(encoded, 2.8), False
    return _srgb_decode(encoded), False


def _srgb_decode(encoded: np.ndarray) -> np.ndarray:
    return np.where(encoded <= 0.04045, encoded / 12.92, np.power((encoded + 0.055) / 1.055, 2.4))


def _srgb_encode(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


_KNEE = 0.75  # linear level (SDR white = 1) above which HDR highlights are compressed


def _tone_map(linear: np.ndarray) -> np.ndarray:
    """HDR (SDR white = 1.0) to SDR: levels up to the knee stay as they are, brighter ones
    roll off smoothly towards 1.0 (an exponential shoulder, slope 1 at the knee). Applied
    to the brightest channel and the pixel scaled by it, which keeps hues."""
    peak = np.max(linear, axis=-1)
    over = np.maximum(peak - _KNEE, 0) / (1 - _KNEE)
    mapped = np.where(peak > _KNEE, _KNEE + (1 - _KNEE) * -np.expm1(-over), peak)
    scale = np.where(peak > 1e-6, mapped / np.maximum(peak, 1e-6), 1.0)
    return linear * scale[..., None]


def convert_to_srgb(rgb: np.ndarray, primaries: int, transfer: int) -> np.ndarray:
    """Encoded RGB in [0, 1] (H.273 primaries/transfer) -> 8-bit sRGB, tone-mapping HDR."""
    linear, hdr = _linearise(rgb.astype(np.float32, copy=False), transfer)
    linear = linear.astype(np.float32, copy=False)
    if primaries not in _SDR_PRIMARIES:
        linear = linear @ _to_bt709(primaries).T
    if hdr:
        linear = _tone_map(np.maximum(linear, 0))
    return (_srgb_encode(linear) * 255 + 0.5).astype(np.uint8)


def _convert_encoded(im: Image.Image, primaries: int, transfer: int) -> Image.Image:
    alpha = im.getchannel("A") if im.mode == "RGBA" else None
    rgb = np.asarray(im.convert("RGB") if alpha is not None else im, dtype=np.float32) / 255
    out = Image.fromarray(convert_to_srgb(rgb, primaries, transfer), "RGB")
    if alpha is not None:
        out.putalpha(alpha)
    return out
