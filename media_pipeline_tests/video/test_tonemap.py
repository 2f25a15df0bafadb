"""The HDR-to-SDR curve the LUT is made of."""

from __future__ import annotations

import numpy as np
import pytest

from media_pipeline.video.tonemap import cube_lut, hdr_to_sdr, pq_to_nits


def test_pq_reference_points() -> None:
    # ST 2084: signal 0.5081 is 100 nits, 0.5807 is 203 nits (BT.2408 reference white).
    assert pq_to_nits(np.array([0.0, 0.5081, 0.5807, 1.0])) == pytest.approx(
        [0.0, 100.0, 203.0, 10000.0], rel=0.01
    )


@pytest.mark.parametrize("transfer", ["pq", "hlg"])
def test_greys_stay_grey_rise_monotonically_and_end_at_white(transfer: str) -> None:
    signal = np.linspace(0, 1, 64)
    grey = hdr_to_sdr(np.repeat(signal[:, None], 3, axis=1), transfer)
    assert np.allclose(grey[:, 0], grey[:, 1], atol=1e-3)
    assert np.allclose(grey[:, 1], grey[:, 2], atol=1e-3)
    assert np.all(np.diff(grey[:, 0]) >= 0)
    assert grey[0, 0] == 0.0 and grey[-1, 0] > 0.99


def test_reference_white_lands_in_the_upper_sdr_range() -> None:
    white = hdr_to_sdr(np.array([[0.75, 0.75, 0.75], [0.5807, 0.5807, 0.5807]]), "hlg")
    assert np.all((white[0] > 0.6) & (white[0] < 0.8))


def test_cube_lut_shape() -> None:
    lines = cube_lut("hlg", points=5).splitlines()
    assert lines[0] == "LUT_3D_SIZE 5" and len(lines) == 1 + 5**3
    assert lines[1] == "0.000000 0.000000 0.000000"
    red_only = [float(v) for v in lines[1 + 4].split()]  # red varies fastest
    assert red_only[0] > 0.9 and red_only[1:] == [0.0, 0.0]
