"""HDR (PQ or HLG, BT.2020) to SDR (BT.709) as a 3D LUT for FFmpeg's ``lut3d`` filter.

The FFmpeg in PyAV's wheel has neither zimg (``zscale``) nor libplacebo, the usual way to
linearise before ``tonemap``; a LUT does the whole chain on R'G'B' in one filter: the
transfer's inverse to linear light, BT.2020 to BT.709 primaries, a tone curve that maps the
HDR peak to SDR white, and the BT.709 transfer. 33 points per axis with tetrahedral
interpolation, as film-grading LUTs use, keep the error well below one 8-bit step.
"""

from __future__ import annotations

import numpy as np

LUT_POINTS = 33
SDR_WHITE_NITS = 100.0
HDR_PEAK_NITS = 1000.0  # HLG's nominal display peak; a common PQ mastering peak
# BT.2020 -> BT.709 in linear light (ITU-R BT.2087)
BT2020_TO_BT709 = np.array(
    [
        [1.6605, -0.5876, -0.0728],
        [-0.1246, 1.1329, -0.0083],
        [-0.0182, -0.1006, 1.1187],
    ]
)
BT2020_LUMA = np.array([0.2627, 0.6780, 0.0593])


def pq_to_nits(signal: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084 EOTF."""
    m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
    power = np.power(np.clip(signal, 0, 1), 1 / m2)
    return 10000.0 * np.power(np.maximum(power - c1, 0) / (c2 - c3 * power), 1 / m1)


def hlg_to_nits(signal: np.ndarray) -> np.ndarray:
    """ARIB STD-B67 inverse OETF, then the BT.2100 OOTF for a 1000-nit display (gamma 1.2)."""
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    signal = np.clip(signal, 0, 1)
    scene = np.where(
        signal <= 0.5, signal**2 / 3, (np.exp((signal - c) / a) + b) / 12
    )  # per channel, 0..1
    luma = np.tensordot(scene, BT2020_LUMA, axes=([-1], [0]))[..., None]
    return HDR_PEAK_NITS * scene * np.power(np.maximum(luma, 1e-6), 0.2)


def _hable(x: np.ndarray) -> np.ndarray:
    a, b, c, d, e, f = 0.15, 0.50, 0.10, 0.20, 0.02, 0.30
    return (x * (a * x + c * b) + d * e) / (x * (a * x + b) + d * f) - e / f


def tone_curve(relative: np.ndarray, curve: str, peak: float) -> np.ndarray:
    """Map linear light relative to SDR white (1.0) with HDR peak ``peak`` into 0..1."""
    if curve == "hable":
        return _hable(relative) / _hable(np.float64(peak))
    if curve == "reinhard":
        return relative * (1 + relative / peak**2) / (1 + relative)
    return np.clip(relative, 0, 1)


def bt709_oetf(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0, 1)
    return np.where(linear < 0.018, 4.5 * linear, 1.099 * np.power(linear, 0.45) - 0.099)


def hdr_to_sdr(rgb: np.ndarray, transfer: str, curve: str = "hable") -> np.ndarray:
    """BT.2020 R'G'B' (0..1, last axis) in ``transfer`` ("pq" or "hlg") to BT.709 R'G'B'.

    The curve acts on the brightest channel and scales all three by the same factor, so hues
    stay and highlights do not shift to white or to a primary.
    """
    nits = pq_to_nits(rgb) if transfer == "pq" else hlg_to_nits(rgb)
    linear = np.clip(np.tensordot(nits / SDR_WHITE_NITS, BT2020_TO_BT709.T, axes=1), 0, None)
    brightest = np.max(linear, axis=-1, keepdims=True)
    peak = HDR_PEAK_NITS / SDR_WHITE_NITS
    mapped = tone_curve(brightest, curve, peak)
    scale = np.divide(mapped, brightest, out=np.zeros_like(brightest), where=brightest > 0)
    return bt709_oetf(linear * scale)


def cube_lut(transfer: str, curve: str = "hable", points: int = LUT_POINTS) -> str:
    """The LUT as an Adobe/Resolve .cube text (red varies fastest)."""
    axis = np.linspace(0.0, 1.0, points)
    blue, green, red = np.meshgrid(axis, axis, axis, indexing="ij")
    table = hdr_to_sdr(np.stack([red, green, blue], axis=-1).reshape(-1, 3), transfer, curve)
    lines = [f"LUT_3D_SIZE {points}"]
    lines += [f"{r:.6f} {g:.6f} {b:.6f}" for r, g, b in table]
    return "\n".join(lines) + "\n"
